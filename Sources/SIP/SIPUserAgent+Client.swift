import SIPDigest
import SIPMessage

extension SIPUserAgent {
    // MARK: - UAC API

    /// Places a call: sends an INVITE with `sdp` as the offer to `destination`. `from` gets a fresh
    /// tag; `extraHeaders` are appended (P-Asserted-Identity, Diversion …). On a 401/407 the INVITE
    /// is sent once more with `credentials`.
    public func invite(
        requestURI: SIPURI, from: NameAddress, to: NameAddress, destination: SIPAddress, sdp: [UInt8],
        credentials: DigestCredentials?, extraHeaders: [(String, String)] = [], now: Double
    ) -> (SIPCallID, [SIPOutput]) {
        let id = newCallID()
        let callID = ids.token(20) + "@" + SIPSyntax.uriHost(configuration.localHost)
        let localTag = ids.token(10)
        var fromValue = from
        fromValue.tag = localTag
        var toValue = to
        toValue.tag = nil
        var headers = SIPHeaders()
        headers.add("Via", makeVia(destination.transport).description)
        headers.add("Max-Forwards", String(configuration.maxForwards))
        headers.add("From", fromValue.description)
        headers.add("To", toValue.description)
        headers.add("Call-ID", callID)
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", contact(user: from.uri.user, transport: destination.transport))
        headers.add("Allow", Self.allowedMethods.joined(separator: ", "))
        var request = SIPMessage(.request(method: "INVITE", uri: requestURI.description), headers: headers)
        addCommonHeaders(to: &request)
        for (name, value) in extraHeaders { request.headers.add(name, value) }
        setSDP(sdp, on: &request)
        let call = CallState(id: id, role: .uac, callID: callID, localTag: localTag, peer: destination, invite: request)
        call.credentials = credentials
        calls[id] = call
        outgoingCalls[callID] = id
        let (key, outputs) = startClient(request, to: destination, owner: .invite(id), now: now)
        call.inviteKey = key
        return (id, outputs)
    }

    /// Cancels an outgoing call before its final response (§9.1). Before any provisional response
    /// the CANCEL waits for one. The call then fails with the INVITE's final response (normally 487).
    public func cancel(_ call: SIPCallID, now: Double) -> [SIPOutput] {
        guard let state = calls[call], state.role == .uac, state.phase == .inviting || state.phase == .early,
            !state.cancelRequested
        else { return [] }
        state.cancelRequested = true
        return state.gotProvisional ? sendCancel(state, now: now) : []
    }

    /// Ends a call however far it got: BYE in a confirmed dialog, CANCEL before the answer (UAC),
    /// a `status` (default 480) final response before the answer (UAS). No event follows, except
    /// `failed` for a cancelled outgoing call.
    public func hangup(_ call: SIPCallID, status: Int = 480, now: Double) -> [SIPOutput] {
        guard let state = calls[call] else { return [] }
        switch (state.role, state.phase) {
        case (_, .terminated):
            return []
        case (.uac, .inviting), (.uac, .early):
            return cancel(call, now: now)
        case (.uas, .inviting), (.uas, .early):
            return respond(call, status: (300...699).contains(status) ? status : 480, now: now)
        case (_, .confirmed):
            if state.pendingAnswer?.initial == true {
                state.phase = .terminated
                state.byeWhenAcknowledged = true
                return []
            }
            return sendBye(state, now: now)
        }
    }

    /// Sends a re-INVITE with a new offer (hold, unhold, media change). The outcome is
    /// `reofferAnswered` or `reofferFailed`; a 491 (glare) is retried once after the §14.1 delay.
    /// Reports `reofferFailed` 491 at once while another offer is pending and 481 without a
    /// confirmed dialog.
    public func reinvite(_ call: SIPCallID, sdp: [UInt8], now: Double) -> [SIPOutput] {
        guard let state = calls[call] else { return [] }
        guard state.phase == .confirmed, state.dialog != nil else {
            return [.event(.reofferFailed(call, status: 481))]
        }
        guard state.outgoingReinvite == nil, state.incomingReinvite == nil, state.pendingAnswer == nil else {
            return [.event(.reofferFailed(call, status: 491))]
        }
        state.outgoingReinvite = CallState.OutgoingReinvite(key: nil, sdp: sdp)
        return sendReinvite(state, challenge: nil, now: now)
    }

