import STUN

/// An IP address (4 or 16 bytes) and port.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: [UInt8]
    public var port: UInt16
    public init(ip: [UInt8], port: UInt16) {
        self.ip = ip
        self.port = port
    }
    public var description: String {
        ip.count == 4 ? "\(ip.map(String.init).joined(separator: ".")):\(port)" : "[\(ip)]:\(port)"
    }
}

/// The result of one STUN datagram.
public struct ICEOutput: Sendable, Equatable {
    /// The response to send back to the sender, if any.
    public var response: [UInt8]?
    /// Set when this request nominated (or moved) the selected address.
    public var nominated: TransportAddress?
    /// Set when the datagram was refused, and why (counted in metrics).
    public var refused: String?
}

/// The lite side of ICE (RFC 8445 §2.5): answers connectivity checks from the full agent,
/// selects the address the peer nominates with USE-CANDIDATE, and tracks consent freshness
/// (RFC 7675) as the arrival of valid checks on the selected address. Sans I/O; time is in
/// seconds on the caller's clock.
public final class ICELiteAgent {
    public let localUfrag: String
    public let localPassword: String
    public private(set) var remoteUfrag: String?
    public private(set) var selected: TransportAddress?
    /// How long consent lasts after the last valid check on the selected address.
    public let consentTimeout: Double
    private var lastConsent: Double?

    public init(localUfrag: String, localPassword: String, remoteUfrag: String? = nil, consentTimeout: Double = 30) {
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.remoteUfrag = remoteUfrag
        self.consentTimeout = consentTimeout
    }

    public func setRemoteUfrag(_ ufrag: String) { remoteUfrag = ufrag }

    /// Handles a STUN datagram from `source`.
    public func handle(_ datagram: [UInt8], from source: TransportAddress, now: Double) -> ICEOutput {
        let message: STUNMessage
        do {
            message = try STUNMessage.parse(datagram)
        } catch {
            return ICEOutput(refused: "malformed STUN: \(error)")
        }
        guard message.messageClass == .request, message.method == STUNMessage.bindingMethod else {
            // Lite agents send no checks, so responses and indications are not for us.
            return ICEOutput(refused: "not a binding request")
        }
        guard let username = message.username, let colon = username.firstIndex(of: ":"),
            username[..<colon] == localUfrag
        else {
            return ICEOutput(response: errorResponse(400, "Bad Request", message), refused: "wrong or missing USERNAME")
        }
        if let remoteUfrag, username[username.index(after: colon)...] != remoteUfrag {
            return ICEOutput(
                response: errorResponse(400, "Bad Request", message), refused: "USERNAME names another peer")
        }
        do {
            try STUNMessage.verifyIntegrity(datagram, key: Array(localPassword.utf8))
        } catch {
            return ICEOutput(
                response: errorResponse(401, "Unauthorized", message), refused: "MESSAGE-INTEGRITY check failed")
        }
        var output = ICEOutput()
        if message.hasUseCandidate, selected != source {
            selected = source
            output.nominated = source
        }
        if source == selected { lastConsent = now }
        let success = STUNMessage(
            messageClass: .success, transactionID: message.transactionID,
            attributes: [
                (
                    STUNAttribute.xorMappedAddress,
                    STUNMessage.xorMappedAddress(ip: source.ip, port: source.port, transactionID: message.transactionID)
                )
            ])
        output.response = success.serialize(integrityKey: Array(localPassword.utf8))
        return output
    }

    /// Whether media from `source` may be accepted now: it is the selected address and its
    /// consent has not expired.
    public func accepts(_ source: TransportAddress, now: Double) -> Bool {
        source == selected && hasConsent(now: now)
    }

    public func hasConsent(now: Double) -> Bool {
        guard let lastConsent else { return false }
        return now - lastConsent < consentTimeout
    }

    /// True once consent was granted and has since run out: the call should end.
    public func consentExpired(now: Double) -> Bool {
        guard let lastConsent else { return false }
        return now - lastConsent >= consentTimeout
    }

    private func errorResponse(_ code: Int, _ reason: String, _ request: STUNMessage) -> [UInt8] {
        let value = [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(reason.utf8)
        return STUNMessage(
            messageClass: .error, transactionID: request.transactionID, attributes: [(STUNAttribute.errorCode, value)]
        ).serialize()
    }
}
