import STUN

/// A full ICE agent (RFC 8445) for a client such as the headless agent, in either role, with
/// host candidates only and one component (rtcp-mux).
///
/// - Controlling (the offerer, or facing an ICE-lite peer): aggressive nomination. Every check
///   carries USE-CANDIDATE and the first pair that answers with valid integrity is selected.
/// - Controlled (the answerer to a full agent): checks go out without USE-CANDIDATE; a pair is
///   selected once the peer nominated it and a check on it succeeded (RFC 8445 §7.3.1.5). A
///   nomination from an address not yet checked triggers a check to it.
///
/// Either way the peer's checks are answered, and after selection a check every
/// `consentInterval` keeps consent (RFC 7675). Sans I/O: datagrams and time in, datagrams
/// out, on the caller's clock.
public final class ICEFullAgent {
    public enum Role: Sendable, Equatable {
        case controlling, controlled
    }

    /// What to send and what changed.
    public struct Output: Sendable, Equatable {
        public var datagrams: [Datagram] = []
        /// Set once, when a pair is selected.
        public var selected: TransportAddress?
        /// Set once, when ICE failed (no candidate answered, or consent was lost); says why.
        public var failure: String?
    }

    public struct Datagram: Sendable, Equatable {
        public var bytes: [UInt8]
        public var destination: TransportAddress
    }

    struct Check {
        var transactionID: [UInt8]
        var destination: TransportAddress
        var sentAt: Double
        var interval: Double
        var attempts: Int
    }

    public let role: Role
    public let localUfrag: String
    public let localPassword: String
    public let remoteUfrag: String
    public let remotePassword: String
    public private(set) var selected: TransportAddress?
    public private(set) var failed = false
    /// First retransmission interval; it doubles up to 1.6 s, for `maxAttempts` sends (RFC 8445 §14.3).
    public var initialRTO = 0.1
    public var maxAttempts = 7
    public var consentInterval = 5.0
    public var consentTimeout = 30.0
    private let remoteCandidates: [TransportAddress]
    private let tieBreaker: [UInt8]
    private let priority: UInt32
    private var pending: [Check] = []
    /// Addresses whose check succeeded (valid pairs) and addresses the peer nominated.
    private var valid: [TransportAddress] = []
    private var nominated: [TransportAddress] = []
    private var started = false
    private var lastConsent = 0.0
    private var nextConsentCheck: Double?

