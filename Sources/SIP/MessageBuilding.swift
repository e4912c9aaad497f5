import SIPMessage

extension SIPUserAgent {
    /// A Via for a request we send: our address, a fresh branch and `rport` (RFC 3581).
    func makeVia(_ transport: SIPTransport) -> Via {
        Via(
            transport: transport.rawValue, host: configuration.localHost, port: configuration.port(for: transport),
            branch: nil, parameters: SIPParameters([("branch", ids.branch()), ("rport", nil)]))
    }

    /// Our Contact for `transport`, with `;transport=tcp` or `;transport=tls` over those.
    func contact(user: String?, transport: SIPTransport) -> String {
        var parameters = SIPParameters()
        if let name = transport.uriParameter { parameters.set("transport", name) }
        let uri = SIPURI(
            user: user, host: configuration.localHost, port: configuration.port(for: transport),
            parameters: parameters)
        return NameAddress(uri: uri).description
    }

    /// A response to `request` (§8.2.6): its Vias, From, To (with `toTag` when it has none and the
    /// status is not 100), Call-ID and CSeq, plus Record-Route for dialog-creating INVITE responses.
    func makeResponse(to request: SIPMessage, status: Int, reason: String? = nil, toTag: String?) -> SIPMessage {
        var headers = SIPHeaders()
        for via in request.headers.values("Via") { headers.add("Via", via) }
        if let from = request.headers["From"] { headers.add("From", from) }
        if var to = request.headers["To"] {
            if status > 100, let toTag, request.toTag == nil { to += ";tag=" + toTag }
            headers.add("To", to)
        }
        if let callID = request.headers["Call-ID"] { headers.add("Call-ID", callID) }
        if let cseq = request.headers["CSeq"] { headers.add("CSeq", cseq) }
        if request.method == "INVITE", status > 100, status < 300 {
            for route in request.headers.values("Record-Route") { headers.add("Record-Route", route) }
        }
        headers.add("Server", configuration.userAgent)
        let phrase = ReasonPhrase.sanitized(reason ?? ReasonPhrase.phrase(for: status))
        return SIPMessage(.response(status: status, reason: phrase), headers: headers)
    }

    /// Headers every request we originate carries after the dialog ones.
    func addCommonHeaders(to request: inout SIPMessage) {
        request.headers.add("User-Agent", configuration.userAgent)
    }

    /// Sets an SDP body (or none).
    func setSDP(_ sdp: [UInt8]?, on message: inout SIPMessage) {
        message.headers.remove("Content-Type")
        guard let sdp, !sdp.isEmpty else {
            message.body = []
            return
        }
        message.headers.add("Content-Type", "application/sdp")
        message.body = sdp
    }

    /// Where responses to a request go (§18.2.2, RFC 3581): back to the source over TCP or TLS; over UDP
    /// to `received` (else the sent-by host) at `rport` (else the sent-by port, else 5060).
    func responseDestination(via: Via, source: SIPAddress) -> SIPAddress {
        if source.transport.isReliable { return source }
        let host = via.received ?? via.host
        return SIPAddress(
            transport: source.transport, host: SIPSyntax.bareHost(host), port: via.rport ?? via.port ?? 5060)
    }

    /// Adds `received` and `rport` to a request's top Via (§18.2.1, RFC 3581): `rport` gets the
    /// source port when asked for, `received` the source address when it differs from sent-by (always
    /// when `rport` was asked for). A `received` the sender wrote itself is dropped: responses go
    /// where the request came from, not to an address of its choosing.
    func stampVia(_ via: Via, source: SIPAddress) -> Via {
        var stamped = via
        if via.hasRport {
            stamped.rport = source.port
            stamped.received = source.host
        } else if SIPSyntax.bareHost(via.host).lowercased() != source.host.lowercased() {
            stamped.received = source.host
        } else {
            stamped.received = nil
        }
        return stamped
    }

    /// The SDP body of a message, or nil when it has none (or another kind of body).
    func sdp(of message: SIPMessage) -> [UInt8]? {
        guard !message.body.isEmpty else { return nil }
        if let type = message.contentType, type != "application/sdp" { return nil }
        return message.body
    }
}
