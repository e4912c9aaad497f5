import SIPDigest
import SIPMessage

extension SIPUserAgent {
    /// Registers `aor` with a registrar (RFC 3261 §10) and keeps the binding fresh: the REGISTER is
    /// repeated before the granted expiry, retried after failures, answered once per challenge with
    /// `credentials`, and raised to Min-Expires after a 423. Each outcome is a `registration` event.
    /// Calling again with the same `id` replaces the registration (same Call-ID, next CSeq).
    public func register(
        id: String, registrar: SIPURI, aor: NameAddress, destination: SIPAddress, credentials: DigestCredentials?,
        expires: Int, now: Double
    ) -> [SIPOutput] {
        let registration: Registration
        if let existing = registrations[id] {
            registration = existing
            registration.registrar = registrar
            registration.aor = aor
            registration.destination = destination
            registration.credentials = credentials
            registration.expires = max(0, expires)
            abandon(registration.key)
        } else {
            registration = Registration(
                id: id, registrar: registrar, aor: aor, destination: destination, credentials: credentials,
                expires: max(0, expires), callID: ids.token(20) + "@" + SIPSyntax.uriHost(configuration.localHost),
                fromTag: ids.token(10))
            registrations[id] = registration
        }
        registration.refreshAt = nil
        registration.intervalRaised = false
        return sendRegister(registration, challenge: nil, now: now)
    }

    /// Removes the binding (REGISTER with Expires 0) and stops refreshing; reported as a
    /// `registration` event with `expires` 0.
    public func unregister(id: String, now: Double) -> [SIPOutput] {
        guard let registration = registrations[id] else { return [] }
        abandon(registration.key)
        registration.expires = 0
        registration.refreshAt = nil
        return sendRegister(registration, challenge: nil, now: now)
    }

    func abandon(_ key: ClientTransactionKey?) {
        guard let key, let entry = clientTransactions[key] else { return }
        entry.transaction.terminate()
        clientTransactions[key] = nil
    }

    func sendRegister(_ registration: Registration, challenge: SIPMessage?, now: Double) -> [SIPOutput] {
        registration.sequence &+= 1
        var from = registration.aor
        from.tag = registration.fromTag
        var to = registration.aor
        to.tag = nil
        let transport = registration.destination.transport
        var headers = SIPHeaders()
        headers.add("Via", makeVia(transport).description)
        headers.add("Max-Forwards", String(configuration.maxForwards))
        headers.add("From", from.description)
        headers.add("To", to.description)
        headers.add("Call-ID", registration.callID)
        headers.add("CSeq", "\(registration.sequence) REGISTER")
        headers.add("Contact", contact(user: registration.aor.uri.user, transport: transport))
        headers.add("Expires", String(registration.expires))
        headers.add("Allow", Self.allowedMethods.joined(separator: ", "))
        var request = SIPMessage(
            .request(method: "REGISTER", uri: registration.registrar.description), headers: headers)
        addCommonHeaders(to: &request)
        if challenge == nil { registration.challengesAnswered = 0 }
        if let challenge {
            guard let credentials = registration.credentials,
                authorize(&request, challenge: challenge, credentials: credentials)
            else {
                return registerFailed(registration.id, key: registration.key, status: challenge.status ?? 401, now: now)
            }
            registration.challengesAnswered += 1
        }
        let (key, outputs) = startClient(
            request, to: registration.destination, owner: .register(registration.id), now: now)
        registration.key = key
        return outputs
    }

    func registerResponse(_ response: SIPMessage, id: String, key: ClientTransactionKey, now: Double) -> [SIPOutput] {
        guard let registration = registrations[id], registration.key == key, let status = response.status,
            status >= 200
        else { return [] }
        if status < 300 {
            registration.key = nil
            registration.intervalRaised = false
            if registration.expires == 0 {
                registrations[id] = nil
                return [.event(.registration(id, ok: true, status: status, expires: 0))]
            }
            let granted = grantedExpires(response, registration: registration)
            let delay = granted < 120 ? Double(granted) / 2 : Double(granted) - 60
            registration.refreshAt = now + max(1, delay)
            return [.event(.registration(id, ok: true, status: status, expires: granted))]
        }
        if status == 401 || status == 407, registration.credentials != nil,
            mayAnswer(response, answered: registration.challengesAnswered)
        {
            return sendRegister(registration, challenge: response, now: now)
        }
        if status == 423, !registration.intervalRaised,
            let minimum = response.headers["Min-Expires"].flatMap({ Int($0) }),
            minimum > registration.expires
        {
            registration.expires = minimum
            registration.intervalRaised = true
            return sendRegister(registration, challenge: nil, now: now)
        }
        return registerFailed(id, key: key, status: status, now: now)
    }

    func registerFailed(_ id: String, key: ClientTransactionKey?, status: Int, now: Double) -> [SIPOutput] {
        guard let registration = registrations[id], registration.key == key else { return [] }
        registration.key = nil
        if registration.expires == 0 {
            registrations[id] = nil
        } else {
            registration.refreshAt = now + configuration.registrationRetryInterval
        }
        return [.event(.registration(id, ok: false, status: status, expires: 0))]
    }

    /// The expiry the registrar granted our binding: its Contact's `expires`, else the Expires
    /// header, else what we asked for.
    func grantedExpires(_ response: SIPMessage, registration: Registration) -> Int {
        let ourHost = SIPSyntax.bareHost(configuration.localHost).lowercased()
        let ourPort = configuration.port(for: registration.destination.transport)
        for value in response.headers.values("Contact") {
            guard let contact = NameAddress(value), contact.uri.bareHost.lowercased() == ourHost,
                (contact.uri.port ?? 5060) == ourPort, let expires = contact.parameters["expires"].flatMap({ Int($0) })
            else { continue }
            return max(0, expires)
        }
        if let expires = response.headers["Expires"].flatMap({ Int(SIPSyntax.trim(Substring($0))) }) {
            return max(0, expires)
        }
        return registration.expires
    }
}
