/// The base values of the RFC 3261 timers (§17.1.1.1, table 4), in seconds.
public struct SIPTimerValues: Hashable, Sendable {
    /// RTT estimate: first retransmission interval (500 ms).
    public var t1: Double
    /// Maximum retransmission interval for non-INVITE requests and INVITE responses (4 s).
    public var t2: Double
    /// Maximum time a message stays in the network (5 s).
    public var t4: Double

    /// The RFC 3261 defaults unless given.
    public init(t1: Double = 0.5, t2: Double = 4, t4: Double = 5) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// Timer B, F, H and J over an unreliable transport: 64·T1.
    public var transactionTimeout: Double { 64 * t1 }
}
