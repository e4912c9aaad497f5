import ContactCenter
import Foundation
import Media
import SDP

/// Callbacks kept and served: a request keeps its caller's place among the calls waiting in its
/// queue; when its turn comes (an agent free for it), the agent is held, the customer is called
/// (through the trunk they called in on, from the number they called, or as an in-app call to
/// their identity) and, once they answer, the agent rings. A failed attempt is tried again
/// `callbackRetrySeconds` later, up to `callbackAttempts` times.
extension CallCenter {
    /// Keeps the place of a caller who asked to be called back: stored before their call ends.
    func requestCallback(callId: String, record: CallRecord, keys: String) async {
        guard let state = mediaStates[callId], let queueId = record.queueId else { return }
        let now = clock.now()
        let request = CallbackRequest(
            id: Identifiers.uuid(), conversationId: record.conversationId, queueId: queueId, customer: record.caller,
            clientType: state.phone == nil ? "WEBRTC" : "PSTN", trunkId: state.phone?.trunk.id,
            callerId: state.customData["calledNumber"]?.stringValue, priority: state.priority,
            waitingSince: state.arrivedAt ?? record.createdAt, requestedInCallId: callId, keys: keys, status: .PENDING,
            attempts: 0,
            createdAt: now, updatedAt: now)
        do {
            try await contactCenter.store.save(request)
            callbacks[request.id] = request
            logger.info(
                "callback requested",
                metadata: ["callbackId": "\(request.id)", "callId": "\(callId)", "queueId": "\(queueId)"])
        } catch {
            logger.error("callback request not stored", metadata: ["callId": "\(callId)", "error": "\(error)"])
        }
    }

    /// Reads the callbacks not served yet (at start): one being called when the gateway stopped
    /// is pending again.
    public func restoreCallbacks() async throws {
        let stored = try await contactCenter.store.list(
            CallbackRequest.self,
            DocumentQuery(
                collection: .callback, filters: [.oneOf("status", ["PENDING", "CALLING"])], orderBy: "createdAt")
        ).items
        for var request in stored {
            request.status = .PENDING
            callbacks[request.id] = request
        }
    }

    /// Callbacks not served yet and the last served or given up, newest first (REST and the
    /// supervisor).
    public func callbackRequests(status: CallbackRequest.Status?) async throws -> [CallbackRequest] {
        var filters: [DocumentFilter] = []
        if let status { filters.append(.equals("status", status.rawValue)) }
        return try await contactCenter.store.list(
            CallbackRequest.self,
            DocumentQuery(collection: .callback, filters: filters, orderBy: "createdAt", descending: true, limit: 200)
        ).items
    }

    /// Cancels a callback not served yet. Throws `notFound`, or `conflict` when it is being
    /// called or is over.
    public func cancelCallback(_ id: String) async throws -> CallbackRequest {
        guard
            var request = try await contactCenter.store.load(CallbackRequest.self, id: id)
        else { throw ContactCenterError.notFound(resource: "callback", id: id) }
        if let current = callbacks[id] { request = current }
        guard request.status == .PENDING else {
            throw ContactCenterError.conflict("Callback \(id) is \(request.status.rawValue) and cannot be cancelled.")
        }
        request.status = .CANCELLED
        request.updatedAt = clock.now()
        try await contactCenter.store.save(request)
        callbacks[id] = nil
        return request
    }

    /// The callback's turn came: holds an agent of its queue and calls the customer; without a
    /// free agent it keeps waiting.
    func serveCallback(_ id: String) async {
        let now = clock.now()
        guard !stopping, var request = callbacks[id], request.isDue(at: now) else { return }
        request.status = .CALLING
        callbacks[id] = request
        let callId = Identifiers.uuid()
        let queue = try? await contactCenter.queue(request.queueId)
        let members = (try? await contactCenter.agentIds(inQueue: request.queueId)) ?? []
        let ranking = await ranking(
            queue: queue, queueId: request.queueId, conversationId: request.conversationId, members: members,
            excluding: [])
        guard let agent = await contactCenter.registry.reserve(firstOf: ranking.ranked(), for: callId) else {
            callbacks[id]?.status = .PENDING
            return
        }
        do {
            try await startCallback(request, callId: callId, agent: agent)
        } catch {
            logger.warning("callback not started", metadata: ["callbackId": "\(id)", "error": "\(error)"])
            await contactCenter.registry.release(agentId: agent, from: callId)
            let code = (error as? CallRefusal)?.code ?? .serviceUnavailable.withDescription("\(error)")
            callbacks[id]?.attempts += 1
            await callbackAttempted(id, callId: callId, reached: false, code: code)
        }
    }

