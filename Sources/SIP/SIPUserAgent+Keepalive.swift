import SIPMessage

extension SIPUserAgent {
    /// Pings `destination` with OPTIONS now and every `interval` seconds (at most one ping in flight)
    /// and reports `keepalive` events when it goes up or down: a final response below 500 (or 501)
    /// means up; a timeout, a transport error or another 5xx/6xx means down. Calling again changes
    /// the interval.
    public func keepalive(destination: SIPAddress, interval: Double, now: Double) -> [SIPOutput] {
        let period = max(interval, 0.1)
        let keepalive = keepalives[destination] ?? Keepalive(destination: destination, interval: period, nextAt: now)
        keepalive.interval = period
        keepalive.nextAt = now + period
        keepalives[destination] = keepalive
        return keepalive.key == nil ? sendPing(keepalive, now: now) : []
    }

    /// Stops pinging `destination`.
    public func stopKeepalive(destination: SIPAddress) {
        guard let keepalive = keepalives.removeValue(forKey: destination) else { return }
        abandon(keepalive.key)
    }

    func sendPing(_ keepalive: Keepalive, now: Double) -> [SIPOutput] {
        let destination = keepalive.destination
        var parameters = SIPParameters()
        if let name = destination.transport.uriParameter { parameters.set("transport", name) }
        let target = SIPURI(host: destination.host, port: destination.port, parameters: parameters)
        let from = NameAddress(
            uri: SIPURI(user: "keepalive", host: configuration.localHost),
            parameters: SIPParameters([("tag", ids.token(10))]))
        var headers = SIPHeaders()
        headers.add("Via", makeVia(destination.transport).description)
        headers.add("Max-Forwards", String(configuration.maxForwards))
        headers.add("From", from.description)
        headers.add("To", NameAddress(uri: SIPURI(host: destination.host, port: destination.port)).description)
        headers.add("Call-ID", ids.token(20) + "@" + SIPSyntax.uriHost(configuration.localHost))
        headers.add("CSeq", "1 OPTIONS")
        headers.add("Accept", "application/sdp")
        var request = SIPMessage(.request(method: "OPTIONS", uri: target.description), headers: headers)
        addCommonHeaders(to: &request)
        let (key, outputs) = startClient(request, to: destination, owner: .keepalive(destination), now: now)
        keepalive.key = key
        return outputs
    }

    /// A ping's outcome: a final status, or nil for a timeout or transport error.
    func pingResult(_ destination: SIPAddress, key: ClientTransactionKey, status: Int?, now: Double) -> [SIPOutput] {
        guard let keepalive = keepalives[destination], keepalive.key == key else { return [] }
        if let status, status < 200 { return [] }
        keepalive.key = nil
        let up = status.map { $0 < 500 || $0 == 501 } ?? false
        guard keepalive.up != up else { return [] }
        keepalive.up = up
        return [.event(.keepalive(destination, ok: up))]
    }
}
