import SIPDigest
import SIPMessage

/// A SIP user agent core (UAC and UAS) over RFC 3261 transactions and dialogs, without I/O.
///
/// The gateway feeds it the bytes it receives (`receive`) and the passing of time
/// (`handleTimeout` at `nextTimeout`), calls its API to place, answer and end calls, and carries out
/// the returned outputs in order: send bytes to an address, or handle an event. Not thread-safe:
/// confine each instance to one event loop.
public final class SIPUserAgent {
    /// The methods we implement, advertised in Allow.
    public static let allowedMethods = ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "REFER"]
    /// Option tags we support (none: a Require naming anything gets 420).
    public static let supportedExtensions: Set<String> = []

    /// How the user agent presents itself and times its transactions.
    public let configuration: SIPUserAgentConfiguration

    var ids: IdentifierGenerator
    var nextCallNumber: UInt64 = 1
    var calls: [SIPCallID: CallState] = [:]
    var dialogs: [DialogID: SIPCallID] = [:]
    /// UAC calls by Call-ID (ours are unique), to catch retransmitted and forked 2xx responses.
    var outgoingCalls: [String: SIPCallID] = [:]
    /// UAS calls by their initial INVITE, with the time the entry may be forgotten once the call ended.
    var incomingInvites: [IncomingInviteKey: (call: SIPCallID, branch: String, forgetAt: Double?)] = [:]
    /// Ended calls' INVITE keys with when to forget them, oldest first (from `forgettingHead` on).
    var forgetting: [(at: Double, key: IncomingInviteKey)] = []
    var forgettingHead = 0
    var clientTransactions: [ClientTransactionKey: ClientEntry] = [:]
    var serverTransactions: [ServerTransactionKey: ServerEntry] = [:]
    var registrations: [String: Registration] = [:]
    var keepalives: [SIPAddress: Keepalive] = [:]

    /// A user agent; `seed` makes branches, tags and Call-IDs reproducible (tests).
    public init(configuration: SIPUserAgentConfiguration, seed: UInt64? = nil) {
        self.configuration = configuration
        ids = IdentifierGenerator(seed: seed)
    }

    var timers: SIPTimerValues { configuration.timers }

    // MARK: - Input

    /// Handles one datagram (UDP) or one framed message (TCP) from `source`. Never traps: what
    /// cannot be read is answered 400/505 when possible and otherwise dropped.
    public func receive(_ bytes: [UInt8], from source: SIPAddress, now: Double) -> [SIPOutput] {
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 || $0 == 32 || $0 == 9 || $0 == 0 }) { return [] }  // keep-alives
        let message: SIPMessage
        do {
            message = try SIPMessage.parse(bytes, stream: source.transport.isReliable)
        } catch {
            return answerUnparseable(bytes, error: error, from: source, now: now)
        }
        return receive(message: message, from: source, now: now)
    }

    /// Handles a message already parsed (for example by `SIPStreamFramer` on TCP).
    public func receive(message: SIPMessage, from source: SIPAddress, now: Double) -> [SIPOutput] {
        switch message.startLine {
        case .request: return handleRequest(message, from: source, now: now)
        case .response: return handleResponse(message, now: now)
        }
    }

    // MARK: - Time

    /// The earliest time at which `handleTimeout` has work, or nil when nothing is scheduled.
    public var nextTimeout: Double? {
        var earliest: Double?
        func consider(_ time: Double?) {
            guard let time else { return }
            if earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        for entry in clientTransactions.values { consider(entry.transaction.nextTimeout) }
        for entry in serverTransactions.values { consider(entry.transaction.nextTimeout) }
        for call in calls.values {
            consider(call.pendingAnswer?.nextAt)
            consider(call.pendingAnswer?.giveUpAt)
            consider(call.cancelDeadline)
            consider(call.outgoingReinvite?.retryAt)
        }
        for registration in registrations.values { consider(registration.refreshAt) }
        for keepalive in keepalives.values { consider(keepalive.nextAt) }
        return earliest
    }

    /// Runs every timer due at `now`: retransmissions, transaction timeouts, 2xx retransmission and
    /// give-up, registration refreshes and keepalive pings.
    public func handleTimeout(now: Double) -> [SIPOutput] {
        var outputs: [SIPOutput] = []
        for (key, entry) in clientTransactions {
            guard let due = entry.transaction.nextTimeout, due <= now else { continue }
            outputs += clientOutputs(entry.transaction.handleTimeout(now: now), entry: entry, key: key, now: now)
        }
        for (key, entry) in serverTransactions {
            guard let due = entry.transaction.nextTimeout, due <= now else { continue }
            for output in entry.transaction.handleTimeout(now: now) {
                if case .send(let bytes) = output { outputs.append(.send(bytes, to: entry.destination)) }
            }
            if entry.transaction.state == .terminated { serverTransactions[key] = nil }
        }
        for call in Array(calls.values) { outputs += callTimers(call, now: now) }
        for registration in Array(registrations.values) {
            if let due = registration.refreshAt, due <= now {
                registration.refreshAt = nil
                outputs += sendRegister(registration, challenge: nil, now: now)
            }
        }
        for keepalive in Array(keepalives.values) where keepalive.nextAt <= now {
            keepalive.nextAt = now + keepalive.interval
            if keepalive.key == nil { outputs += sendPing(keepalive, now: now) }
        }
        // Ended calls' INVITEs are forgotten in the order they ended (all wait the same time).
        while forgettingHead < forgetting.count, forgetting[forgettingHead].at <= now {
            let key = forgetting[forgettingHead].key
            if let due = incomingInvites[key]?.forgetAt, due <= now { incomingInvites[key] = nil }
            forgettingHead += 1
        }
        if forgettingHead > 1024, forgettingHead * 2 > forgetting.count {
            forgetting.removeFirst(forgettingHead)
            forgettingHead = 0
        }
        return outputs
    }

    /// The transport towards `destination` failed (connection refused or reset, ICMP unreachable):
    /// every client transaction towards it ends as if it had timed out, with 503.
    public func transportFailed(_ destination: SIPAddress, now: Double) -> [SIPOutput] {
        var outputs: [SIPOutput] = []
        for (key, entry) in clientTransactions where entry.destination == destination {
            entry.transaction.terminate()
            clientTransactions[key] = nil
            outputs += clientTimeout(owner: entry.owner, key: key, status: 503, now: now)
        }
        return outputs
    }

    // MARK: - Introspection

    /// The dialog of a call, once there is one.
    public func dialog(_ call: SIPCallID) -> Dialog? { calls[call]?.dialog }

    /// The SIP Call-ID of a call (for logs and CDRs).
    public func sipCallID(_ call: SIPCallID) -> String? { calls[call]?.callID }

    /// The number of calls the user agent still tracks.
    public var callCount: Int { calls.count }

    // MARK: - Transactions

    /// Starts a client transaction for `request` towards `destination`.
    func startClient(_ request: SIPMessage, to destination: SIPAddress, owner: ClientOwner, now: Double)
        -> (ClientTransactionKey?, [SIPOutput])
    {
        guard
            let transaction = ClientTransaction(
                request: request, reliable: destination.transport.isReliable, timers: timers)
        else { return (nil, []) }
        let entry = ClientEntry(transaction: transaction, destination: destination, owner: owner)
        clientTransactions[transaction.key] = entry
        let outputs = clientOutputs(transaction.start(now: now), entry: entry, key: transaction.key, now: now)
        return (transaction.key, outputs)
    }

    /// Turns a client transaction's outputs into sends and transaction-user work.
    func clientOutputs(_ outputs: [TransactionOutput], entry: ClientEntry, key: ClientTransactionKey, now: Double)
        -> [SIPOutput]
    {
        if entry.transaction.state == .terminated { clientTransactions[key] = nil }
        var result: [SIPOutput] = []
        for output in outputs {
            switch output {
            case .send(let bytes): result.append(.send(bytes, to: entry.destination))
            case .response(let response): result += clientResponse(response, entry: entry, now: now)
            case .timeout: result += clientTimeout(owner: entry.owner, key: key, status: 408, now: now)
            }
        }
        return result
    }

    /// Creates a server transaction for `request` and sends `response` through it.
    func respondStatefully(
        to request: SIPMessage, with response: SIPMessage, destination: SIPAddress, call: SIPCallID?, now: Double
    ) -> [SIPOutput] {
        guard
            let transaction = ServerTransaction(
                request: request, reliable: destination.transport.isReliable, timers: timers)
        else { return [.send(response.bytes, to: destination)] }
        let entry = ServerEntry(transaction: transaction, destination: destination, call: call)
        serverTransactions[transaction.key] = entry
        return respond(in: entry, with: response, now: now)
    }

    /// Sends a response through an existing server transaction.
    func respond(in entry: ServerEntry, with response: SIPMessage, now: Double) -> [SIPOutput] {
        let outputs = entry.transaction.respond(response, now: now)
        if entry.transaction.state == .terminated { serverTransactions[entry.transaction.key] = nil }
        return outputs.compactMap { output in
            if case .send(let bytes) = output { return .send(bytes, to: entry.destination) }
            return nil
        }
    }

    // MARK: - Calls

    func newCallID() -> SIPCallID {
        defer { nextCallNumber += 1 }
        return SIPCallID(nextCallNumber)
    }

    func register(dialog: Dialog, for call: CallState) {
        if let old = call.dialog, old.id != dialog.id, dialogs[old.id] == call.id { dialogs[old.id] = nil }
        call.dialog = dialog
        dialogs[dialog.id] = call.id
    }

    /// Forgets a call: its dialog, indexes and any client transaction still working for it.
    func endCall(_ call: CallState, now: Double) {
        call.phase = .terminated
        calls[call.id] = nil
        if let dialog = call.dialog, dialogs[dialog.id] == call.id { dialogs[dialog.id] = nil }
        if outgoingCalls[call.callID] == call.id { outgoingCalls[call.callID] = nil }
        if let key = call.inviteKey, let entry = clientTransactions[key], entry.transaction.state != .completed {
            entry.transaction.terminate()
            clientTransactions[key] = nil
        }
        if let key = call.incomingInviteKey, incomingInvites[key]?.call == call.id {
            let forgetAt = now + timers.transactionTimeout
            incomingInvites[key]?.forgetAt = forgetAt
            forgetting.append((forgetAt, key))
        }
    }

    /// Where in-dialog requests of a call go (see `SIPUserAgentConfiguration.followRemoteTarget`).
    func destination(of call: CallState) -> SIPAddress {
        guard configuration.followRemoteTarget, let hop = call.dialog?.nextHop, hop.hostIsIPAddress else {
            return call.peer
        }
        let transport = hop.transport.flatMap { SIPTransport(token: $0) } ?? call.peer.transport
        return SIPAddress(transport: transport, host: hop.bareHost, port: hop.port ?? 5060)
    }

    /// The timers the UA core keeps for a call: 2xx retransmission and give-up, the CANCEL deadline
    /// and the re-INVITE retry after glare.
    func callTimers(_ call: CallState, now: Double) -> [SIPOutput] {
        guard calls[call.id] === call else { return [] }
        var outputs: [SIPOutput] = []
        if var answer = call.pendingAnswer {
            if answer.giveUpAt <= now {
                let hungUp = call.byeWhenAcknowledged
                call.pendingAnswer = nil
                outputs += sendBye(call, now: now)
                if !hungUp { outputs.append(.event(.ended(call.id, reason: "no ACK for 2xx"))) }
                return outputs
            }
            if let next = answer.nextAt, next <= now {
                outputs.append(.send(answer.bytes, to: answer.destination))
                answer.interval = min(answer.interval * 2, timers.t2)
                answer.nextAt = now + answer.interval
                call.pendingAnswer = answer
            }
        }
        if let deadline = call.cancelDeadline, deadline <= now {
            call.cancelDeadline = nil
            endCall(call, now: now)
            outputs.append(.event(.failed(call.id, status: 487, reason: "Request Terminated")))
        }
        if let retry = call.outgoingReinvite, let at = retry.retryAt, at <= now {
            if call.incomingReinvite != nil || call.pendingAnswer != nil {
                call.outgoingReinvite?.retryAt = now + timers.t1  // the peer's offer goes first
            } else {
                call.outgoingReinvite?.retryAt = nil
                outputs += sendReinvite(call, challenge: nil, now: now)
            }
        }
        return outputs
    }
}