    /// Sends a DTMF digit as an INFO with `application/dtmf-relay` in a confirmed dialog.
    public func sendDTMF(_ call: SIPCallID, digit: Character, durationMilliseconds: Int = 160, now: Double)
        -> [SIPOutput]
    {
        guard let state = calls[call], state.phase == .confirmed, "0123456789*#ABCD".contains(digit) else {
            return []
        }
        let body = Array("Signal=\(digit)\r\nDuration=\(durationMilliseconds)\r\n".utf8)
        return sendInDialog(
            state, method: "INFO", headers: [("Content-Type", "application/dtmf-relay")], body: body, now: now)
    }

    /// Sends a non-INVITE request in the call's confirmed dialog (INFO, NOTIFY).
    func sendInDialog(
        _ state: CallState, method: String, headers: [(String, String)], body: [UInt8], now: Double
    ) -> [SIPOutput] {
        guard var dialog = state.dialog else { return [] }
        let destination = destination(of: state)
        var request = dialog.makeRequest(
            method: method, via: makeVia(destination.transport), maxForwards: configuration.maxForwards)
        state.dialog = dialog
        addCommonHeaders(to: &request)
        for (name, value) in headers { request.headers.add(name, value) }
        request.body = body
        return startClient(request, to: destination, owner: .inDialog(state.id), now: now).1
    }

    // MARK: - Requests we build

    func sendCancel(_ call: CallState, now: Double) -> [SIPOutput] {
        call.cancelSent = true
        call.cancelDeadline = now + timers.transactionTimeout
        let invite = call.invite
        guard case .request(_, let uri) = invite.startLine else { return [] }
        var headers = SIPHeaders()
        if let via = invite.headers["Via"] { headers.add("Via", via) }
        headers.add("Max-Forwards", String(configuration.maxForwards))
        for name in ["From", "To", "Call-ID"] {
            if let value = invite.headers[name] { headers.add(name, value) }
        }
        headers.add("CSeq", "\(call.inviteSequence) CANCEL")
        for route in invite.headers.values("Route") { headers.add("Route", route) }
        var request = SIPMessage(.request(method: "CANCEL", uri: uri), headers: headers)
        addCommonHeaders(to: &request)
        return startClient(request, to: call.peer, owner: .cancel(call.id), now: now).1
    }

    func sendBye(_ call: CallState, challenge: SIPMessage? = nil, now: Double) -> [SIPOutput] {
        call.phase = .terminated
        call.pendingAnswer = nil
        guard var dialog = call.dialog else {
            endCall(call, now: now)
            return []
        }
        let destination = destination(of: call)
        var request = dialog.makeRequest(
            method: "BYE", via: makeVia(destination.transport), maxForwards: configuration.maxForwards)
        call.dialog = dialog
        addCommonHeaders(to: &request)
        if let challenge {
            guard let credentials = call.credentials,
                authorize(&request, challenge: challenge, credentials: credentials)
            else {
                endCall(call, now: now)
                return []
            }
            call.byeAuthorized = true
        }
        let (key, outputs) = startClient(request, to: destination, owner: .bye(call.id), now: now)
        call.byeKey = key
        if key == nil { endCall(call, now: now) }
        return outputs
    }

