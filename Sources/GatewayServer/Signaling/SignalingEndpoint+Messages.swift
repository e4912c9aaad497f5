import Calls
import ContactCenter
import Foundation
import SignalingFrames
import SignalingProtocol

/// What a signed-in connection's messages do: one case per client message, each answered with
/// its result, an acknowledgement or an `error` frame.
extension SignalingEndpoint {
    static func handle(
        _ message: ClientMessage, session: UUID, claims: TokenClaims, agent: Agent?, services: GatewayServices
    ) async {
        let hub = services.hub
        let cc = services.contactCenter
        switch message {
        case .ping(let id):
            services.metrics.signalingMessage("ping")
            await hub.send(.pong(id: id), toSession: session)
        case .heartbeat(let id):
            services.metrics.signalingMessage("heartbeat")
            guard agent != nil else {
                return await send(
                    SignalingFault("NOT_AN_AGENT", "only agents send heartbeats", id: id), session, services)
            }
            await cc.registry.heartbeat(agentId: claims.sub)
            await hub.send(.heartbeatAck(id: id), toSession: session)
        case .setStatus(let id, let status):
            services.metrics.signalingMessage("agent.setStatus")
            guard let agent else {
                return await send(
                    SignalingFault("NOT_AN_AGENT", "only agents have a status", id: id), session, services)
            }
            // The answer first, then the new state (none when the status did not change).
            await hub.holdAgentStates(of: session)
            do {
                _ = try await cc.setAgentStatus(
                    agent.id, .object(["status": .string(status.rawValue)]), by: .agent(agent))
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
            await hub.releaseAgentStates(of: session)
        case .callStart(let id, let sdp, let customData):
            services.metrics.signalingMessage("call.start")
            do {
                let started = try await services.calls.start(
                    from: claims.sub, agent: agent, sdp: sdp, customData: customData)
                let created = CallFrame.created(
                    callId: started.callId, conversationId: started.conversationId, sdp: started.answer, requestId: id)
                await hub.send(.call(created), toSession: session)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callAccept(let id, let callId, let sdp):
            services.metrics.signalingMessage("call.accept")
            do {
                try await services.calls.accept(callId, by: claims.sub, sdp: sdp)
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callDecline(let id, let callId):
            services.metrics.signalingMessage("call.decline")
            await services.calls.decline(callId, by: claims.sub)
            await acknowledge(id, session, services)
        case .callHangup(let id, let callId):
            services.metrics.signalingMessage("call.hangup")
            await services.calls.hangup(callId, by: claims.sub)
            await acknowledge(id, session, services)
        case .callCandidate(let id, _):
            services.metrics.signalingMessage("call.candidate")
            await acknowledge(id, session, services)
        case .conversationOutbound(let id, let to):
            services.metrics.signalingMessage("conversation.outbound")
            guard let agent else {
                return await send(
                    SignalingFault("FORBIDDEN", "only agents place outbound calls", id: id), session, services)
            }
            do {
                // As POST /ccaas/voice/2/outbound-call-conversation, for the agent itself.
                let created = try await cc.createConversation(
                    .object(["topic": .string("Call to \(to)"), "agentId": .string(agent.id)]), by: .integration)
                await hub.send(
                    .conversationOutbound(id: id, conversationId: created.conversation.id, to: to, agentId: agent.id),
                    toSession: session)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .supervisorSnapshot(let id):
            services.metrics.signalingMessage("supervisor.snapshot")
            guard let agent, agent.role == .SUPERVISOR else {
                return await send(
                    SignalingFault("FORBIDDEN", "only supervisors may watch the center", id: id), session, services)
            }
            do {
                await hub.send(try await supervisorSnapshot(services, id: id), toSession: session)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .wrapUpExtend(let id, let seconds):
            services.metrics.signalingMessage("wrapup.extend")
            await wrapUp(id, session, services, agent: agent) { agent in
                try await cc.extendWrapUp(agent.id, seconds: seconds, by: .agent(agent))
            }
        case .wrapUpClear(let id):
            services.metrics.signalingMessage("wrapup.clear")
            await wrapUp(id, session, services, agent: agent) { agent in
                try await cc.clearWrapUp(agent.id, by: .agent(agent))
            }
        case .callDTMF(let id, let callId, let digits):
            services.metrics.signalingMessage("call.dtmf")
            do {
                try await services.calls.sendDigits(callId, by: claims.sub, digits: digits)
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callTransfer(let id, let callId, let target, let attended):
            services.metrics.signalingMessage("call.transfer")
            await transfer(callId, to: target, attended: attended, id: id, session, services, agent: agent)
        case .callConsult(let id, let callId, let action):
            services.metrics.signalingMessage("call.consult")
            await consult(callId, action, id: id, session, services, agent: agent)
        case .transferTargets(let id):
            services.metrics.signalingMessage("transfer.targets")
            await transferTargets(id: id, session, services, agent: agent)
        case .callMonitor(let id, let callId, let mode):
            services.metrics.signalingMessage("call.monitor")
            guard let agent, agent.role == .SUPERVISOR else {
                return await send(
                    SignalingFault("FORBIDDEN", "only supervisors monitor calls", id: id), session, services)
            }
            do {
                try await services.calls.monitor(callId: callId, mode: mode, by: agent)
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .recordingsList(let id, let filters):
            services.metrics.signalingMessage("recordings.list")
            guard let agent, agent.role == .SUPERVISOR else {
                return await send(
                    SignalingFault("FORBIDDEN", "only supervisors list recordings", id: id), session, services)
            }
            do {
                let page = try await services.contactCenter.recordingMetadata(filters, by: .agent(agent))
                let elements = (page["elements"]?.arrayValue ?? []).map { element -> JSONValue in
                    guard element["deletedAt"] == .null, let recordingId = element["recordingId"]?.stringValue else {
                        return element
                    }
                    return element.setting("downloadUrl", .string(RecordingRoutes.signedLink(services, recordingId)))
                }
                await services.hub.send(
                    .recordings(id: id, page: page.setting("elements", .array(elements))), toSession: session)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callRecord(let id, let callId, let paused):
            services.metrics.signalingMessage("call.record")
            guard let agent else {
                return await send(
                    SignalingFault("FORBIDDEN", "only agents pause recordings", id: id), session, services)
            }
            do {
                _ = try await services.calls.setRecordingPaused(paused, callId: callId, by: .agent(agent))
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callHold(let id, let callId, let hold):
            services.metrics.signalingMessage("call.hold")
            do {
                try await services.calls.hold(callId, by: claims.sub, held: hold)
                await acknowledge(id, session, services)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        case .callMute(let id, let callId, let muted):
            services.metrics.signalingMessage("call.mute")
            if let other = await services.calls.counterpart(of: claims.sub, in: callId) {
                _ = await hub.send(.remoteMuted(callId: callId, muted: muted), to: other)
            }
            await acknowledge(id, session, services)
        case .chat(let id, let conversationId, let contentType, let content):
            services.metrics.signalingMessage("chat.send")
            do {
                let created: Message
                if let agent {
                    guard let conversationId else {
                        return await send(
                            SignalingFault("BAD_MESSAGE", "conversationId: agents must name the conversation", id: id),
                            session,
                            services)
                    }
                    let conversation = try await cc.conversation(conversationId).conversation
                    guard let customer = conversation.customerIdentity else {
                        throw ContactCenterError.badRequest("Conversation \(conversationId) has no LIVE_CHAT customer.")
                    }
                    created = try await cc.createMessage(
                        conversationId,
                        .object([
                            "from": .string(agent.id), "to": .string(customer), "channel": "LIVE_CHAT",
                            "contentType": .string(contentType), "content": content,
                        ]), by: .agent(agent))
                } else {
                    created = try await cc.receiveCustomerChat(
                        from: claims.sub, contentType: contentType, content: content)
                }
                await hub.send(
                    .ack(id: id, messageId: created.id, conversationId: created.conversationId), toSession: session)
            } catch {
                await send(fault(error, id: id), session, services)
            }
        }
    }

    static func fault(_ error: any Error, id: String?) -> SignalingFault {
        switch error {
        case let refusal as CallRefusal:
            return SignalingFault(refusal.code.name, refusal.code.description, id: id)
        case let e as ContactCenterError:
            switch e {
            case .invalid: return SignalingFault("INVALID", e.message, id: id)
            case .badRequest: return SignalingFault("BAD_REQUEST", e.message, id: id)
            case .notFound, .absent: return SignalingFault("NOT_FOUND", e.message, id: id)
            case .forbidden: return SignalingFault("FORBIDDEN", e.message, id: id)
            case .conflict: return SignalingFault("CONFLICT", e.message, id: id)
            case .preconditionFailed: return SignalingFault("PRECONDITION_FAILED", e.message, id: id)
            }
        default: return SignalingFault("INTERNAL", "the request failed", id: id)
        }
    }

    /// `{"type":"ack","id":…}` for a request that succeeded.
    /// Agents with their live state, queues with waiting callers and longest wait, calls in
    /// progress: what the supervisor page shows.
    static func supervisorSnapshot(_ services: GatewayServices, id: String?) async throws -> ServerFrame {
        let cc = services.contactCenter
        let agents = try await cc.agents(AgentFilter(), PageRequest(page: 0, limit: 1000, orderBy: "displayName"))
        let agentValues = try agents.items.map { try JSONValue.encoding($0) }
        let waiting = await services.calls.waitingCallers()
        let queues = try await cc.queues(nameContains: nil, PageRequest(page: 0, limit: 1000, orderBy: "name")).items
        let queueValues: [JSONValue] = queues.map { queue in
            let entry = waiting[queue.id]
            return .object([
                "queueId": .string(queue.id), "name": .string(queue.name),
                "waiting": .int(Int64(entry?.count ?? 0)),
                "longestWaitSeconds": .int(Int64(entry?.longestWaitSeconds ?? 0)),
            ])
        }
        return .supervisorSnapshot(
            id: id, agents: agentValues, queues: queueValues, calls: await services.calls.callsInProgress(),
            waitingCalls: await services.calls.waitingCalls())
    }

    /// An agent acting on its own wrap-up; customers get FORBIDDEN.
    static func wrapUp(
        _ id: String?, _ session: UUID, _ services: GatewayServices, agent: Agent?,
        _ action: @Sendable (Agent) async throws -> Void
    ) async {
        guard let agent else {
            return await send(SignalingFault("FORBIDDEN", "only agents have a wrap-up", id: id), session, services)
        }
        do {
            try await action(agent)
            await acknowledge(id, session, services)
        } catch {
            await send(fault(error, id: id), session, services)
        }
    }

    static func acknowledge(_ id: String?, _ session: UUID, _ services: GatewayServices) async {
        await services.hub.send(.ack(id: id), toSession: session)
    }

    static func send(_ fault: SignalingFault, _ session: UUID, _ services: GatewayServices) async {
        services.metrics.signalingError(fault.code)
        await services.hub.send(.error(code: fault.code, message: fault.message, id: fault.id), toSession: session)
    }
}