    public init(
        role: Role, localUfrag: String, localPassword: String, remoteUfrag: String, remotePassword: String,
        remoteCandidates: [TransportAddress], priority: UInt32 = 2_130_706_431
    ) {
        self.role = role
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.remoteUfrag = remoteUfrag
        self.remotePassword = remotePassword
        self.remoteCandidates = remoteCandidates
        self.priority = priority
        var generator = SystemRandomNumberGenerator()
        tieBreaker = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Sends the first check to every remote candidate. A controlled agent may have none: the
    /// peer's checks then reveal its address (a peer-reflexive candidate).
    public func start(now: Double) -> Output {
        var output = Output()
        guard !remoteCandidates.isEmpty || role == .controlled else {
            return fail("the peer offered no candidate", into: &output)
        }
        started = true
        lastConsent = now
        for candidate in remoteCandidates { output.datagrams.append(send(to: candidate, now: now)) }
        return output
    }

    /// The earliest time `handleTimeout` has work.
    public var nextTimeout: Double? {
        guard started, !failed else { return nil }
        let retransmit = pending.map { $0.sentAt + $0.interval }.min()
        let waitingForNomination = selected == nil && pending.isEmpty ? lastConsent + consentTimeout : nil
        return [retransmit, nextConsentCheck, selected.map { _ in lastConsent + consentTimeout }, waitingForNomination]
            .compactMap { $0 }.min()
    }

    /// A STUN datagram from `source`: a response to one of our checks, or the peer's own check.
    public func handle(_ datagram: [UInt8], from source: TransportAddress, now: Double) -> Output {
        var output = Output()
        guard !failed, let message = try? STUNMessage.parse(datagram), message.method == STUNMessage.bindingMethod
        else { return output }
        switch message.messageClass {
        case .success:
            guard let index = pending.firstIndex(where: { $0.transactionID == message.transactionID }),
                pending[index].destination == source,
                (try? STUNMessage.verifyIntegrity(datagram, key: Array(remotePassword.utf8))) != nil
            else { return output }
            pending.remove(at: index)
            lastConsent = now
            if !valid.contains(source) { valid.append(source) }
            if selected == nil, role == .controlling || nominated.contains(source) {
                select(source, into: &output)
            }
            if selected != nil { nextConsentCheck = now + consentInterval }
        case .request:
            guard message.username == "\(localUfrag):\(remoteUfrag)",
                (try? STUNMessage.verifyIntegrity(datagram, key: Array(localPassword.utf8))) != nil
            else { return output }
            output.datagrams.append(response(to: message, from: source))
            guard role == .controlled, selected == nil, message.hasUseCandidate else { break }
            if !nominated.contains(source) { nominated.append(source) }
            if valid.contains(source) {
                select(source, into: &output)
                nextConsentCheck = now + consentInterval
            } else if !pending.contains(where: { $0.destination == source }) {
                output.datagrams.append(send(to: source, now: now))
            }
        default:
            break
        }
        return output
    }

    /// Retransmits unanswered checks, gives up on candidates that never answered, sends consent
    /// checks, and fails when consent lapsed.
    public func handleTimeout(now: Double) -> Output {
        var output = Output()
        guard started, !failed else { return output }
        if let selected, now - lastConsent >= consentTimeout {
            return fail("consent lost: no answer from \(selected) for \(Int(consentTimeout)) s", into: &output)
        }
        var kept: [Check] = []
        for var check in pending {
            guard now >= check.sentAt + check.interval else {
                kept.append(check)
                continue
            }
            guard check.attempts < maxAttempts else { continue }
            check.attempts += 1
            check.sentAt = now
            check.interval = min(check.interval * 2, 1.6)
            output.datagrams.append(Datagram(bytes: request(check.transactionID), destination: check.destination))
            kept.append(check)
        }
        pending = kept
        if selected == nil, pending.isEmpty {
            // A controlled agent whose checks all answered still waits (a while) for the nomination.
            if role == .controlling || valid.isEmpty && !remoteCandidates.isEmpty {
                return fail("no candidate answered the connectivity checks", into: &output)
            }
            if now - lastConsent >= consentTimeout {
                return fail("the peer nominated no candidate in \(Int(consentTimeout)) s", into: &output)
            }
        }
        if let selected, let due = nextConsentCheck, now >= due {
            nextConsentCheck = now + consentInterval
            output.datagrams.append(send(to: selected, now: now))
        }
        return output
    }

    private func select(_ source: TransportAddress, into output: inout Output) {
        selected = source
        output.selected = source
        // The other candidates' checks are no longer needed.
        pending.removeAll()
    }

    private func fail(_ reason: String, into output: inout Output) -> Output {
        failed = true
        pending.removeAll()
        output.failure = reason
        return output
    }

    private func response(to message: STUNMessage, from source: TransportAddress) -> Datagram {
        let response = STUNMessage(
            method: STUNMessage.bindingMethod, messageClass: .success, transactionID: message.transactionID,
            attributes: [
                (
                    STUNAttribute.xorMappedAddress,
                    STUNMessage.xorMappedAddress(ip: source.ip, port: source.port, transactionID: message.transactionID)
                )
            ])
        return Datagram(bytes: response.serialize(integrityKey: Array(localPassword.utf8)), destination: source)
    }

    private func send(to destination: TransportAddress, now: Double) -> Datagram {
        var generator = SystemRandomNumberGenerator()
        let transactionID = (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
        pending.append(
            Check(
                transactionID: transactionID, destination: destination, sentAt: now, interval: initialRTO, attempts: 1))
        return Datagram(bytes: request(transactionID), destination: destination)
    }

    private func request(_ transactionID: [UInt8]) -> [UInt8] {
        var priorityBytes: [UInt8] = []
        for shift in stride(from: 24, through: 0, by: -8) {
            priorityBytes.append(UInt8((priority >> UInt32(shift)) & 0xff))
        }
        var attributes: [(UInt16, [UInt8])] = [
            (STUNAttribute.username, Array("\(remoteUfrag):\(localUfrag)".utf8)),
            (STUNAttribute.priority, priorityBytes),
        ]
        switch role {
        case .controlling:
            attributes.append((STUNAttribute.iceControlling, tieBreaker))
            attributes.append((STUNAttribute.useCandidate, []))
        case .controlled:
            attributes.append((STUNAttribute.iceControlled, tieBreaker))
        }
        let message = STUNMessage(
            method: STUNMessage.bindingMethod, messageClass: .request, transactionID: transactionID,
            attributes: attributes)
        return message.serialize(integrityKey: Array(remotePassword.utf8))
    }
}