    func sendReinvite(_ call: CallState, challenge: SIPMessage?, now: Double) -> [SIPOutput] {
        guard var dialog = call.dialog, var pending = call.outgoingReinvite else { return [] }
        let destination = destination(of: call)
        var request = dialog.makeRequest(
            method: "INVITE", via: makeVia(destination.transport), maxForwards: configuration.maxForwards)
        call.dialog = dialog
        request.headers.add("Contact", contact(user: contactUser(of: call), transport: destination.transport))
        request.headers.add("Allow", Self.allowedMethods.joined(separator: ", "))
        addCommonHeaders(to: &request)
        setSDP(pending.sdp, on: &request)
        if let challenge {
            guard let credentials = call.credentials,
                authorize(&request, challenge: challenge, credentials: credentials)
            else {
                call.outgoingReinvite = nil
                return [.event(.reofferFailed(call.id, status: challenge.status ?? 401))]
            }
            pending.authorized = true
        }
        let (key, outputs) = startClient(request, to: destination, owner: .reinvite(call.id), now: now)
        pending.key = key
        call.outgoingReinvite = pending
        return outputs
    }

    /// The user part of our Contact: the caller's user (UAC) or the called user (UAS).
    func contactUser(of call: CallState) -> String? {
        if call.role == .uac { return call.invite.headers["From"].flatMap { NameAddress($0)?.uri.user } }
        guard case .request(_, let uri) = call.invite.startLine else { return nil }
        return SIPURI(uri)?.user
    }

    /// The ACK for a 2xx (§13.2.2.4): in the dialog, with the INVITE's CSeq number and credentials.
    func makeACK(in dialog: inout Dialog, for invite: SIPMessage, transport: SIPTransport) -> SIPMessage {
        let sequence = (try? invite.cseq().number) ?? dialog.localSequence
        var ack = dialog.makeRequest(
            method: "ACK", via: makeVia(transport), maxForwards: configuration.maxForwards, cseq: sequence)
        for name in ["Authorization", "Proxy-Authorization"] {
            for value in invite.headers.values(name) { ack.headers.add(name, value) }
        }
        addCommonHeaders(to: &ack)
        return ack
    }

    /// Whether a 401/407 may be answered: the first challenge, or a second one saying our answer was
    /// right but its nonce stale.
    func mayAnswer(_ challenge: SIPMessage, answered: Int) -> Bool {
        if answered == 0 { return true }
        guard answered == 1 else { return false }
        let values = challenge.headers.values("WWW-Authenticate") + challenge.headers.values("Proxy-Authenticate")
        return values.contains { DigestChallenge.parse($0)?.stale == true }
    }

    /// Adds Authorization (401) or Proxy-Authorization (407) answering the response's challenge.
    func authorize(_ request: inout SIPMessage, challenge response: SIPMessage, credentials: DigestCredentials)
        -> Bool
    {
        let proxy = response.status == 407
        guard case .request(let method, let uri) = request.startLine else { return false }
        let header = proxy ? "Proxy-Authorization" : "Authorization"
        for challenge in response.headers.values(proxy ? "Proxy-Authenticate" : "WWW-Authenticate") {
            if let value = DigestClient.authorization(
                challenge: challenge, credentials: credentials, method: method, uri: uri, body: request.body,
                nonceCount: 1, cnonce: ids.token(16))
            {
                request.headers.remove(header)
                request.headers.add(header, value)
                return true
            }
        }
        return false
    }

    // MARK: - Responses to our requests

    /// Responses to our requests that no transaction matches: a retransmitted 2xx to an INVITE gets
    /// its ACK again; a 2xx from another fork gets an ACK and a BYE (§13.2.2.4).
    func handleResponse(_ response: SIPMessage, now: Double) -> [SIPOutput] {
        guard (try? response.validate()) != nil, let key = ClientTransactionKey(response) else { return [] }
        if let entry = clientTransactions[key] {
            return clientOutputs(entry.transaction.receive(response, now: now), entry: entry, key: key, now: now)
        }
        guard let status = response.status, status >= 200, status < 300, key.method == "INVITE",
            let cseq = try? response.cseq(), let callID = response.callID, let id = outgoingCalls[callID],
            let call = calls[id]
        else { return [] }
        if let dialog = call.dialog, dialog.remoteTag == response.toTag {
            if let ack = call.ack, ack.cseq == cseq.number { return [.send(ack.bytes, to: ack.destination)] }
            return []
        }
        guard cseq.number == call.inviteSequence else { return [] }
        return acknowledgeAndHangUp(response, invite: call.invite, destination: call.peer, now: now)
    }

