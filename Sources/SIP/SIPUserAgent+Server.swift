import SIPMessage

extension SIPUserAgent {
    // MARK: - UAS API

    /// Answers an incoming call: 180/183 (with `sdp` for early media), 2xx (with the SDP answer;
    /// retransmitted until the ACK, `confirmed` follows) or 300-699 (the call ends, no event).
    /// `headers` are appended. Ignored after a final response or for an unknown call.
    public func respond(
        _ call: SIPCallID, status: Int, reason: String? = nil, sdp: [UInt8]? = nil, headers: [(String, String)] = [],
        now: Double
    ) -> [SIPOutput] {
        guard let state = calls[call], state.role == .uas, state.phase == .inviting || state.phase == .early,
            (100...699).contains(status), let key = state.inviteServerKey, let entry = serverTransactions[key],
            !entry.transaction.hasFinalResponse
        else { return [] }
        var response = makeResponse(to: state.invite, status: status, reason: reason, toTag: state.localTag)
        if status > 100 && status < 300 {
            response.headers.add("Contact", contact(user: contactUser(of: state), transport: state.peer.transport))
        }
        if status >= 200 && status < 300 { response.headers.add("Allow", Self.allowedMethods.joined(separator: ", ")) }
        for (name, value) in headers { response.headers.add(name, value) }
        setSDP(sdp, on: &response)
        let outputs = respond(in: entry, with: response, now: now)
        switch status {
        case 101..<200:
            state.phase = .early
        case 200..<300:
            state.phase = .confirmed
            state.dialog?.state = .confirmed
            state.pendingAnswer = CallState.PendingAnswer(
                bytes: response.bytes, destination: entry.destination, cseq: state.inviteSequence,
                interval: timers.t1, nextAt: entry.destination.transport.isReliable ? nil : now + timers.t1,
                giveUpAt: now + timers.transactionTimeout, initial: true)
        case 300...:
            endCall(state, now: now)
        default:
            break
        }
        return outputs
    }

    /// Answers a `reoffer`: 200 with `sdp` (retransmitted until the ACK), or 488 when `sdp` is nil.
    public func answerReoffer(_ call: SIPCallID, sdp: [UInt8]?, now: Double) -> [SIPOutput] {
        guard let state = calls[call], let key = state.incomingReinvite, let entry = serverTransactions[key] else {
            return []
        }
        state.incomingReinvite = nil
        let request = entry.transaction.request
        guard let sdp, !sdp.isEmpty, state.phase == .confirmed else {
            return respond(in: entry, with: makeResponse(to: request, status: 488, toTag: nil), now: now)
        }
        var response = makeResponse(to: request, status: 200, toTag: nil)
        response.headers.add("Contact", contact(user: contactUser(of: state), transport: state.peer.transport))
        response.headers.add("Allow", Self.allowedMethods.joined(separator: ", "))
        setSDP(sdp, on: &response)
        state.dialog?.refreshTarget(from: request)
        let outputs = respond(in: entry, with: response, now: now)
        state.pendingAnswer = CallState.PendingAnswer(
            bytes: response.bytes, destination: entry.destination, cseq: (try? request.cseq().number) ?? 0,
            interval: timers.t1, nextAt: entry.destination.transport.isReliable ? nil : now + timers.t1,
            giveUpAt: now + timers.transactionTimeout, initial: false)
        return outputs
    }

    // MARK: - Incoming requests

    /// Bytes that did not parse: 505 for another SIP version, 400 with the parse error as reason
    /// phrase when Via, From, To, Call-ID and CSeq can be read, else nothing.
    func answerUnparseable(_ bytes: [UInt8], error: SIPParseError, from source: SIPAddress, now: Double)
        -> [SIPOutput]
    {
        guard let salvaged = SalvagedRequest(bytes), salvaged.method != "ACK",
            let via = salvaged.headers["Via"].flatMap({ Via($0) })
        else { return [] }
        let stamped = stampVia(via, source: source)
        let request = SIPMessage(
            .request(method: salvaged.method, uri: "sip:invalid"),
            headers: salvaged.headers.replacingFirst("Via", with: stamped.description))
        var status = 400
        var reason = Self.reason(for: error)
        if let version = salvaged.version, version.hasPrefix("SIP/"), version != "SIP/2.0" {
            status = 505
            reason = ReasonPhrase.phrase(for: 505)
        }
        let response = makeResponse(to: request, status: status, reason: reason, toTag: ids.token(10))
        return [.send(response.bytes, to: responseDestination(via: stamped, source: source))]
    }

