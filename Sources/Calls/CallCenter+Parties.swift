import ContactCenter
import Foundation
import Media
import SDP
import SignalingFrames

/// What the signaling parties ask of calls: start one, answer, decline, hang up; their
/// connections coming and going; and time passing.
extension CallCenter {
    /// `callConversations`: a party offers a call. Agents call out (`isOutbound` custom data);
    /// anyone else calls the center. Returns the call id, conversation id and the SDP answer.
    public func start(from identity: String, agent: Agent?, sdp: String, customData: JSONValue) async throws -> (
        callId: String, conversationId: String, answer: String
    ) {
        let offer: SessionDescription
        do { offer = try SessionDescription.parse(sdp) } catch {
            throw CallRefusal(.invalidRequest, "SDP: \(error.description)")
        }
        try admitCall()
        var channel: SIPTrunk?
        var begun = false
        defer { if !begun { admissionEnded(channel: channel) } }
        let isOutbound = customData["isOutbound"]?.boolValue == true
        var target: (identity: String?, queueId: String?, conversationId: String)
        var phone: PhoneSide?
        var priority = ConversationPriority.NORMAL
        if isOutbound {
            (target, phone) = try await outboundTarget(agent: agent, identity: identity, customData: customData)
            if let phone {
                try admitChannel(on: phone.trunk)
                channel = phone.trunk
            }
        } else {
            let conversation = try await inboundConversation(identity: identity, customData: customData)
            target = (nil, conversation.queueId, conversation.id)
            priority = conversation.priority
        }
        let eventLoop = media.nextEventLoop()
        let callerLeg = try await media.makeLeg(on: eventLoop)
        let answer: SessionDescription
        let negotiated: [WebRTCDescriptionBuilder.Negotiated]
        let video: Bool
        do {
            let setup: SetupRole
            (answer, negotiated, setup) = try WebRTCDescriptionBuilder.answer(
                to: offer, local: callerLeg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)),
                allowVideo: phone == nil, narrowbandOpus: phone != nil)
            try await eventLoop.submit {
                try callerLeg.configure(remote: offer, negotiated: negotiated, localSetup: setup)
            }
            .get()
            video = phone == nil && negotiated.contains { $0.kind == "video" && !$0.codecs.isEmpty }
        } catch {
            callerLeg.close()
            throw CallRefusal(.invalidRequest, "SDP: \(error)")
        }
        let now = clock.now()
        let record = CallRecord(
            id: Identifiers.uuid(), conversationId: target.conversationId,
            direction: isOutbound ? "OUTBOUND" : "INBOUND", caller: identity, callee: target.identity,
            agentId: isOutbound ? agent?.id : nil, queueId: target.queueId, state: .CALLING, video: video,
            createdAt: now, updatedAt: now)
        do { try await saveRecord(record) } catch {
            callerLeg.close()
            throw error
        }
        let session = CallSession(
            record: record, callerKind: .browser, calleeKind: phone == nil ? .browser : .phone,
            callee: target.identity, signalingGraceSeconds: signalingGraceSeconds)
        var state = CallMediaState(
            graph: makeGraph(on: callerLeg.eventLoop),
            callerMedia: .webRTC(callerLeg), phone: phone, customData: customData, video: video)
        state.priority = priority
        begun = true
        await begin(session, state, channel: channel)
        return (record.id, target.conversationId, answer.text)
    }

    /// The callee (or a callback's customer) answered with its SDP.
    public func accept(_ callId: String, by identity: String, sdp: String) async throws {
        if sessions[callId]?.monitors[identity] != nil || sessions[callId]?.consultation?.target == identity {
            let answer: SessionDescription
            do { answer = try SessionDescription.parse(sdp) } catch {
                throw CallRefusal(.invalidRequest, "SDP: \(error)")
            }
            do {
                if try await acceptMonitor(callId, by: identity, answer: answer) { return }
                if try await acceptConsultation(callId, by: identity, answer: answer) { return }
            } catch let refusal as CallRefusal {
                throw refusal
            } catch {
                throw CallRefusal(.invalidRequest, "SDP: \(error)")
            }
        }
        let leg: WebRTCLeg
        let epoch: Int
        if let session = sessions[callId], session.isCallingBack, session.caller == identity,
            let callerLeg = mediaStates[callId]?.callerMedia.webRTC
        {
            (leg, epoch) = (callerLeg, session.epoch)
        } else {
            guard let session = sessions[callId], case .ringing = session.phase, session.callee == identity,
                session.calleeKind == .browser, let callee = mediaStates[callId]?.callee,
                callee.epoch == session.epoch, let calleeLeg = callee.media.webRTC
            else {
                throw CallRefusal(.invalidRequest, "no call \(callId) is ringing for you")
            }
            (leg, epoch) = (calleeLeg, callee.epoch)
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
        guard await input(callId, .accepted(by: identity, epoch: epoch)) else {
            throw CallRefusal(.invalidRequest, "call \(callId) ended or moved on while it was being answered")
        }
    }

    /// The callee declined: an agent of a queue passes the call on; a direct callee rejects it.
    public func decline(_ callId: String, by identity: String) async {
        await input(callId, .declined(by: identity))
    }

    /// A party hung up.
    public func hangup(_ callId: String, by identity: String) async {
        await input(callId, .hungUp(by: identity))
    }

    /// The last signaling session of `identity` closed. Calls it had not answered yet move on
    /// (or are cancelled); answered calls keep their media and wait the signaling grace for
    /// the party to reconnect (`sessionResumed`) before they end with SIGNALING_LOST.
    public func sessionLost(_ identity: String) async {
        for (id, session) in sessions where session.side(of: identity) != nil {
            await input(id, .signalingLost(identity))
        }
    }

    /// `identity` connected again: its calls stop waiting for it. Returns the calls it is in (for
    /// the `welcome` frame) and the `call.hangup` frames it missed while away.
    public func sessionResumed(_ identity: String) -> (calls: [JSONValue], missed: [CallFrame]) {
        var active: [JSONValue] = []
        for (id, var session) in sessions where session.caller == identity || session.callee == identity {
            _ = session.handle(.signalingResumed(identity), now: clock.now())
            sessions[id] = session
            let counterpart = session.caller == identity ? session.callee : session.caller
            active.append(
                .object([
                    "callId": .string(id), "conversationId": .string(session.record.conversationId),
                    "state": .string(session.record.state.rawValue),
                    "counterpart": .object(["identity": counterpart.map(JSONValue.string) ?? .null]),
                ]))
        }
        let cutoff = clock.now().addingTimeInterval(-600)
        let missed = (undelivered.removeValue(forKey: identity) ?? []).filter { $0.at > cutoff }.map(\.frame)
        return (active, missed)
    }

    /// Moves calls to the clock's now: deadlines that passed (ring timeouts, graces), agents
    /// who stopped being available while their phone rang, and waiting calls whose agent may
    /// have become free.
    public func tick() async {
        let now = clock.now()
        statistics.sampleWaiting(waitingCallers().mapValues(\.count), now: now)
        await sweepRecordingRetention(now: now)
        for (id, session) in sessions where session.nextDeadline.map({ $0 <= now }) ?? false {
            await input(id, .timer)
        }
        let ringing = sessions.values.filter { session in
            guard session.customerIsCaller, session.calleeKind == .browser, case .ringing = session.phase else {
                return false
            }
            return session.callee != nil
        }
        if !ringing.isEmpty {
            let unavailable = await contactCenter.registry.unroutable(among: ringing.compactMap(\.callee))
            for session in ringing {
                guard let agent = session.callee, unavailable.contains(agent) else { continue }
                await input(session.id, .agentUnavailable(agent))
            }
        }
        // Agents becoming free are followed by events; the sweep is the safety net and ends
        // waits that nobody signed in can answer any more.
        if now.timeIntervalSince(lastSweep) >= Self.sweepInterval {
            lastSweep = now
            await dispatch(sweep: true)
            await refreshPositions()
        }
    }

    /// Calls of a conversation, newest first (ended ones from the store).
    public func calls(conversationId: String?, agentId: String? = nil, since: Date? = nil) async throws
        -> [CallRecord]
    {
        var filters: [DocumentFilter] = []
        if let conversationId { filters.append(.equals("conversationId", conversationId)) }
        if let agentId { filters.append(.equals("agentId", agentId)) }
        if let since { filters.append(.createdAfter(since)) }
        return try await contactCenter.store.list(
            CallRecord.self, DocumentQuery(collection: .call, filters: filters, orderBy: "createdAt", descending: true)
        ).items
    }

    /// The other party of `identity` in an active call.
    public func counterpart(of identity: String, in callId: String) -> String? {
        guard let session = sessions[callId] else { return nil }
        if session.caller == identity { return session.callee }
        return session.callee == identity ? session.caller : nil
    }

    // MARK: - Targets

    private func outboundTarget(agent: Agent?, identity: String, customData: JSONValue) async throws -> (
        (identity: String?, queueId: String?, conversationId: String), PhoneSide?
    ) {
        guard let agent else { throw CallRefusal(.forbidden, "only agents place outbound calls") }
        guard customData["outboundAgentId"]?.stringValue == agent.id else {
            throw CallRefusal(.forbidden, "outboundAgentId must be the signed-in agent \(agent.id)")
        }
        let clientType = (customData["calleeClientType"]?.stringValue ?? "WebRTC").uppercased()
        guard clientType == "WEBRTC" || clientType == "PSTN" else {
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
        if clientType == "PSTN" {
            let phone = try await phoneTarget(to: to, customData: customData)
            return ((to, conversation.queueId, conversationId), phone)
        }
        guard await signaling.isConnected(to) else {
            throw CallRefusal(.destinationNotFound, "'\(to)' is not connected")
        }
        return ((to, conversation.queueId, conversationId), nil)
    }

    /// The conversation of an in-app call to the center, in the queue named by the custom data
    /// (or the oldest queue).
    private func inboundConversation(identity: String, customData: JSONValue) async throws -> Conversation {
        var queueId = customData["queueId"]?.stringValue
        if queueId == nil {
            queueId = try await contactCenter.queues(nameContains: nil, PageRequest(limit: 1, orderBy: "createdAt"))
                .items.first?.id
        }
        guard let queueId, (try? await contactCenter.queue(queueId)) != nil else {
            throw CallRefusal(.invalidRequest, "no queue to route the call to")
        }
        return try await contactCenter.startCallConversation(customerIdentity: identity, queueId: queueId)
    }
}