    /// ACK and BYE for a 2xx that opened a dialog we do not want.
    func acknowledgeAndHangUp(_ response: SIPMessage, invite: SIPMessage, destination: SIPAddress, now: Double)
        -> [SIPOutput]
    {
        guard var dialog = Dialog(request: invite, response: response) else { return [] }
        let ack = makeACK(in: &dialog, for: invite, transport: destination.transport)
        var bye = dialog.makeRequest(
            method: "BYE", via: makeVia(destination.transport), maxForwards: configuration.maxForwards)
        addCommonHeaders(to: &bye)
        return [.send(ack.bytes, to: destination)] + startClient(bye, to: destination, owner: .none, now: now).1
    }

    func clientResponse(_ response: SIPMessage, entry: ClientEntry, now: Double) -> [SIPOutput] {
        let key = entry.transaction.key
        switch entry.owner {
        case .invite(let id): return inviteResponse(response, call: calls[id], entry: entry, now: now)
        case .reinvite(let id): return reinviteResponse(response, call: calls[id], entry: entry, now: now)
        case .bye(let id):
            guard let call = calls[id], call.byeKey == key, let status = response.status, status >= 200 else {
                return []
            }
            if status == 401 || status == 407, call.credentials != nil, !call.byeAuthorized {
                return sendBye(call, challenge: response, now: now)
            }
            endCall(call, now: now)
            return []
        case .register(let id): return registerResponse(response, id: id, key: key, now: now)
        case .keepalive(let destination): return pingResult(destination, key: key, status: response.status, now: now)
        case .cancel, .inDialog, .none: return []
        }
    }

    func clientTimeout(owner: ClientOwner, key: ClientTransactionKey, status: Int, now: Double) -> [SIPOutput] {
        let reason = status == 408 ? "Request Timeout" : "Service Unavailable"
        switch owner {
        case .invite(let id):
            guard let call = calls[id], call.inviteKey == key else { return [] }
            endCall(call, now: now)
            return [.event(.failed(id, status: status, reason: reason))]
        case .reinvite(let id):
            guard let call = calls[id], call.outgoingReinvite?.key == key else { return [] }
            call.outgoingReinvite = nil
            return [.event(.reofferFailed(id, status: status))] + sendBye(call, now: now)
                + [.event(.ended(id, reason: "re-INVITE: \(reason)"))]
        case .bye(let id):
            if let call = calls[id], call.byeKey == key { endCall(call, now: now) }
            return []
        case .inDialog(let id):
            guard let call = calls[id], call.phase == .confirmed else { return [] }
            return sendBye(call, now: now) + [.event(.ended(id, reason: "in-dialog request: \(reason)"))]
        case .register(let id): return registerFailed(id, key: key, status: status, now: now)
        case .keepalive(let destination): return pingResult(destination, key: key, status: nil, now: now)
        case .cancel, .none: return []
        }
    }

    func inviteResponse(_ response: SIPMessage, call: CallState?, entry: ClientEntry, now: Double) -> [SIPOutput] {
        guard let status = response.status else { return [] }
        guard let call, call.inviteKey == entry.transaction.key else {
            guard status >= 200, status < 300 else { return [] }
            return acknowledgeAndHangUp(
                response, invite: entry.transaction.request, destination: entry.destination, now: now)
        }
        if status < 200 {
            call.gotProvisional = true
            if status > 100, response.toTag != nil, call.phase == .inviting || call.phase == .early {
                if call.dialog?.remoteTag != response.toTag,
                    let dialog = Dialog(request: call.invite, response: response)
                {
                    register(dialog: dialog, for: call)
                }
                call.phase = .early
            }
            if call.cancelRequested {
                return call.cancelSent ? [] : sendCancel(call, now: now)
            }
            return status > 100 ? [.event(.provisional(call.id, status: status, sdp: sdp(of: response)))] : []
        }
        if status < 300 { return inviteAccepted(response, call: call, now: now) }
        if status == 401 || status == 407, let credentials = call.credentials, !call.cancelRequested,
            mayAnswer(response, answered: call.inviteChallengesAnswered)
        {
            var request = call.invite
            request.headers = request.headers.replacingFirst("Via", with: makeVia(call.peer.transport).description)
            request.headers.set("CSeq", "\(call.inviteSequence &+ 1) INVITE")
            if authorize(&request, challenge: response, credentials: credentials) {
                call.invite = request
                call.inviteChallengesAnswered += 1
                call.gotProvisional = false
                if let dialog = call.dialog, dialogs[dialog.id] == call.id { dialogs[dialog.id] = nil }
                call.dialog = nil
                call.phase = .inviting
                let (newKey, outputs) = startClient(request, to: call.peer, owner: .invite(call.id), now: now)
                call.inviteKey = newKey
                return outputs
            }
        }
        endCall(call, now: now)
        let reason: String
        if case .response(_, let phrase) = response.startLine { reason = phrase } else { reason = "" }
        return [.event(.failed(call.id, status: status, reason: reason))]
    }