    static func reason(for error: SIPParseError) -> String {
        if case .missingHeader(let name) = error { return "Missing header \(name)" }
        let text = error.description
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    func handleRequest(_ original: SIPMessage, from source: SIPAddress, now: Double) -> [SIPOutput] {
        guard case .request(let method, let uriText) = original.startLine, let topVia = original.topVia else {
            return []
        }
        let via = stampVia(topVia, source: source)
        var request = original
        request.headers = original.headers.replacingFirst("Via", with: via.description)
        let replyTo = responseDestination(via: via, source: source)
        do {
            try request.validate()
        } catch {
            guard method != "ACK" else { return [] }
            let response = makeResponse(to: request, status: 400, reason: Self.reason(for: error), toTag: ids.token(10))
            return [.send(response.bytes, to: replyTo)]
        }
        guard let key = ServerTransactionKey(request) else { return [] }
        if method == "ACK" { return handleACK(request, key: key, now: now) }
        if let entry = serverTransactions[key] {
            let outputs = entry.transaction.receive(request, now: now)
            return outputs.compactMap { output in
                if case .send(let bytes) = output { return .send(bytes, to: entry.destination) }
                return nil
            }
        }
        let context = RequestContext(request: request, method: method, source: source, replyTo: replyTo)
        if let maxForwards = request.headers["Max-Forwards"], Int(maxForwards).map({ $0 < 0 || $0 > 255 }) ?? true {
            return reject(context, 400, "Malformed Max-Forwards", now: now)
        }
        if method == "CANCEL" { return handleCANCEL(context, key: key, now: now) }
        guard Self.allowedMethods.contains(method) else {
            return reject(context, 501, headers: [("Allow", Self.allowedMethods.joined(separator: ", "))], now: now)
        }
        let unsupported = request.headers.values("Require").filter {
            !Self.supportedExtensions.contains($0.lowercased())
        }
        if !unsupported.isEmpty {
            return reject(context, 420, headers: [("Unsupported", unsupported.joined(separator: ", "))], now: now)
        }
        if SIPURI(uriText) == nil {
            let scheme = uriText.prefix { $0 != ":" }.lowercased()
            if scheme == "sip" || scheme == "sips" { return reject(context, 400, "Malformed Request-URI", now: now) }
            return reject(context, 416, now: now)
        }
        if request.toTag != nil { return handleInDialog(context, now: now) }
        switch method {
        case "INVITE":
            return handleNewInvite(context, now: now)
        case "OPTIONS":
            let headers = [("Allow", Self.allowedMethods.joined(separator: ", ")), ("Accept", "application/sdp")]
            return reject(context, 200, headers: headers, now: now)
        default:
            return reject(context, 481, now: now)
        }
    }

    /// A received request and where its responses go.
    struct RequestContext {
        var request: SIPMessage
        var method: String
        var source: SIPAddress
        var replyTo: SIPAddress
    }

    /// Answers a request with a final response through a new server transaction.
    func reject(
        _ context: RequestContext, _ status: Int, _ reason: String? = nil, headers: [(String, String)] = [],
        toTag: String? = nil, call: SIPCallID? = nil, now: Double
    ) -> [SIPOutput] {
        var response = makeResponse(to: context.request, status: status, reason: reason, toTag: toTag ?? ids.token(10))
        for (name, value) in headers { response.headers.add(name, value) }
        return respondStatefully(
            to: context.request, with: response, destination: context.replyTo, call: call, now: now)
    }

    /// Creates a server transaction that stays open for the transaction user's answer.
    func openServerTransaction(_ context: RequestContext, call: SIPCallID?) -> ServerEntry? {
        guard
            let transaction = ServerTransaction(
                request: context.request, reliable: context.replyTo.transport.isReliable, timers: timers)
        else { return nil }
        let entry = ServerEntry(transaction: transaction, destination: context.replyTo, call: call)
        serverTransactions[transaction.key] = entry
        return entry
    }

    /// An ACK: absorbed by the INVITE server transaction of a non-2xx; for our 2xx it stops the
    /// retransmissions and confirms the call; anything else is dropped.
    func handleACK(_ ack: SIPMessage, key: ServerTransactionKey, now: Double) -> [SIPOutput] {
        if let entry = serverTransactions[key], entry.transaction.state == .completed {
            _ = entry.transaction.receive(ack, now: now)
            return []
        }
        guard let toTag = ack.toTag, let callID = ack.callID,
            let id = dialogs[DialogID(callID: callID, localTag: toTag, remoteTag: ack.fromTag ?? "")],
            let call = calls[id], let answer = call.pendingAnswer, let cseq = try? ack.cseq(),
            cseq.number == answer.cseq
        else { return [] }
        call.pendingAnswer = nil
        if call.byeWhenAcknowledged { return sendBye(call, now: now) }
        var outputs: [SIPOutput] = []
        if let sdp = sdp(of: ack) { outputs.append(.event(.ackAnswer(id, sdp: sdp))) }
        if answer.initial { outputs.append(.event(.confirmed(id))) }
        return outputs
    }

    /// A CANCEL (§9.2): 200 when it names a pending INVITE transaction, which then gets 487; 481
    /// otherwise.
    func handleCANCEL(_ context: RequestContext, key: ServerTransactionKey, now: Double) -> [SIPOutput] {
        let inviteKey = key.with(method: "INVITE")
        guard let inviteEntry = serverTransactions[inviteKey] else { return reject(context, 481, now: now) }
        let call = inviteEntry.call.flatMap { calls[$0] }
        let tag = call?.localTag ?? ids.token(10)
        var outputs = reject(context, 200, toTag: tag, call: inviteEntry.call, now: now)
        guard !inviteEntry.transaction.hasFinalResponse else { return outputs }
        let terminated = makeResponse(to: inviteEntry.transaction.request, status: 487, toTag: tag)
        outputs += respond(in: inviteEntry, with: terminated, now: now)
        guard let call else { return outputs }
        if call.inviteServerKey == inviteKey {
            endCall(call, now: now)
            outputs.append(.event(.cancelled(call.id)))
        } else if call.incomingReinvite == inviteKey {
            call.incomingReinvite = nil
        }
        return outputs
    }

    /// A new INVITE: 415 for a body other than SDP, 482 for a merged request, else a new call with
    /// 100 Trying and `incomingCall`. A retransmission after our 2xx gets that 2xx again.
    func handleNewInvite(_ context: RequestContext, now: Double) -> [SIPOutput] {
        let request = context.request
        if let rejection = checkOffer(context, now: now) { return rejection }
        guard let callID = request.callID, let cseq = try? request.cseq(), let branch = request.topVia?.branch else {
            return []
        }
        let inviteKey = IncomingInviteKey(callID: callID, fromTag: request.fromTag ?? "", sequence: cseq.number)
        if let known = incomingInvites[inviteKey] {
            guard known.branch == branch else { return reject(context, 482, now: now) }
            guard let answer = calls[known.call]?.pendingAnswer, answer.initial else { return [] }
            return [.send(answer.bytes, to: answer.destination)]
        }
        guard request.headers["Contact"] != nil else { return reject(context, 400, "Missing header Contact", now: now) }
        let localTag = ids.token(10)
        guard let dialog = Dialog(request: request, localTag: localTag) else {
            return reject(context, 400, "Malformed Contact", now: now)
        }
        let id = newCallID()
        guard let entry = openServerTransaction(context, call: id) else { return [] }
        let call = CallState(
            id: id, role: .uas, callID: callID, localTag: localTag, peer: context.source, invite: request)
        call.inviteServerKey = entry.transaction.key
        calls[id] = call
        register(dialog: dialog, for: call)
        incomingInvites[inviteKey] = (id, branch, nil)
        call.incomingInviteKey = inviteKey
        var outputs = respond(in: entry, with: makeResponse(to: request, status: 100, toTag: nil), now: now)
        outputs.append(.event(.incomingCall(id, invite: request, source: context.source)))
        return outputs
    }

    /// 415 for an INVITE body that is not SDP or is encoded.
    func checkOffer(_ context: RequestContext, now: Double) -> [SIPOutput]? {
        let request = context.request
        if let encoding = request.headers["Content-Encoding"], encoding.lowercased() != "identity" {
            return reject(context, 415, headers: [("Accept-Encoding", "identity")], now: now)
        }
        if !request.body.isEmpty, request.contentType != "application/sdp" {
            return reject(context, 415, headers: [("Accept", "application/sdp")], now: now)
        }
        return nil
    }

    /// Requests with a To tag: 481 without a matching dialog, 500 for a CSeq out of order.
    func handleInDialog(_ context: RequestContext, now: Double) -> [SIPOutput] {
        let request = context.request
        guard let toTag = request.toTag, let callID = request.callID,
            let id = dialogs[DialogID(callID: callID, localTag: toTag, remoteTag: request.fromTag ?? "")],
            let call = calls[id]
        else { return reject(context, 481, now: now) }
        if let cseq = try? request.cseq(), call.dialog?.acceptRemoteSequence(cseq.number) == false {
            return reject(context, 500, "CSeq Out of Order", call: id, now: now)
        }
        switch context.method {
        case "BYE": return handleBYE(context, call: call, now: now)
        case "REFER": return handleREFER(context, call: call, now: now)
        case "INVITE": return handleReinvite(context, call: call, now: now)
        case "INFO":
            var outputs = reject(context, 200, call: id, now: now)
            if call.phase != .terminated, let digit = Self.dtmfDigit(in: request) {
                outputs.append(.event(.dtmfInfo(id, digit: digit)))
            }
            return outputs
        case "OPTIONS":
            return reject(context, 200, headers: [("Allow", Self.allowedMethods.joined(separator: ", "))], now: now)
        default:
            return reject(context, 501, call: id, now: now)
        }
    }

    /// A BYE (§15.1.2): 200, 487 to an INVITE still unanswered, and `ended` unless we hung up first.
    func handleBYE(_ context: RequestContext, call: CallState, now: Double) -> [SIPOutput] {
        var outputs = reject(context, 200, call: call.id, now: now)
        let wasTerminated = call.phase == .terminated
        for key in [call.inviteServerKey, call.incomingReinvite].compactMap({ $0 }) {
            guard let entry = serverTransactions[key], !entry.transaction.hasFinalResponse else { continue }
            outputs += respond(
                in: entry, with: makeResponse(to: entry.transaction.request, status: 487, toTag: call.localTag),
                now: now)
        }
        endCall(call, now: now)
        if !wasTerminated {
            outputs.append(.event(.ended(call.id, reason: context.request.headers["Reason"] ?? "BYE")))
        }
        return outputs
    }

    /// A re-INVITE (§14.2): 491 while our own offer is pending, 500 while another is pending on our
    /// side, else 100 Trying and `reoffer`.
    func handleReinvite(_ context: RequestContext, call: CallState, now: Double) -> [SIPOutput] {
        guard call.phase == .confirmed else {
            if call.phase == .terminated { return reject(context, 481, now: now) }
            return reject(context, 500, headers: [("Retry-After", "1")], call: call.id, now: now)
        }
        if call.outgoingReinvite?.key != nil { return reject(context, 491, call: call.id, now: now) }
        if call.incomingReinvite != nil || call.pendingAnswer != nil {
            let delay = Int(ids.uniform(0...10))
            return reject(context, 500, headers: [("Retry-After", String(delay))], call: call.id, now: now)
        }
        if let rejection = checkOffer(context, now: now) { return rejection }
        guard let entry = openServerTransaction(context, call: call.id) else { return [] }
        call.incomingReinvite = entry.transaction.key
        var outputs = respond(in: entry, with: makeResponse(to: context.request, status: 100, toTag: nil), now: now)
        outputs.append(.event(.reoffer(call.id, sdp: sdp(of: context.request))))
        return outputs
    }

    /// The digit of an INFO with `application/dtmf-relay` (`Signal=5`) or `application/dtmf` (`5`).
    static func dtmfDigit(in message: SIPMessage) -> Character? {
        let text = String(decoding: message.body, as: UTF8.self)
        var signal: Substring?
        switch message.contentType {
        case "application/dtmf-relay":
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2, SIPSyntax.trim(parts[0]).lowercased() == "signal" {
                    signal = SIPSyntax.trim(parts[1])
                }
            }
        case "application/dtmf":
            signal = SIPSyntax.trim(Substring(text.filter { !$0.isNewline }))
        default:
            return nil
        }
        switch signal?.uppercased() {
        case "10": return "*"
        case "11": return "#"
        case let value?:
            guard value.count == 1, let digit = value.first, "0123456789*#ABCD".contains(digit) else { return nil }
            return digit
        case nil: return nil
        }
    }
}
