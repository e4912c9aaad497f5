import ContactCenter
import Foundation
import Logging
import Media
import SDP

/// Runs calls: answers the caller's offer on a gateway leg, rings agents (longest idle first)
/// or the callee, bridges media when the call is answered, and ends both sides with Infobip's
/// hang-up codes. Ring deadlines move with `tick()` on the injected clock.
public actor CallCenter {
    struct ActiveCall {
        var record: CallRecord
        let callerIdentity: String
        let callerLeg: WebRTCLeg
        var calleeIdentity: String?
        var calleeLeg: WebRTCLeg?
        var bridge: MediaBridge?
        var offerSDP: String?
        var ringDeadline: Date?
        var tried: Set<String> = []
        var customData: JSONValue
        var callerMediaUp = false
        var calleeMediaUp = false
        var answered = false
        var video: Bool
    }

    let contactCenter: ContactCenter
    let media: MediaEngine
    let signaling: any CallSignaling
    let clock: any WallClock
    let logger: Logger
    private var calls: [String: ActiveCall] = [:]
    private var lastCallEnded: [String: Date] = [:]

    public init(
        contactCenter: ContactCenter, media: MediaEngine, signaling: any CallSignaling, clock: any WallClock,
        logger: Logger = Logger(label: "calls")
    ) {
        self.contactCenter = contactCenter
        self.media = media
        self.signaling = signaling
        self.clock = clock
        self.logger = logger
    }

    public var activeCallCount: Int { calls.count }

    /// `callConversations`: a party offers a call. Agents call out (`isOutbound` custom data);
    /// anyone else calls the center. Returns the call id, conversation id and the SDP answer.
    public func start(from identity: String, agent: Agent?, sdp: String, customData: JSONValue) async throws -> (
        callId: String, conversationId: String, answer: String
    ) {
        let offer: SessionDescription
        do { offer = try SessionDescription.parse(sdp) } catch {
            throw CallRefusal(.invalidRequest, "SDP: \(error.description)")
        }
        let isOutbound = customData["isOutbound"]?.boolValue == true
        var target: (identity: String?, queueId: String?, conversationId: String)
        if isOutbound {
            target = try await outboundTarget(agent: agent, identity: identity, customData: customData)
        } else {
            target = try await inboundTarget(identity: identity, customData: customData)
        }
        let eventLoop = media.nextEventLoop()
        let callerLeg = try await media.makeLeg(on: eventLoop)
        let answer: SessionDescription
        let negotiated: [WebRTCDescriptionBuilder.Negotiated]
        let setup: SetupRole
        do {
            (answer, negotiated, setup) = try WebRTCDescriptionBuilder.answer(
                to: offer, local: callerLeg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)))
        } catch {
            callerLeg.close()
            throw CallRefusal(.invalidRequest, "SDP: \(error.description)")
        }
        try await eventLoop.submit { try callerLeg.configure(remote: offer, negotiated: negotiated, localSetup: setup) }
            .get()
        let now = clock.now()
        let callId = Identifiers.uuid()
        let video = negotiated.contains { $0.kind == "video" && !$0.codecs.isEmpty }
        let record = CallRecord(
            id: callId, conversationId: target.conversationId, direction: isOutbound ? "OUTBOUND" : "INBOUND",
            caller: identity, callee: target.identity, agentId: isOutbound ? agent?.id : nil, queueId: target.queueId,
            state: .CALLING, video: video, createdAt: now, updatedAt: now)
        calls[callId] = ActiveCall(
            record: record, callerIdentity: identity, callerLeg: callerLeg, calleeIdentity: target.identity,
            customData: customData, video: video)
        try await contactCenter.store.save(record)
        watch(callerLeg, callId: callId, caller: true)
        await ringNext(callId)
        return (callId, target.conversationId, answer.text)
    }

    /// The callee answered with its SDP.
    public func accept(_ callId: String, by identity: String, sdp: String) async throws {
        guard var call = calls[callId], call.calleeIdentity == identity, !call.answered, let leg = call.calleeLeg else {
            throw CallRefusal(.invalidRequest, "no call \(callId) is ringing for you")
        }
        let negotiated: [WebRTCDescriptionBuilder.Negotiated]
        let setup: SetupRole
        let answer: SessionDescription
        do {
            answer = try SessionDescription.parse(sdp)
            (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(answer)
        } catch {
            throw CallRefusal(.invalidRequest, "SDP: \(error)")
        }
        try await leg.eventLoop.submit { try leg.configure(remote: answer, negotiated: negotiated, localSetup: setup) }
            .get()
        call.answered = true
        call.ringDeadline = nil
        let bridge = MediaBridge(call.callerLeg, leg)
        bridge.onDTMF = { [weak self] digit, fromCaller in
            Task { await self?.dtmf(callId, digit: digit, fromCaller: fromCaller) }
        }
        call.bridge = bridge
        call.record.state = .PRE_ESTABLISHED
        call.record.answeredAt = clock.now()
        if call.record.direction == "INBOUND" { call.record.agentId = identity }
        calls[callId] = call
        if let agentId = call.record.agentId {
            try? await contactCenter.callStarted(agentId: agentId)
            if call.record.direction == "INBOUND" {
                _ = try? await contactCenter.assign(
                    call.record.conversationId, .object(["agentId": .string(agentId)]), by: .integration)
            }
        }
        await persist(callId)
        await checkEstablished(callId)
    }

    /// The callee declined: an agent of a queue passes the call on; a direct callee rejects it.
    public func decline(_ callId: String, by identity: String) async {
        guard let call = calls[callId], call.calleeIdentity == identity, !call.answered else { return }
        await signaling.send("call.hangup", ["callId": .string(callId), "errorCode": json(.rejected)], to: identity)
        withdrawOffer(callId)
        if call.record.direction == "INBOUND" {
            await ringNext(callId, lastOutcome: .rejected)
        } else {
            await end(callId, caller: .rejected, callee: nil)
        }
    }

    /// A party hung up.
    public func hangup(_ callId: String, by identity: String) async {
        guard let call = calls[callId] else { return }
        if identity == call.callerIdentity {
            await end(callId, caller: .normalHangup, callee: call.answered ? .normalHangup : .cancelled)
        } else if identity == call.calleeIdentity {
            if call.answered {
                await end(callId, caller: .normalHangup, callee: .normalHangup)
            } else {
                await decline(callId, by: identity)
            }
        }
    }

    /// The last signaling session of `identity` closed.
    public func sessionLost(_ identity: String) async {
        for (id, call) in calls {
            if call.callerIdentity == identity {
                await end(
                    id, caller: nil,
                    callee: call.answered
                        ? .normalHangup.withDescription("The other party's connection was lost.") : .cancelled)
            } else if call.calleeIdentity == identity {
                if call.answered {
                    await end(id, caller: HangupCode.signalingLost, callee: nil)
                } else {
                    withdrawOffer(id)
                    await ringNext(id)
                }
            }
        }
    }

    /// Ring deadlines, and agents who stopped being available while their phone rang (heartbeat
    /// expired, status changed): the offer moves on.
    public func tick() async {
        let now = clock.now()
        for (id, call) in calls where call.record.direction == "INBOUND" && !call.answered && call.ringDeadline != nil {
            guard let agentId = call.calleeIdentity, !(await contactCenter.registry.isRoutable(agentId)) else {
                continue
            }
            await signaling.send(
                "call.hangup",
                [
                    "callId": .string(id),
                    "errorCode": json(
                        .noAnswer.withDescription("The agent became unavailable while the call was ringing.")),
                ], to: agentId)
            withdrawOffer(id)
            await ringNext(id, lastOutcome: .noAnswer)
        }
        for (id, call) in calls {
            guard let deadline = call.ringDeadline, deadline <= now, let callee = call.calleeIdentity else { continue }
            await signaling.send("call.hangup", ["callId": .string(id), "errorCode": json(.noAnswer)], to: callee)
            withdrawOffer(id)
            if call.record.direction == "INBOUND" {
                await ringNext(id, lastOutcome: .noAnswer)
            } else {
                await end(id, caller: .noAnswer, callee: nil)
            }
        }
    }

    /// Calls of a conversation, newest first (ended ones from the store).
    public func calls(conversationId: String?) async throws -> [CallRecord] {
        var filters: [DocumentFilter] = []
        if let conversationId { filters.append(.equals("conversationId", conversationId)) }
        return try await contactCenter.store.list(
            CallRecord.self, DocumentQuery(collection: .call, filters: filters, orderBy: "createdAt", descending: true)
        ).items
    }

    /// A DTMF digit one party sent in band: the other party hears it in its media and gets a
    /// `call.dtmf` frame.
    private func dtmf(_ callId: String, digit: Character, fromCaller: Bool) async {
        guard let call = calls[callId], let other = fromCaller ? call.calleeIdentity : call.callerIdentity else {
            return
        }
        await signaling.send("call.dtmf", ["callId": .string(callId), "digit": .string(String(digit))], to: other)
    }

    /// The other party of `identity` in an active call.
    public func counterpart(of identity: String, in callId: String) -> String? {
        guard let call = calls[callId] else { return nil }
        if call.callerIdentity == identity { return call.calleeIdentity }
        return call.calleeIdentity == identity ? call.callerIdentity : nil
    }

    // MARK: - Internals

    private func outboundTarget(agent: Agent?, identity: String, customData: JSONValue) async throws -> (
        identity: String?, queueId: String?, conversationId: String
    ) {
        guard let agent else { throw CallRefusal(.forbidden, "only agents place outbound calls") }
        guard customData["outboundAgentId"]?.stringValue == agent.id else {
            throw CallRefusal(.forbidden, "outboundAgentId must be the signed-in agent \(agent.id)")
        }
        let clientType = customData["calleeClientType"]?.stringValue ?? "WebRTC"
        guard clientType.uppercased() == "WEBRTC" else {
            if clientType.uppercased() == "PSTN" {
                throw CallRefusal(
                    .callTypeUnavailable,
                    "calleeClientType PSTN needs a SIP trunk, which this gateway does not have yet")
            }
            throw CallRefusal(.invalidRequest, "calleeClientType must be WebRTC or PSTN, got '\(clientType)'")
        }
        guard let to = customData["outboundTo"]?.stringValue, !to.isEmpty else {
            throw CallRefusal(.invalidRequest, "outboundTo is required")
        }
        guard let conversationId = customData["conversationId"]?.stringValue,
            let conversation = try? await contactCenter.conversation(conversationId).conversation
        else { throw CallRefusal(.invalidRequest, "conversationId must name an existing conversation") }
        guard conversation.agentId == agent.id else {
            throw CallRefusal(.forbidden, "conversation \(conversationId) is not assigned to agent \(agent.id)")
        }
        guard await signaling.isConnected(to) else {
            throw CallRefusal(.destinationNotFound, "'\(to)' is not connected")
        }
        return (to, conversation.queueId, conversationId)
    }

    private func inboundTarget(identity: String, customData: JSONValue) async throws -> (
        identity: String?, queueId: String?, conversationId: String
    ) {
        var queueId = customData["queueId"]?.stringValue
        if queueId == nil {
            queueId = try await contactCenter.queues(nameContains: nil, PageRequest(limit: 1, orderBy: "createdAt"))
                .items.first?.id
        }
        guard let queueId, (try? await contactCenter.queue(queueId)) != nil else {
            throw CallRefusal(.invalidRequest, "no queue to route the call to")
        }
        let conversation = try await contactCenter.startCallConversation(customerIdentity: identity, queueId: queueId)
        return (nil, queueId, conversation.id)
    }

    /// Offers an inbound call to the next agent, or the callee of an outbound call.
    private func ringNext(_ callId: String, lastOutcome: HangupCode = .noAvailableAgent) async {
        guard var call = calls[callId] else { return }
        var callee = call.calleeIdentity
        if call.record.direction == "INBOUND" {
            callee = await nextAgent(for: call)
            guard let agentId = callee else {
                await end(callId, caller: call.tried.isEmpty ? .noAvailableAgent : lastOutcome, callee: nil)
                return
            }
            call.tried.insert(agentId)
            call.calleeIdentity = agentId
        }
        guard let callee else { return }
        let leg: WebRTCLeg
        do {
            leg = try await media.makeLeg(on: call.callerLeg.eventLoop)
        } catch {
            await end(callId, caller: .mediaFailure.withDescription("\(error)"), callee: nil)
            return
        }
        let offer = WebRTCDescriptionBuilder.offer(
            local: leg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: call.video)
        call.calleeLeg = leg
        call.offerSDP = offer.text
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        let seconds = (call.record.direction == "INBOUND" ? timeouts["inbound"] : timeouts["outbound"])?.intValue ?? 30
        call.ringDeadline = clock.now().addingTimeInterval(TimeInterval(seconds))
        call.record.state = .RINGING
        calls[callId] = call
        watch(leg, callId: callId, caller: false)
        let delivered = await signaling.send(
            "call.incoming",
            [
                "callId": .string(callId), "conversationId": .string(call.record.conversationId),
                "sdp": .string(offer.text),
                "counterpart": .object(["identity": .string(call.callerIdentity)]), "customData": call.customData,
                "video": .bool(call.video),
            ], to: callee)
        if delivered == 0 {
            call.calleeLeg = nil
            calls[callId] = call
            leg.close()
            if call.record.direction == "INBOUND" { return await ringNext(callId) }
            return await end(callId, caller: .destinationNotFound, callee: nil)
        }
        await signaling.send("call.ringing", ["callId": .string(callId)], to: call.callerIdentity)
        await persist(callId)
    }

    private func nextAgent(for call: ActiveCall) async -> String? {
        guard let queueId = call.record.queueId,
            let members = try? await contactCenter.agentIds(inQueue: queueId)
        else { return nil }
        let busy = Set(calls.values.compactMap { $0.calleeIdentity })
        var candidates: [(String, Date)] = []
        for agentId in members where !call.tried.contains(agentId) && !busy.contains(agentId) {
            guard await contactCenter.registry.isRoutable(agentId), await signaling.isConnected(agentId) else {
                continue
            }
            candidates.append((agentId, lastCallEnded[agentId] ?? .distantPast))
        }
        return candidates.sorted { $0.1 < $1.1 }.first?.0
    }

    private func watch(_ leg: WebRTCLeg, callId: String, caller: Bool) {
        leg.onEvent = { [weak self] event in
            Task { await self?.legEvent(callId, caller: caller, event) }
        }
    }

    private func legEvent(_ callId: String, caller: Bool, _ event: LegEvent) async {
        guard var call = calls[callId] else { return }
        switch event {
        case .established:
            if caller { call.callerMediaUp = true } else { call.calleeMediaUp = true }
            calls[callId] = call
            await checkEstablished(callId)
        case .failed(let reason):
            logger.warning("leg failed", metadata: ["callId": "\(callId)", "reason": "\(reason)"])
            let code = HangupCode.mediaFailure.withDescription(reason)
            await end(callId, caller: code, callee: call.calleeIdentity == nil ? nil : code)
        }
    }

    private func checkEstablished(_ callId: String) async {
        guard var call = calls[callId], call.answered, call.callerMediaUp, call.calleeMediaUp,
            call.record.state != .ESTABLISHED
        else { return }
        call.record.state = .ESTABLISHED
        calls[callId] = call
        await persist(callId)
        await signaling.send("call.established", ["callId": .string(callId)], to: call.callerIdentity)
        if let callee = call.calleeIdentity {
            await signaling.send("call.established", ["callId": .string(callId)], to: callee)
        }
    }

    /// Ends a call; `caller`/`callee` are the codes sent to each side (nil: not told).
    private func end(_ callId: String, caller: HangupCode?, callee: HangupCode?) async {
        guard var call = calls.removeValue(forKey: callId) else { return }
        call.bridge?.unbridge()
        call.callerLeg.close()
        call.calleeLeg?.close()
        let now = clock.now()
        call.record.endedAt = now
        call.record.updatedAt = now
        call.record.hangupCode = caller ?? callee
        call.record.state =
            switch (call.answered, (caller ?? callee)?.id) {
            case (true, _): .FINISHED
            case (false, HangupCode.noAnswer.id), (false, HangupCode.noAvailableAgent.id): .NO_ANSWER
            case (false, HangupCode.busy.id): .BUSY
            case (false, HangupCode.cancelled.id), (false, HangupCode.normalHangup.id): .CANCELLED
            default: .FAILED
            }
        try? await contactCenter.store.save(call.record)
        if let caller {
            await signaling.send(
                "call.hangup", ["callId": .string(callId), "errorCode": json(caller)], to: call.callerIdentity)
        }
        if let callee, let identity = call.calleeIdentity {
            await signaling.send("call.hangup", ["callId": .string(callId), "errorCode": json(callee)], to: identity)
        }
        if call.answered, let agentId = call.record.agentId {
            lastCallEnded[agentId] = now
            try? await contactCenter.callEnded(agentId: agentId)
        }
    }

    /// Withdraws the offer to the current callee (its leg closes); the call itself goes on.
    private func withdrawOffer(_ callId: String) {
        guard var call = calls[callId] else { return }
        call.calleeLeg?.close()
        call.calleeLeg = nil
        call.ringDeadline = nil
        calls[callId] = call
    }

    private func persist(_ callId: String) async {
        guard var call = calls[callId] else { return }
        call.record.updatedAt = clock.now()
        calls[callId] = call
        try? await contactCenter.store.save(call.record)
    }

    private func json(_ code: HangupCode) -> JSONValue {
        .object(["id": .int(Int64(code.id)), "name": .string(code.name), "description": .string(code.description)])
    }
}