    /// Makes the customer's leg and the call; its session calls the customer at once.
    private func startCallback(_ request: CallbackRequest, callId: String, agent: String) async throws {
        try admitCall()
        var channel: SIPTrunk?
        var begun = false
        defer { if !begun { admissionEnded(channel: channel) } }
        let eventLoop = media.nextEventLoop()
        let leg: MediaLeg
        let offer: String
        var phone: PhoneSide?
        var customData: [String: JSONValue] = ["callback": .bool(true), "callbackId": .string(request.id)]
        if request.clientType == "PSTN" {
            let trunks = try await contactCenter.sipTrunks()
            guard phoneNetwork != nil, let trunk = trunks.first(where: { $0.id == request.trunkId }) ?? trunks.first
            else { throw CallRefusal(.serviceUnavailable, "no SIP trunk to call \(request.customer) back through") }
            try admitChannel(on: trunk)
            channel = trunk
            let preference = trunk.codecs.map { $0.rawValue.lowercased() }
            let rtp = try await media.makeRTPLeg(
                on: eventLoop, range: trunk.rtpPortRange.flatMap(ContactCenter.portRange),
                srtp: trunk.encryptsMedia)
            leg = .rtp(rtp)
            offer =
                PlainRTPDescriptionBuilder.offer(
                    address: rtp.address, port: rtp.port, preference: preference,
                    sessionId: UInt64.random(in: 1...UInt64(Int64.max)), localKey: rtp.sdesKey
                ).text
            let callerId = request.callerId ?? trunk.defaultCallerId ?? trunk.numbers.first?.number ?? request.customer
            phone = PhoneSide(
                trunk: trunk, number: request.customer, callerId: callerId, isCallee: false, answerSDP: nil,
                preference: preference)
            customData["trunkId"] = .string(trunk.id)
            customData["calledNumber"] = .string(callerId)
            customData["callerNumber"] = .string(request.customer)
        } else {
            guard await signaling.isConnected(request.customer) else {
                throw CallRefusal(.destinationNotFound, "'\(request.customer)' is not connected")
            }
            let webRTC = try await media.makeLeg(on: eventLoop)
            leg = .webRTC(webRTC)
            offer =
                WebRTCDescriptionBuilder.offer(
                    local: webRTC.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: false,
                    narrowbandOpus: false
                ).text
        }
        let now = clock.now()
        let record = CallRecord(
            id: callId, conversationId: request.conversationId, direction: "INBOUND", caller: request.customer,
            callee: nil, agentId: nil, queueId: request.queueId, state: .CALLING, video: false, createdAt: now,
            updatedAt: now)
        do { try await saveRecord(record) } catch {
            leg.close()
            throw error
        }
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        let session = CallSession(
            record: record, callerKind: phone == nil ? .browser : .phone, calleeKind: .browser, callee: nil,
            signalingGraceSeconds: signalingGraceSeconds,
            callback: CallbackAttempt(agent: agent, ringSeconds: Int(timeouts["outbound"]?.intValue ?? 45)))
        var state = CallMediaState(
            graph: makeGraph(on: eventLoop), callerMedia: leg, phone: phone,
            customData: .object(customData), video: false)
        state.offerSDP = offer
        state.priority = request.priority
        state.arrivedAt = request.waitingSince
        var calling = request
        calling.status = .CALLING
        calling.attempts += 1
        calling.lastCallId = callId
        calling.updatedAt = now
        callbacks[request.id] = calling
        callbackCalls[callId] = request.id
        try? await contactCenter.store.save(calling)
        begun = true
        await begin(session, state, channel: channel)
    }

    /// Calls the customer of a callback: dials the phone, or offers the call to the identity.
    func callCallerBack(_ callId: String, epoch: Int) async {
        guard let state = mediaStates[callId], let session = sessions[callId], let sdp = state.offerSDP else { return }
        if let phone = state.phone {
            await phoneNetwork?.dial(
                callId: callId, trunk: phone.trunk, to: phone.number, callerId: phone.callerId, sdp: sdp)
            return
        }
        let delivered = await signaling.send(
            .incoming(
                callId: callId, conversationId: session.record.conversationId, sdp: sdp,
                counterpart: session.record.queueId ?? "callback", customData: state.customData, video: false),
            to: session.caller)
        if delivered == 0 { await input(callId, .offerUndelivered(epoch: epoch)) }
    }

    /// The customer of a callback answered (done), or could not be reached: tried again later,
    /// or given up after the last attempt.
    func callbackAttempted(_ id: String?, callId: String, reached: Bool, code: HangupCode?) async {
        callbackCalls[callId] = nil
        guard let id, var request = callbacks[id] else { return }
        let now = clock.now()
        request.lastHangupCode = code
        request.updatedAt = now
        if reached {
            request.status = .COMPLETED
        } else if request.attempts >= callbackAttempts {
            request.status = .FAILED
        } else {
            request.status = .PENDING
            request.notBefore = now.addingTimeInterval(TimeInterval(callbackRetrySeconds))
        }
        callbacks[id] = request.status == .PENDING ? request : nil
        do { try await contactCenter.store.save(request) } catch {
            logger.error("callback request not stored", metadata: ["callbackId": "\(id)", "error": "\(error)"])
        }
    }
}
