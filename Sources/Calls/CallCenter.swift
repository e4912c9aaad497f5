import ContactCenter
import Foundation
import Logging
import Media
import SDP

/// Runs calls: answers the caller's offer on a gateway leg, rings agents (longest idle first)
/// or the callee, bridges media when the call is answered, and ends both sides with Infobip's
/// hang-up codes. Either side may be a phone on a SIP trunk (see `CallCenter+Phone`). Ring
/// deadlines move with `tick()` on the injected clock.
public actor CallCenter {
    /// The phone side of a call, when it has one.
    struct PhoneSide {
        var trunk: SIPTrunk
        /// The far end's number (caller of an inbound call, callee of an outbound one).
        var number: String
        var callerId: String
        /// Whether the phone is the callee (outbound call) rather than the caller.
        var isCallee: Bool
        /// Inbound: the SDP answer sent with the 200 when an agent answers.
        var answerSDP: String?
        var preference: [String]
        /// The agent put the phone on hold (the last re-INVITE said `sendonly`).
        var heldByAgent = false
    }

    struct ActiveCall {
        var record: CallRecord
        let callerIdentity: String
        let callerMedia: CallMedia
        var calleeIdentity: String?
        var calleeMedia: CallMedia?
        var bridge: (any CallBridge)?
        var phone: PhoneSide?
        var offerSDP: String?
        var ringDeadline: Date?
        var tried: Set<String> = []
        var customData: JSONValue
        var callerMediaUp = false
        var calleeMediaUp = false
        var answered = false
        var video: Bool
        /// When a party's last signaling session closed during the answered call; the call
        /// waits `signalingGrace` for it to come back.
        var signalingLostAt: [String: Date] = [:]
        /// When a party closed its DTLS association, and whether it was the caller: its
        /// `call.hangup` may follow on signaling within `closedMediaGrace`; else the call fails.
        var mediaClosed: (at: Date, byCaller: Bool)?
    }

    /// How long a call whose party closed its media waits for that party's `call.hangup`
    /// (a browser hanging up sends it and closes its connection at once, in either order).
    static let closedMediaGrace: TimeInterval = 1

    let contactCenter: ContactCenter
    let media: MediaEngine
    let signaling: any CallSignaling
    let clock: any WallClock
    let logger: Logger
    /// Calls carried at once; more are refused.
    let maxCalls: Int
    /// Opus complexity of calls transcoded to G.711.
    let opusComplexity: Int
    /// How long an answered call waits for a party whose signaling dropped (media keeps flowing).
    let signalingGrace: TimeInterval
    var phoneNetwork: (any PhoneNetwork)?
    /// `call.hangup` frames a party could not be given because it was not connected, handed over
    /// when it connects again (at most 10 per party, for 10 minutes).
    private var undelivered: [String: [(at: Date, fields: [String: JSONValue])]] = [:]
    var calls: [String: ActiveCall] = [:]
    private var lastCallEnded: [String: Date] = [:]

    public init(
        contactCenter: ContactCenter, media: MediaEngine, signaling: any CallSignaling, clock: any WallClock,
        maxCalls: Int = 1000, opusComplexity: Int = 5, signalingGraceSeconds: Int = 20,
        logger: Logger = Logger(label: "calls")
    ) {
        self.signalingGrace = TimeInterval(signalingGraceSeconds)
        self.contactCenter = contactCenter
        self.media = media
        self.signaling = signaling
        self.clock = clock
        self.maxCalls = maxCalls
        self.opusComplexity = opusComplexity
        self.logger = logger
    }

    /// Connects the phone network (SIP trunks).
    public func attach(phoneNetwork: any PhoneNetwork) { self.phoneNetwork = phoneNetwork }

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
        guard calls.count < maxCalls else {
            throw CallRefusal(.serviceUnavailable, "the gateway carries its maximum of \(maxCalls) calls")
        }
        let isOutbound = customData["isOutbound"]?.boolValue == true
        var target: (identity: String?, queueId: String?, conversationId: String)
        var phone: PhoneSide?
        if isOutbound {
            (target, phone) = try await outboundTarget(agent: agent, identity: identity, customData: customData)
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
                to: offer, local: callerLeg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)),
                allowVideo: phone == nil, narrowbandOpus: phone != nil)
        } catch {
            callerLeg.close()
            throw CallRefusal(.invalidRequest, "SDP: \(error.description)")
        }
        try await eventLoop.submit { try callerLeg.configure(remote: offer, negotiated: negotiated, localSetup: setup) }
            .get()
        let now = clock.now()
        let callId = Identifiers.uuid()
        let video = phone == nil && negotiated.contains { $0.kind == "video" && !$0.codecs.isEmpty }
        let record = CallRecord(
            id: callId, conversationId: target.conversationId, direction: isOutbound ? "OUTBOUND" : "INBOUND",
            caller: identity, callee: target.identity, agentId: isOutbound ? agent?.id : nil, queueId: target.queueId,
            state: .CALLING, video: video, createdAt: now, updatedAt: now)
        calls[callId] = ActiveCall(
            record: record, callerIdentity: identity, callerMedia: .webRTC(callerLeg), calleeIdentity: target.identity,
            phone: phone, customData: customData, video: video)
        try await contactCenter.store.save(record)
        watch(.webRTC(callerLeg), callId: callId, caller: true)
        await ringNext(callId)
        return (callId, target.conversationId, answer.text)
    }

    /// The callee answered with its SDP.
    public func accept(_ callId: String, by identity: String, sdp: String) async throws {
        guard let ringing = calls[callId], ringing.calleeIdentity == identity, !ringing.answered,
            let leg = ringing.calleeMedia?.webRTC
        else {
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
        // Read the call again: while the leg was configured, its media may already have come up
        // (a fast client) or the caller may have hung up.
        guard var call = calls[callId], !call.answered, call.calleeIdentity == identity,
            call.calleeMedia?.webRTC === leg
        else {
            throw CallRefusal(.invalidRequest, "call \(callId) ended or moved on while it was being answered")
        }
        call.answered = true
        call.ringDeadline = nil
        do {
            call.bridge = try bridge(callId, caller: call.callerMedia, callee: .webRTC(leg))
        } catch {
            calls[callId] = call
            await end(callId, caller: .mediaFailure.withDescription("\(error)"), callee: .mediaFailure)
            throw CallRefusal(.mediaFailure, "\(error)")
        }
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
        if let answer = call.phone?.answerSDP, !call.phone!.isCallee {
            await phoneNetwork?.answer(callId: callId, sdp: answer)
        }
        await checkEstablished(callId)
    }

    /// Relays media between the legs: as is between two WebRTC legs, transcoded towards a trunk.
    /// DTMF either way is reported as `call.dtmf`.
    func bridge(_ callId: String, caller: CallMedia, callee: CallMedia) throws -> any CallBridge {
        let report: @Sendable (Character, Bool) -> Void = { [weak self] digit, fromCaller in
            Task { await self?.dtmf(callId, digit: digit, fromCaller: fromCaller) }
        }
        switch (caller, callee) {
        case (.webRTC(let a), .webRTC(let b)):
            let bridge = MediaBridge(a, b)
            bridge.onDTMF = report
            return bridge
        case (.webRTC(let web), .rtp(let rtp)), (.rtp(let rtp), .webRTC(let web)):
            let bridge = try TranscodingBridge(webRTC: web, rtp: rtp, opusComplexity: opusComplexity)
            let webIsCaller = caller.webRTC != nil
            bridge.onDTMF = { digit, fromWebRTC in report(digit, fromWebRTC == webIsCaller) }
            return bridge
        case (.rtp, .rtp):
            throw MediaError.sdp("a call between two trunks is not supported")
        }
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

    /// The last signaling session of `identity` closed. Calls it had not answered yet move on
    /// (or are cancelled); answered calls keep their media and wait `signalingGrace` for the
    /// party to reconnect (`sessionResumed`) before they end with SIGNALING_LOST.
    public func sessionLost(_ identity: String) async {
        let now = clock.now()
        for (id, call) in calls {
            let isCaller = call.callerIdentity == identity && call.phone?.isCallee != false
            let isCallee = call.calleeIdentity == identity && call.phone?.isCallee != true
            guard isCaller || isCallee else { continue }
            if call.answered, signalingGrace > 0 {
                calls[id]?.signalingLostAt[identity] = now
                logger.info("signaling lost during a call; waiting", metadata: ["callId": "\(id)"])
                continue
            }
            if isCaller {
                await end(
                    id, caller: nil,
                    callee: call.answered
                        ? .normalHangup.withDescription("The other party's connection was lost.") : .cancelled)
            } else if call.answered {
                await end(id, caller: HangupCode.signalingLost, callee: nil)
            } else {
                withdrawOffer(id)
                await ringNext(id)
            }
        }
    }

    /// `identity` connected again: its calls stop waiting for it. Returns the calls it is in (for
    /// the `welcome` frame) and the `call.hangup` frames it missed while away.
    public func sessionResumed(_ identity: String) -> (calls: [JSONValue], missed: [[String: JSONValue]]) {
        var active: [JSONValue] = []
        for (id, call) in calls where call.callerIdentity == identity || call.calleeIdentity == identity {
            calls[id]?.signalingLostAt[identity] = nil
            let counterpart = call.callerIdentity == identity ? call.calleeIdentity : call.callerIdentity
            active.append(
                .object([
                    "callId": .string(id), "conversationId": .string(call.record.conversationId),
                    "state": .string(call.record.state.rawValue),
                    "counterpart": .object(["identity": counterpart.map(JSONValue.string) ?? .null]),
                ]))
        }
        let cutoff = clock.now().addingTimeInterval(-600)
        let missed = (undelivered.removeValue(forKey: identity) ?? []).filter { $0.at > cutoff }.map(\.fields)
        return (active, missed)
    }

    /// Answered calls whose party did not come back within the grace end: the party that stayed
    /// hears SIGNALING_LOST now, the one that left when it reconnects.
    private func endAbandonedCalls(now: Date) async {
        for (id, call) in calls {
            if let closed = call.mediaClosed, now.timeIntervalSince(closed.at) >= Self.closedMediaGrace {
                let code = HangupCode.mediaFailure.withDescription(
                    "The \(closed.byCaller ? "caller" : "callee") closed its media (DTLS close_notify) without hanging up."
                )
                await end(id, caller: code, callee: call.calleeIdentity == nil ? nil : code)
                continue
            }
            guard let (identity, since) = call.signalingLostAt.min(by: { $0.value < $1.value }),
                now.timeIntervalSince(since) >= signalingGrace
            else { continue }
            let text = "The signaling connection of \(identity) was lost for more than \(Int(signalingGrace)) s."
            let code = HangupCode.signalingLost.withDescription(text)
            await end(id, caller: code, callee: call.calleeIdentity == nil ? nil : code)
        }
    }

    /// Ring deadlines, and agents who stopped being available while their phone rang (heartbeat
    /// expired, status changed): the offer moves on.
    public func tick() async {
        let now = clock.now()
        await endAbandonedCalls(now: now)
        // Each call is read again after every await: while this loop waits on another actor, an
        // agent may answer (and turn BUSY), or the call may end. Acting on the snapshot would
        // take an answered call away from its agent.
        for id in calls.keys {
            guard let ringing = calls[id], ringing.record.direction == "INBOUND", !ringing.answered,
                ringing.ringDeadline != nil, let agentId = ringing.calleeIdentity,
                !(await contactCenter.registry.isRoutable(agentId))
            else { continue }
            guard let call = calls[id], !call.answered, call.calleeIdentity == agentId else { continue }
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
        for id in calls.keys {
            guard let call = calls[id], !call.answered, let deadline = call.ringDeadline, deadline <= now,
                let callee = call.calleeIdentity
            else { continue }
            if call.phone?.isCallee == true {
                await end(id, caller: .noAnswer, callee: .noAnswer)
                continue
            }
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
    func dtmf(_ callId: String, digit: Character, fromCaller: Bool) async {
        guard let call = calls[callId], let other = fromCaller ? call.calleeIdentity : call.callerIdentity else {
            return
        }
        // A phone hears the digit in its audio; it has no signaling to tell.
        if let phone = call.phone, phone.isCallee == fromCaller { return }
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
    func ringNext(_ callId: String, lastOutcome: HangupCode = .noAvailableAgent) async {
        guard let waiting = calls[callId] else { return }
        var callee = waiting.calleeIdentity
        if waiting.record.direction == "INBOUND" {
            callee = await nextAgent(for: waiting)
            guard let agentId = callee else {
                await end(callId, caller: waiting.tried.isEmpty ? .noAvailableAgent : lastOutcome, callee: nil)
                return
            }
            guard calls[callId] != nil else { return }
            calls[callId]?.tried.insert(agentId)
            calls[callId]?.calleeIdentity = agentId
        }
        guard let callee else { return }
        if waiting.phone?.isCallee == true { return await dialPhone(callId) }
        let leg: WebRTCLeg
        do {
            leg = try await media.makeLeg(on: waiting.callerMedia.eventLoop)
        } catch {
            await end(callId, caller: .mediaFailure.withDescription("\(error)"), callee: nil)
            return
        }
        let offer = WebRTCDescriptionBuilder.offer(
            local: leg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: waiting.video,
            narrowbandOpus: waiting.phone != nil)
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        // Read the call again after the awaits: it may have ended, or its caller's media come up.
        guard var call = calls[callId] else { return leg.close() }
        call.calleeMedia = .webRTC(leg)
        call.offerSDP = offer.text
        let seconds = (call.record.direction == "INBOUND" ? timeouts["inbound"] : timeouts["outbound"])?.intValue ?? 30
        call.ringDeadline = clock.now().addingTimeInterval(TimeInterval(seconds))
        call.record.state = .RINGING
        calls[callId] = call
        watch(.webRTC(leg), callId: callId, caller: false)
        let delivered = await signaling.send(
            "call.incoming",
            [
                "callId": .string(callId), "conversationId": .string(call.record.conversationId),
                "sdp": .string(offer.text),
                "counterpart": .object(["identity": .string(call.callerIdentity)]), "customData": call.customData,
                "video": .bool(call.video),
            ], to: callee)
        if delivered == 0 {
            leg.close()
            guard calls[callId] != nil else { return }
            calls[callId]?.calleeMedia = nil
            if call.record.direction == "INBOUND" { return await ringNext(callId) }
            return await end(callId, caller: .destinationNotFound, callee: nil)
        }
        if call.phone == nil {
            await signaling.send("call.ringing", ["callId": .string(callId)], to: call.callerIdentity)
        } else {
            await phoneNetwork?.ringing(callId: callId)
        }
        await persist(callId)
    }

    private func nextAgent(for call: ActiveCall) async -> String? {
        guard let queueId = call.record.queueId,
            let members = try? await contactCenter.agentIds(inQueue: queueId)
        else { return nil }
        let offered = Set(calls.values.compactMap { $0.calleeIdentity })
        let routable = await contactCenter.registry.routable(
            members.filter { !call.tried.contains($0) && !offered.contains($0) })
        var candidates: [(String, Date)] = []
        for agentId in routable where await signaling.isConnected(agentId) {
            candidates.append((agentId, lastCallEnded[agentId] ?? .distantPast))
        }
        // Who is busy is read after the awaits above, and the caller claims the agent before its
        // next await: two calls routed at once never pick the same agent.
        let busy = Set(calls.values.compactMap { $0.calleeIdentity })
        return candidates.filter { !busy.contains($0.0) }.sorted { $0.1 < $1.1 }.first?.0
    }

    func watch(_ media: CallMedia, callId: String, caller: Bool) {
        let handler: @Sendable (LegEvent) -> Void = { [weak self] event in
            Task { await self?.legEvent(callId, caller: caller, event) }
        }
        switch media {
        case .webRTC(let leg): leg.onEvent = handler
        case .rtp(let leg): leg.onEvent = handler
        }
    }

    private func legEvent(_ callId: String, caller: Bool, _ event: LegEvent) async {
        guard var call = calls[callId] else { return }
        switch event {
        case .established:
            if caller { call.callerMediaUp = true } else { call.calleeMediaUp = true }
            calls[callId] = call
            await checkEstablished(callId)
        case .closedByPeer:
            guard call.mediaClosed == nil else { return }
            call.mediaClosed = (clock.now(), caller)
            calls[callId] = call
        case .failed(let reason):
            logger.warning("leg failed", metadata: ["callId": "\(callId)", "reason": "\(reason)"])
            let code = HangupCode.mediaFailure.withDescription(reason)
            await end(callId, caller: code, callee: call.calleeIdentity == nil ? nil : code)
        }
    }

    func checkEstablished(_ callId: String) async {
        guard var call = calls[callId], call.answered, call.callerMediaUp, call.calleeMediaUp,
            call.record.state != .ESTABLISHED
        else { return }
        call.record.state = .ESTABLISHED
        calls[callId] = call
        await persist(callId)
        if call.phone?.isCallee != false {
            await signaling.send("call.established", ["callId": .string(callId)], to: call.callerIdentity)
        }
        if let callee = call.calleeIdentity, call.phone?.isCallee != true {
            await signaling.send("call.established", ["callId": .string(callId)], to: callee)
        }
    }

    /// Ends a call; `caller`/`callee` are the codes sent to each side (nil: not told).
    func end(_ callId: String, caller: HangupCode?, callee: HangupCode?) async {
        guard var call = calls.removeValue(forKey: callId) else { return }
        call.bridge?.unbridge()
        call.callerMedia.close()
        call.calleeMedia?.close()
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
            if let phone = call.phone, !phone.isCallee {
                if call.answered {
                    await phoneNetwork?.hangup(callId: callId, reason: caller)
                } else {
                    let (status, reason) = caller.sipStatus
                    await phoneNetwork?.reject(callId: callId, status: status, reason: reason)
                }
            } else {
                await tell(call.callerIdentity, ["callId": .string(callId), "errorCode": json(caller)])
            }
        }
        if let callee, let identity = call.calleeIdentity {
            if call.phone?.isCallee == true {
                await phoneNetwork?.hangup(callId: callId, reason: callee)
            } else {
                await tell(identity, ["callId": .string(callId), "errorCode": json(callee)])
            }
        }
        if call.answered, let agentId = call.record.agentId {
            lastCallEnded[agentId] = now
            try? await contactCenter.callEnded(agentId: agentId)
        }
    }

    /// Sends a `call.hangup`, or keeps it for the party's next connection.
    private func tell(_ identity: String, _ fields: [String: JSONValue]) async {
        guard await signaling.send("call.hangup", fields, to: identity) == 0 else { return }
        var kept = undelivered[identity] ?? []
        kept.append((clock.now(), fields))
        undelivered[identity] = Array(kept.suffix(10))
    }

    /// Withdraws the offer to the current callee (its leg closes); the call itself goes on.
    private func withdrawOffer(_ callId: String) {
        guard var call = calls[callId] else { return }
        call.calleeMedia?.close()
        call.calleeMedia = nil
        call.ringDeadline = nil
        calls[callId] = call
    }

    func persist(_ callId: String) async {
        guard var call = calls[callId] else { return }
        call.record.updatedAt = clock.now()
        calls[callId] = call
        try? await contactCenter.store.save(call.record)
    }

    func json(_ code: HangupCode) -> JSONValue {
        .object(["id": .int(Int64(code.id)), "name": .string(code.name), "description": .string(code.description)])
    }
}
