import ContactCenter
import Foundation
import Media
import SDP

/// Calls with a phone on a SIP trunk: inbound numbers join queues like in-app calls; agents
/// dial numbers with `calleeClientType` PSTN. The SIP service reports what the far end does.
extension CallCenter {
    /// A phone number as trunks dial it: an optional `+`, then 2 to 32 digits, `*` or `#`.
    static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (2...32).contains(digits.count)
            && digits.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "*" || $0 == "#") }
    }

    /// The trunk and caller id of an agent's call to a phone number.
    func phoneTarget(to number: String, customData: JSONValue) async throws -> PhoneSide {
        guard phoneNetwork != nil else {
            throw CallRefusal(.serviceUnavailable, "SIP is turned off on this gateway (sipPort and sipTLSPort 0)")
        }
        guard Self.isPhoneNumber(number) else {
            throw CallRefusal(.invalidRequest, "outboundTo must be a phone number (+ and 2-32 digits), got '\(number)'")
        }
        let trunks = try await contactCenter.sipTrunks()
        let trunk: SIPTrunk
        if let trunkId = customData["trunkId"]?.stringValue {
            guard let chosen = trunks.first(where: { $0.id == trunkId }) else {
                throw CallRefusal(.invalidRequest, "no SIP trunk with id \(trunkId)")
            }
            trunk = chosen
        } else {
            guard let first = trunks.first else {
                throw CallRefusal(.serviceUnavailable, "no SIP trunk is configured")
            }
            trunk = first
        }
        let callerId: String
        if let from = customData["outboundFrom"]?.stringValue, !from.isEmpty {
            guard
                trunk.numbers.contains(where: { $0.number == from }) || trunk.allowedCallerIds.contains(from)
                    || trunk.defaultCallerId == from
            else {
                throw CallRefusal(
                    .forbidden,
                    "outboundFrom \(from) is not a number of SIP trunk \(trunk.name) nor an allowed caller id")
            }
            callerId = from
        } else {
            guard let fallback = trunk.defaultCallerId ?? trunk.numbers.first?.number else {
                throw CallRefusal(
                    .invalidRequest, "outboundFrom is required: SIP trunk \(trunk.name) has no default caller id")
            }
            callerId = fallback
        }
        return PhoneSide(
            trunk: trunk, number: number, callerId: callerId, isCallee: true, answerSDP: nil,
            preference: trunk.codecs.map { $0.rawValue.lowercased() })
    }

    /// An INVITE to one of `trunk`'s numbers: the caller's conversation joins the number's queue
    /// and agents ring. Returns the call id and the SDP answer (sent with the 200 once an agent
    /// answers). Throws `CallRefusal`: `mediaFailure` for SDP without a common codec (488),
    /// `serviceUnavailable` over a limit or without a free media port (503).
    public func startFromPhone(
        callId: String = Identifiers.uuid(), trunk: SIPTrunk, number: SIPTrunkNumber, caller: String,
        offer sdp: String
    ) async throws -> (callId: String, answer: String) {
        try admitCall()
        do { try admitChannel(on: trunk) } catch {
            admissionEnded(channel: nil)
            throw error
        }
        var begun = false
        defer { if !begun { admissionEnded(channel: trunk) } }
        let offer: SessionDescription
        do { offer = try SessionDescription.parse(sdp) } catch {
            throw CallRefusal(.mediaFailure, "SDP: \(error.description)")
        }
        let preference = trunk.codecs.map { $0.rawValue.lowercased() }
        let eventLoop = media.nextEventLoop()
        let leg: RTPLeg
        do {
            leg = try await media.makeRTPLeg(
                on: eventLoop, range: trunk.rtpPortRange.flatMap(ContactCenter.portRange),
                srtp: trunk.encryptsMedia)
        } catch let error as MediaError {
            // Every port of the range is taken: the gateway is full, as over `maxCalls`.
            throw CallRefusal(.serviceUnavailable, "The gateway has no media port for the call: \(error).")
        }
        let answer: SessionDescription
        let conversation: Conversation
        let record: CallRecord
        do {
            let negotiation: PlainNegotiation
            do {
                (answer, negotiation) = try PlainRTPDescriptionBuilder.answer(
                    to: offer, address: leg.address, port: leg.port, preference: preference,
                    sessionId: UInt64.random(in: 1...UInt64(Int64.max)), localKey: leg.sdesKey)
                try await configure(leg, negotiation, for: trunk)
            } catch {
                throw CallRefusal(.mediaFailure, "SDP: \(error)")
            }
            conversation = try await contactCenter.startCallConversation(
                customerIdentity: caller, queueId: number.queueId)
            let now = clock.now()
            record = CallRecord(
                id: callId, conversationId: conversation.id, direction: "INBOUND", caller: caller, callee: nil,
                agentId: nil, queueId: number.queueId, state: .CALLING, video: false, createdAt: now, updatedAt: now)
            try await saveRecord(record)
        } catch {
            leg.close()
            throw error
        }
        let session = CallSession(
            record: record, callerKind: .phone, calleeKind: .browser, callee: nil,
            signalingGraceSeconds: signalingGraceSeconds)
        var state = CallMediaState(
            graph: makeGraph(on: leg.eventLoop), callerMedia: .rtp(leg),
            phone: PhoneSide(
                trunk: trunk, number: caller, callerId: caller, isCallee: false, answerSDP: answer.text,
                preference: preference),
            customData: .object([
                "trunkId": .string(trunk.id), "calledNumber": .string(number.number), "callerNumber": .string(caller),
            ]), video: false)
        state.priority = conversation.priority
        begun = true
        await begin(session, state, channel: trunk)
        return (callId, answer.text)
    }

    /// The call and side of a phone dialog: the call's own id names its first phone (the caller
    /// of an inbound call; the callee an agent dialled, the caller once that call turned round); a
    /// number the call was transferred to has a dialog id of its own.
    func dialog(_ dialogId: String) -> (callId: String, side: CallSide)? {
        if let state = mediaStates[dialogId] { return (dialogId, state.callerPhone != nil ? .caller : .callee) }
        guard let (callId, _) = mediaStates.first(where: { $0.value.transferPhone?.dialogId == dialogId }) else {
            return nil
        }
        return (callId, .callee)
    }

    /// The phone on `side` of a call, and its leg.
    func phone(on side: CallSide, of callId: String) -> (phone: PhoneSide, leg: RTPLeg)? {
        guard let state = mediaStates[callId] else { return nil }
        switch side {
        case .caller:
            guard let phone = state.callerPhone, let leg = state.callerMedia.rtp else { return nil }
            return (phone, leg)
        case .callee:
            guard let phone = state.calleePhone, let leg = state.callee?.media.rtp else { return nil }
            return (phone, leg)
        }
    }

    /// The far end rings (180) or plays early media (183 with SDP): the agent hears it.
    public func phoneProgress(_ dialogId: String, status: Int, sdp: String?) async {
        // A consulted number's ringing: the agent hears hold silence until it answers.
        if mediaStates.values.contains(where: { $0.consultPhone?.dialogId == dialogId }) { return }
        guard let (callId, side) = dialog(dialogId), side == .callee, let session = sessions[callId],
            session.calleeKind == .phone, !session.isAnswered
        else { return }
        var early = false
        if let sdp, !session.bridged { early = await applyPhoneAnswer(callId, side: side, sdp: sdp) }
        await input(callId, .phoneProgress(earlyMedia: early))
    }

    /// The far end answered with `sdp` (the phone called, or a callback's customer).
    public func phoneAnswered(_ dialogId: String, sdp: String) async {
        if await consulteePhoneEvent(dialogId, .answered(usable: false), answer: sdp) { return }
        guard let (callId, side) = dialog(dialogId), let session = sessions[callId],
            (side == .callee && session.calleeKind == .phone) || session.isCallingBack, !session.isAnswered
        else { return }
        let usable = await applyPhoneAnswer(callId, side: side, sdp: sdp)
        await input(callId, .phoneAnswered(usable: usable))
    }

    /// Applies the trunk's SDP (183 or 200) to the phone leg; false when it cannot be used.
    private func applyPhoneAnswer(_ callId: String, side: CallSide, sdp: String) async -> Bool {
        guard let (phone, leg) = self.phone(on: side, of: callId),
            let description = try? SessionDescription.parse(sdp),
            let negotiation = try? PlainRTPDescriptionBuilder.readAnswer(
                description, preference: phone.preference, localKey: leg.sdesKey)
        else { return false }
        return (try? await configure(leg, negotiation, for: phone.trunk)) != nil
    }

    /// Applies a negotiation to a trunk's RTP leg, on the leg's event loop, with the trunk's RTP
    /// timeout and latching.
    func configure(_ leg: RTPLeg, _ negotiation: PlainNegotiation, for trunk: SIPTrunk) async throws {
        let timeout = Double(trunk.rtpTimeoutSeconds)
        let symmetric = trunk.symmetricRtp
        try await leg.eventLoop.submit { try leg.configure(negotiation, rtpTimeout: timeout, symmetric: symmetric) }
            .get()
    }

    /// The far end refused or could not be reached.
    public func phoneFailed(_ dialogId: String, status: Int, reason: String) async {
        if await consulteePhoneEvent(dialogId, .failed(.forSIPStatus(status, reason: reason))) { return }
        guard let (callId, _) = dialog(dialogId) else { return }
        await input(callId, .phoneFailed(.forSIPStatus(status, reason: reason)))
    }

    /// The far end hung up (BYE), or its dialog failed.
    public func phoneEnded(_ dialogId: String, reason: String) async {
        if await consulteePhoneEvent(dialogId, .ended(reason: reason)) { return }
        guard let (callId, side) = dialog(dialogId) else { return }
        await input(callId, .phoneEnded(reason: reason, side: side))
    }

    /// The caller of an inbound call gave up before an agent answered (CANCEL).
    public func phoneCancelled(_ callId: String) async {
        await input(callId, .phoneCancelled)
    }

    /// A phone dialog's call, phone, leg and the signaling party talking to it (if any).
    private func phoneCall(_ dialogId: String) -> (
        callId: String, session: CallSession, phone: PhoneSide, leg: RTPLeg, party: String?
    )? {
        guard let (callId, side) = dialog(dialogId), let session = sessions[callId],
            let (phone, leg) = self.phone(on: side, of: callId)
        else { return nil }
        let other = side.other
        return (callId, session, phone, leg, session.kind(of: other) == .browser ? session.party(other) : nil)
    }

    /// A re-INVITE from the far end (hold, resume, new address): returns the SDP answer, or nil
    /// when the offer cannot be used (488). The agent gets `call.held` when the hold state changes.
    public func phoneReoffer(_ dialogId: String, sdp: String) async -> String? {
        guard let (callId, _, phone, leg, party) = phoneCall(dialogId),
            let offer = try? SessionDescription.parse(sdp),
            let (answer, negotiation) = try? PlainRTPDescriptionBuilder.answer(
                to: offer, address: leg.address, port: leg.port, preference: phone.preference,
                sessionId: UInt64.random(in: 1...UInt64(Int64.max)), localKey: leg.sdesKey)
        else { return nil }
        let wasHeld = leg.negotiation?.remote.isOnHold ?? false
        try? await configure(leg, negotiation, for: phone.trunk)
        if negotiation.remote.isOnHold != wasHeld, let party {
            await signaling.send(.held(callId: callId, held: negotiation.remote.isOnHold), to: party)
        }
        return answer.text
    }

    /// The phone is put on hold (or taken off): a re-INVITE with `sendonly` (or `sendrecv`)
    /// goes to the trunk.
    func holdPhone(_ callId: String, held: Bool) async {
        guard let state = mediaStates[callId] else { return }
        let side: CallSide = state.callerPhone != nil ? .caller : .callee
        guard let (phone, leg) = self.phone(on: side, of: callId) else { return }
        let offer = PlainRTPDescriptionBuilder.offer(
            address: leg.address, port: leg.port, preference: phone.preference,
            sessionId: UInt64.random(in: 1...UInt64(Int64.max)), direction: held ? "sendonly" : "sendrecv",
            localKey: leg.sdesKey)
        if state.transferPhone != nil, side == .callee {
            mediaStates[callId]?.transferPhone?.heldByAgent = held
        } else {
            mediaStates[callId]?.phone?.heldByAgent = held
        }
        await phoneNetwork?.reoffer(callId: phone.dialogId ?? callId, sdp: offer.text)
    }

    /// The far end answered the gateway's re-INVITE (hold or resume): while held the phone hears
    /// the hold music instead of the agent, and the RTP timeout rests (it sends nothing).
    public func phoneReofferAnswered(_ dialogId: String, sdp: String) async {
        guard let (_, _, phone, leg, _) = phoneCall(dialogId),
            let answer = try? SessionDescription.parse(sdp),
            let negotiation = try? PlainRTPDescriptionBuilder.readAnswer(
                answer, preference: phone.preference, offeredDirection: phone.heldByAgent ? "sendonly" : "sendrecv",
                localKey: leg.sdesKey)
        else { return }
        try? await configure(leg, negotiation, for: phone.trunk)
    }

    /// The agent sends DTMF to the phone on the other end (RFC 4733 in the trunk's media).
    public func sendDigits(_ callId: String, by identity: String, digits: String) async throws {
        guard let session = sessions[callId], session.isAnswered, let side = session.side(of: identity),
            session.kind(of: side.other) == .phone, let graph = mediaStates[callId]?.graph
        else { throw CallRefusal(.invalidRequest, "no established phone call \(callId) of yours to send digits in") }
        let trunkSide = side.other
        do { try await graph.sendDigits(digits, to: trunkSide.legName) } catch {
            throw CallRefusal(.invalidRequest, "\(error)")
        }
    }

    /// A digit the phone sent in a SIP INFO (instead of RFC 4733 in its media).
    public func phoneDTMF(_ dialogId: String, digit: Character) async {
        guard let (callId, side) = dialog(dialogId) else { return }
        await input(callId, .dtmf(from: side, digit: digit))
    }
}
