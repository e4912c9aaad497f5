import SIPMessage

/// An RFC 3261 client transaction (§17.1): INVITE (Timers A, B, D) or non-INVITE (Timers E, F, K),
/// as a state machine without I/O. Time is injected as `now` in seconds; the owner sends what
/// `.send` carries to the transaction's destination and calls `handleTimeout` at `nextTimeout`.
public final class ClientTransaction {
    /// §17.1.1.2 / §17.1.2.2 states (`calling` for INVITE, `trying` for non-INVITE at start).
    public enum State: Sendable {
        case calling, trying, proceeding, completed, terminated
    }

    /// The request the transaction carries (with a Via whose branch identifies it).
    public let request: SIPMessage
    /// Branch and CSeq method.
    public let key: ClientTransactionKey
    /// Whether the transport is reliable (TCP): no retransmissions, zero wait timers.
    public let reliable: Bool
    /// Where the state machine is.
    public private(set) var state: State

    private let timers: SIPTimerValues
    private let isInvite: Bool
    private let requestBytes: [UInt8]
    private var retransmitAt: Double?
    private var retransmitInterval: Double
    private var timeoutAt: Double?
    private var terminateAt: Double?
    private var ackBytes: [UInt8]?

    /// A transaction for `request`, which needs a top Via with a branch and a CSeq; nil otherwise or
    /// for an ACK (ACKs have no transaction). Call `start` to get the first transmission.
    public init?(request: SIPMessage, reliable: Bool, timers: SIPTimerValues) {
        guard let method = request.method, method != "ACK", let key = ClientTransactionKey(request) else {
            return nil
        }
        self.request = request
        self.key = key
        self.reliable = reliable
        self.timers = timers
        isInvite = method == "INVITE"
        requestBytes = request.bytes
        state = isInvite ? .calling : .trying
        retransmitInterval = timers.t1
    }

    /// Sends the request and starts Timers A and B (INVITE) or E and F (non-INVITE).
    public func start(now: Double) -> [TransactionOutput] {
        if !reliable { retransmitAt = now + timers.t1 }
        timeoutAt = now + timers.transactionTimeout
        return [.send(requestBytes)]
    }

    /// The earliest time `handleTimeout` has work to do.
    public var nextTimeout: Double? {
        [retransmitAt, timeoutAt, terminateAt].compactMap { $0 }.min()
    }

    /// Feeds a response whose key matches this transaction.
    public func receive(_ response: SIPMessage, now: Double) -> [TransactionOutput] {
        guard let status = response.status else { return [] }
        switch state {
        case .calling, .trying, .proceeding:
            if status < 200 {
                state = .proceeding
                if isInvite {
                    retransmitAt = nil
                    timeoutAt = nil
                } else if retransmitAt != nil {
                    retransmitInterval = timers.t2
                }
                return [.response(response)]
            }
            retransmitAt = nil
            timeoutAt = nil
            if isInvite && status < 300 {
                state = .terminated
                return [.response(response)]
            }
            state = .completed
            if isInvite {
                let ack = makeACK(for: response).bytes
                ackBytes = ack
                terminateAt = now + (reliable ? 0 : 32)
                return [.send(ack), .response(response)]
            }
            terminateAt = now + (reliable ? 0 : timers.t4)
            return [.response(response)]
        case .completed:
            if isInvite, status >= 300, let ackBytes { return [.send(ackBytes)] }
            return []
        case .terminated:
            return []
        }
    }

    /// Runs the timers that are due.
    public func handleTimeout(now: Double) -> [TransactionOutput] {
        var outputs: [TransactionOutput] = []
        if let deadline = timeoutAt, deadline <= now {
            state = .terminated
            retransmitAt = nil
            timeoutAt = nil
            terminateAt = nil
            return [.timeout]
        }
        if let deadline = retransmitAt, deadline <= now {
            outputs.append(.send(requestBytes))
            if isInvite {
                retransmitInterval *= 2
            } else {
                retransmitInterval = state == .proceeding ? timers.t2 : min(retransmitInterval * 2, timers.t2)
            }
            retransmitAt = now + retransmitInterval
        }
        if let deadline = terminateAt, deadline <= now {
            state = .terminated
            terminateAt = nil
        }
        return outputs
    }

    /// Ends the transaction at once (transport error or the owner gave up); no more output.
    public func terminate() {
        state = .terminated
        retransmitAt = nil
        timeoutAt = nil
        terminateAt = nil
    }

    /// The ACK for a non-2xx final response (§17.1.1.3): the INVITE's Request-URI, Call-ID, From,
    /// CSeq number and top Via, the response's To (with its tag), the INVITE's Route headers.
    func makeACK(for response: SIPMessage) -> SIPMessage {
        var uri = ""
        if case .request(_, let requestURI) = request.startLine { uri = requestURI }
        var headers = SIPHeaders()
        if let via = request.headers["Via"] { headers.add("Via", via) }
        headers.add("Max-Forwards", request.headers["Max-Forwards"] ?? "70")
        if let from = request.headers["From"] { headers.add("From", from) }
        if let to = response.headers["To"] ?? request.headers["To"] { headers.add("To", to) }
        if let callID = request.headers["Call-ID"] { headers.add("Call-ID", callID) }
        headers.add("CSeq", "\((try? request.cseq().number) ?? 0) ACK")
        for route in request.headers.values("Route") { headers.add("Route", route) }
        return SIPMessage(.request(method: "ACK", uri: uri), headers: headers)
    }
}
