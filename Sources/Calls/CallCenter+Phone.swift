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
            throw CallRefusal(.serviceUnavailable, "SIP is turned off on this gateway (sipPort 0)")
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
        try checkChannels(of: trunk)
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

    /// Refuses a call over the trunk's channel limit.
    func checkChannels(of trunk: SIPTrunk) throws {
        guard let limit = trunk.channelLimit else { return }
        let used = calls.values.filter { $0.phone?.trunk.id == trunk.id }.count
        guard used < limit else {
            throw CallRefusal(.serviceUnavailable, "SIP trunk \(trunk.name) carries its limit of \(limit) calls")
        }
    }

    /// Places the phone side of an outbound call: an RTP leg and an INVITE through the trunk.
    func dialPhone(_ callId: String) async {
        guard let dialing = calls[callId], let trunk = dialing.phone?.trunk, let network = phoneNetwork else { return }
        let leg: RTPLeg
        do {
            leg = try await media.makeRTPLeg(
                on: dialing.callerMedia.eventLoop, range: trunk.rtpPortRange.flatMap(ContactCenter.portRange))
        } catch {
            return await end(callId, caller: .mediaFailure.withDescription("\(error)"), callee: nil)
        }
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        // Read the call again after the awaits: the caller's media may have come up meanwhile,
        // or the caller hung up.
        guard var call = calls[callId], var phone = call.phone else { return leg.close() }
        let offer = PlainRTPDescriptionBuilder.offer(
            address: leg.address, port: leg.port, preference: phone.preference,
            sessionId: UInt64.random(in: 1...UInt64(Int64.max)))
        phone.answerSDP = nil
        call.phone = phone
        call.calleeMedia = .rtp(leg)
        call.offerSDP = offer.text
        call.ringDeadline = clock.now().addingTimeInterval(TimeInterval(timeouts["outbound"]?.intValue ?? 45))
        call.record.state = .CALLING
        calls[callId] = call
        watch(.rtp(leg), callId: callId, caller: false)
        await persist(callId)
        await network.dial(
            callId: callId, trunk: phone.trunk, to: phone.number, callerId: phone.callerId, sdp: offer.text)
    }

    /// An INVITE to one of `trunk`'s numbers: the caller's conversation joins the number's queue
    /// and agents ring. Returns the call id and the SDP answer (sent with the 200 once an agent
    /// answers). Throws `CallRefusal`: `mediaFailure` for SDP without a common codec (488),
    /// `serviceUnavailable` over a limit (503).
    public func startFromPhone(
        callId: String = Identifiers.uuid(), trunk: SIPTrunk, number: SIPTrunkNumber, caller: String,
        offer sdp: String
    ) async throws -> (callId: String, answer: String) {
        guard calls.count < maxCalls else {
            throw CallRefusal(.serviceUnavailable, "the gateway carries its maximum of \(maxCalls) calls")
        }
        try checkChannels(of: trunk)
        let offer: SessionDescription
        do { offer = try SessionDescription.parse(sdp) } catch {
            throw CallRefusal(.mediaFailure, "SDP: \(error.description)")
        }
        let preference = trunk.codecs.map { $0.rawValue.lowercased() }
        let eventLoop = media.nextEventLoop()
        let leg = try await media.makeRTPLeg(on: eventLoop, range: trunk.rtpPortRange.flatMap(ContactCenter.portRange))
        let answer: SessionDescription
        let negotiation: PlainNegotiation
        do {
            (answer, negotiation) = try PlainRTPDescriptionBuilder.answer(
                to: offer, address: leg.address, port: leg.port, preference: preference,
                sessionId: UInt64.random(in: 1...UInt64(Int64.max)))
            try await configure(leg, negotiation, for: trunk)
        } catch {
            leg.close()
            throw CallRefusal(.mediaFailure, "SDP: \(error)")
        }
        let conversation = try await contactCenter.startCallConversation(
            customerIdentity: caller, queueId: number.queueId)
        let now = clock.now()
        let record = CallRecord(
            id: callId, conversationId: conversation.id, direction: "INBOUND", caller: caller, callee: nil,
            agentId: nil, queueId: number.queueId, state: .CALLING, video: false, createdAt: now, updatedAt: now)
        calls[callId] = ActiveCall(
            record: record, callerIdentity: caller, callerMedia: .rtp(leg), calleeIdentity: nil,
            phone: PhoneSide(
                trunk: trunk, number: caller, callerId: caller, isCallee: false, answerSDP: answer.text,
                preference: preference),
            customData: .object([
                "trunkId": .string(trunk.id), "calledNumber": .string(number.number), "callerNumber": .string(caller),
            ]), callerMediaUp: true, video: false)
        try await contactCenter.store.save(record)
        watch(.rtp(leg), callId: callId, caller: true)
        await ringNext(callId)
        return (callId, answer.text)
    }

    /// The far end rings (180) or plays early media (183 with SDP): the agent hears it.
    public func phoneProgress(_ callId: String, status: Int, sdp: String?) async {
        guard let ringing = calls[callId], ringing.phone?.isCallee == true, !ringing.answered else { return }
        let early = sdp != nil && ringing.bridge == nil ? await applyPhoneAnswer(ringing, sdp: sdp!) : false
        guard var call = calls[callId], !call.answered else { return }
        if early, call.bridge == nil, let callee = call.calleeMedia {
            call.bridge = try? bridge(callId, caller: call.callerMedia, callee: callee)
        }
        call.record.state = .RINGING
        calls[callId] = call
        await persist(callId)
        await signaling.send(
            call.bridge != nil ? "call.early-media" : "call.ringing", ["callId": .string(callId)],
            to: call.callerIdentity)
    }

    /// The far end answered with `sdp`.
    public func phoneAnswered(_ callId: String, sdp: String) async {
        guard let ringing = calls[callId], ringing.phone?.isCallee == true, !ringing.answered else { return }
        let usable = await applyPhoneAnswer(ringing, sdp: sdp)
        // Read the call again: the agent's media may have come up while the leg was configured.
        guard var call = calls[callId], !call.answered, let media = call.calleeMedia else { return }
        guard usable else {
            return await end(
                callId, caller: .mediaFailure.withDescription("The phone network answered with unusable SDP."),
                callee: .mediaFailure)
        }
        // Rebuilt after early media: the 200's codec may differ from the 183's.
        call.bridge?.unbridge()
        do {
            call.bridge = try bridge(callId, caller: call.callerMedia, callee: media)
        } catch {
            calls[callId] = call
            return await end(callId, caller: .mediaFailure.withDescription("\(error)"), callee: .mediaFailure)
        }
        call.answered = true
        call.ringDeadline = nil
        call.calleeMediaUp = true
        call.record.state = .PRE_ESTABLISHED
        call.record.answeredAt = clock.now()
        calls[callId] = call
        if let agentId = call.record.agentId { try? await contactCenter.callStarted(agentId: agentId) }
        await persist(callId)
        await checkEstablished(callId)
    }

    /// Applies the trunk's SDP (183 or 200) to the phone leg; false when it cannot be used.
    private func applyPhoneAnswer(_ call: ActiveCall, sdp: String) async -> Bool {
        guard let phone = call.phone, let leg = call.calleeMedia?.rtp,
            let description = try? SessionDescription.parse(sdp),
            let negotiation = try? PlainRTPDescriptionBuilder.readAnswer(description, preference: phone.preference)
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
    public func phoneFailed(_ callId: String, status: Int, reason: String) async {
        guard let call = calls[callId], call.phone?.isCallee == true else { return }
        await end(callId, caller: .forSIPStatus(status, reason: reason), callee: nil)
    }

    /// The far end hung up (BYE), or its dialog failed.
    public func phoneEnded(_ callId: String, reason: String) async {
        guard let call = calls[callId], let phone = call.phone else { return }
        let code = HangupCode.normalHangup.withDescription(reason)
        if phone.isCallee {
            await end(callId, caller: code, callee: nil)
        } else {
            await end(callId, caller: nil, callee: call.answered ? code : .cancelled)
        }
    }

    /// The caller of an inbound call gave up before an agent answered (CANCEL).
    public func phoneCancelled(_ callId: String) async {
        guard let call = calls[callId], call.phone?.isCallee == false else { return }
        await end(callId, caller: nil, callee: .cancelled)
    }

    /// A re-INVITE from the far end (hold, resume, new address): returns the SDP answer, or nil
    /// when the offer cannot be used (488). The agent gets `call.held` when the hold state changes.
    public func phoneReoffer(_ callId: String, sdp: String) async -> String? {
        guard let call = calls[callId], let phone = call.phone,
            let leg = phone.isCallee ? call.calleeMedia?.rtp : call.callerMedia.rtp,
            let offer = try? SessionDescription.parse(sdp),
            let (answer, negotiation) = try? PlainRTPDescriptionBuilder.answer(
                to: offer, address: leg.address, port: leg.port, preference: phone.preference,
                sessionId: UInt64.random(in: 1...UInt64(Int64.max)))
        else { return nil }
        let wasHeld = leg.negotiation?.remote.isOnHold ?? false
        try? await configure(leg, negotiation, for: phone.trunk)
        if negotiation.remote.isOnHold != wasHeld,
            let agent = phone.isCallee ? Optional(call.callerIdentity) : call.calleeIdentity
        {
            await signaling.send(
                "call.held", ["callId": .string(callId), "held": .bool(negotiation.remote.isOnHold)], to: agent)
        }
        return answer.text
    }

    /// The agent puts the phone on hold (or takes it off): a re-INVITE with `sendonly`
    /// (or `sendrecv`) goes to the trunk.
    public func hold(_ callId: String, by identity: String, held: Bool) async throws {
        guard let call = calls[callId], call.answered, let phone = call.phone,
            identity == (phone.isCallee ? call.callerIdentity : call.calleeIdentity),
            let leg = phone.isCallee ? call.calleeMedia?.rtp : call.callerMedia.rtp
        else { throw CallRefusal(.invalidRequest, "no established phone call \(callId) of yours to hold") }
        let offer = PlainRTPDescriptionBuilder.offer(
            address: leg.address, port: leg.port, preference: phone.preference,
            sessionId: UInt64.random(in: 1...UInt64(Int64.max)), direction: held ? "sendonly" : "sendrecv")
        calls[callId]?.phone?.heldByAgent = held
        await phoneNetwork?.reoffer(callId: callId, sdp: offer.text)
    }

    /// The far end answered the gateway's re-INVITE (hold or resume): while held the agent's
    /// audio stops going to the phone (there is no music on hold yet) and the RTP timeout rests.
    public func phoneReofferAnswered(_ callId: String, sdp: String) async {
        guard let call = calls[callId], let phone = call.phone,
            let leg = phone.isCallee ? call.calleeMedia?.rtp : call.callerMedia.rtp,
            let answer = try? SessionDescription.parse(sdp),
            let negotiation = try? PlainRTPDescriptionBuilder.readAnswer(
                answer, preference: phone.preference, offeredDirection: phone.heldByAgent ? "sendonly" : "sendrecv")
        else { return }
        try? await configure(leg, negotiation, for: phone.trunk)
    }

    /// The agent sends DTMF to the phone on the other end (RFC 4733 in the trunk's media).
    public func sendDigits(_ callId: String, by identity: String, digits: String) throws {
        guard let call = calls[callId], call.answered, let phone = call.phone,
            identity == (phone.isCallee ? call.callerIdentity : call.calleeIdentity),
            let bridge = call.bridge as? TranscodingBridge
        else { throw CallRefusal(.invalidRequest, "no established phone call \(callId) of yours to send digits in") }
        do { try bridge.sendDigits(digits) } catch { throw CallRefusal(.invalidRequest, "\(error)") }
    }

    /// A digit the phone sent in a SIP INFO (instead of RFC 4733 in its media).
    public func phoneDTMF(_ callId: String, digit: Character) async {
        guard let phone = calls[callId]?.phone else { return }
        await dtmf(callId, digit: digit, fromCaller: !phone.isCallee)
    }

    /// Calls in progress through a trunk.
    public func activeCalls(onTrunk trunkId: String) -> Int {
        calls.values.filter { $0.phone?.trunk.id == trunkId }.count
    }
}