    func inviteAccepted(_ response: SIPMessage, call: CallState, now: Double) -> [SIPOutput] {
        var dialog: Dialog
        if var existing = call.dialog, existing.remoteTag == response.toTag {
            existing.confirm(with: response)
            dialog = existing
        } else if let created = Dialog(request: call.invite, response: response) {
            dialog = created
        } else {
            endCall(call, now: now)
            return [.event(.failed(call.id, status: 502, reason: "2xx without To tag"))]
        }
        register(dialog: dialog, for: call)
        let destination = destination(of: call)
        let ack = makeACK(in: &dialog, for: call.invite, transport: destination.transport)
        call.dialog = dialog
        let bytes = ack.bytes
        call.ack = (call.inviteSequence, bytes, destination)
        call.cancelDeadline = nil
        var outputs: [SIPOutput] = [.send(bytes, to: destination)]
        if call.cancelRequested {
            outputs += sendBye(call, now: now)
            outputs.append(.event(.failed(call.id, status: 487, reason: "Request Terminated")))
        } else {
            call.phase = .confirmed
            outputs.append(.event(.answered(call.id, sdp: sdp(of: response) ?? [])))
        }
        return outputs
    }

    func reinviteResponse(_ response: SIPMessage, call: CallState?, entry: ClientEntry, now: Double) -> [SIPOutput] {
        guard let status = response.status, status >= 200, let call, var pending = call.outgoingReinvite,
            pending.key == entry.transaction.key
        else { return [] }
        if status < 300 {
            call.outgoingReinvite = nil
            let request = entry.transaction.request
            guard var dialog = call.dialog else { return [] }
            dialog.refreshTarget(from: response)
            let destination = destination(of: call)
            let ack = makeACK(in: &dialog, for: request, transport: destination.transport)
            call.dialog = dialog
            call.ack = ((try? request.cseq().number) ?? dialog.localSequence, ack.bytes, destination)
            var outputs: [SIPOutput] = [.send(ack.bytes, to: destination)]
            if call.phase == .confirmed { outputs.append(.event(.reofferAnswered(call.id, sdp: sdp(of: response)))) }
            return outputs
        }
        if status == 401 || status == 407, call.credentials != nil, !pending.authorized {
            return sendReinvite(call, challenge: response, now: now)
        }
        if status == 491, !pending.retriedAfterGlare {
            pending.retriedAfterGlare = true
            pending.key = nil
            pending.retryAt = now + ids.uniform(call.role == .uac ? 2.1...4.0 : 0.0...2.0)
            call.outgoingReinvite = pending
            return []
        }
        call.outgoingReinvite = nil
        var outputs: [SIPOutput] = [.event(.reofferFailed(call.id, status: status))]
        if status == 481 {
            endCall(call, now: now)
            outputs.append(.event(.ended(call.id, reason: "re-INVITE: 481")))
        } else if status == 408 {
            outputs += sendBye(call, now: now)
            outputs.append(.event(.ended(call.id, reason: "re-INVITE: 408")))
        }
        return outputs
    }
}
