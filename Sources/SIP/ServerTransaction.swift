import SIPMessage

/// An RFC 3261 server transaction (§17.2): INVITE (Timers G, H, I) or non-INVITE (Timer J), as a
/// state machine without I/O. The owner sends what `.send` carries to the response address.
///
/// A 2xx to an INVITE ends the INVITE server transaction (RFC 3261 §17.2.1); the UA core
/// retransmits that 2xx until the ACK arrives (§13.3.1.4).
public final class ServerTransaction {
    /// §17.2.1 / §17.2.2 states (`proceeding` for INVITE, `trying` for non-INVITE at start).
    public enum State: Sendable {
        case trying, proceeding, completed, confirmed, terminated
    }

    /// The request that created the transaction.
    public let request: SIPMessage
    /// Branch, sent-by and method.
    public let key: ServerTransactionKey
    /// Whether the transport is reliable (TCP): no retransmissions, zero wait timers.
    public let reliable: Bool
    /// Where the state machine is.
    public private(set) var state: State
    /// The most recent response sent.
    public private(set) var lastResponse: SIPMessage?

    private let timers: SIPTimerValues
    private let isInvite: Bool
    private var lastResponseBytes: [UInt8]?
    private var retransmitAt: Double?
    private var retransmitInterval: Double
    private var timeoutAt: Double?
    private var terminateAt: Double?

    /// A transaction for a received request (not ACK); nil when it has no usable Via or CSeq.
    public init?(request: SIPMessage, reliable: Bool, timers: SIPTimerValues) {
        guard let method = request.method, method != "ACK", let key = ServerTransactionKey(request) else {
            return nil
        }
        self.request = request
        self.key = key
        self.reliable = reliable
        self.timers = timers
        isInvite = method == "INVITE"
        state = isInvite ? .proceeding : .trying
        retransmitInterval = timers.t1
    }

    /// Whether a final response has been sent.
    public var hasFinalResponse: Bool { (lastResponse?.status ?? 0) >= 200 }

    /// The earliest time `handleTimeout` has work to do.
    public var nextTimeout: Double? {
        [retransmitAt, timeoutAt, terminateAt].compactMap { $0 }.min()
    }

    /// Feeds a retransmission of the request, or an ACK for an INVITE transaction's non-2xx response.
    public func receive(_ message: SIPMessage, now: Double) -> [TransactionOutput] {
        if message.method == "ACK" {
            guard isInvite, state == .completed else { return [] }
            state = .confirmed
            retransmitAt = nil
            timeoutAt = nil
            terminateAt = now + (reliable ? 0 : timers.t4)
            return []
        }
        switch state {
        case .proceeding, .completed:
            return lastResponseBytes.map { [.send($0)] } ?? []
        case .trying, .confirmed, .terminated:
            return []
        }
    }

    /// Sends a response from the transaction user. Ignored once a final response went out.
    public func respond(_ response: SIPMessage, now: Double) -> [TransactionOutput] {
        guard let status = response.status, state == .trying || state == .proceeding else { return [] }
        let bytes = response.bytes
        lastResponse = response
        lastResponseBytes = bytes
        if status < 200 {
            state = .proceeding
        } else if isInvite && status < 300 {
            state = .terminated
        } else if isInvite {
            state = .completed
            if !reliable { retransmitAt = now + timers.t1 }
            timeoutAt = now + timers.transactionTimeout
        } else {
            state = .completed
            terminateAt = now + (reliable ? 0 : timers.transactionTimeout)
        }
        return [.send(bytes)]
    }

    /// Runs the timers that are due.
    public func handleTimeout(now: Double) -> [TransactionOutput] {
        if let deadline = timeoutAt, deadline <= now {
            terminate()
            return [.timeout]
        }
        var outputs: [TransactionOutput] = []
        if let deadline = retransmitAt, deadline <= now, let lastResponseBytes {
            outputs.append(.send(lastResponseBytes))
            retransmitInterval = min(retransmitInterval * 2, timers.t2)
            retransmitAt = now + retransmitInterval
        }
        if let deadline = terminateAt, deadline <= now {
            terminate()
        }
        return outputs
    }

    /// Ends the transaction at once.
    public func terminate() {
        state = .terminated
        retransmitAt = nil
        timeoutAt = nil
        terminateAt = nil
    }
}
