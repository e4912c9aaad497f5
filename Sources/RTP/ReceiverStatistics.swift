/// Sequence tracking, loss and interarrival jitter of one received RTP stream (RFC 3550 A.1, A.3, A.8).
public struct ReceiverStatistics: Sendable {
    public private(set) var received: UInt64 = 0
    public private(set) var baseSequence: UInt32 = 0
    /// Highest sequence number seen, extended with the wrap-around count.
    public private(set) var extendedHighest: UInt32 = 0
    /// Interarrival jitter in timestamp units (×16 internally, as the RFC's integer form).
    private var jitterScaled: Int64 = 0
    private var lastTransit: UInt32?
    private var started = false
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt64 = 0

    public init() {}

    /// Records a packet with `sequence` and RTP `timestamp`, arriving at `arrival` in timestamp units.
    public mutating func record(sequence: UInt16, timestamp: UInt32, arrival: UInt32) {
        if !started {
            started = true
            baseSequence = UInt32(sequence)
            extendedHighest = UInt32(sequence)
        } else {
            let highest16 = UInt16(truncatingIfNeeded: extendedHighest)
            let delta = sequence &- highest16
            if delta != 0, delta < 0x8000 {
                if sequence < highest16 { extendedHighest = extendedHighest &+ 0x1_0000 }
                extendedHighest = (extendedHighest & 0xffff_0000) | UInt32(sequence)
            }
        }
        received += 1
        // Modulo 2^32 (RFC 3550 A.8): timestamps start anywhere and wrap, and so does arrival
        // time in timestamp units; only the difference between two transits means anything.
        let transit = arrival &- timestamp
        if let last = lastTransit {
            let change = Int64(Int32(bitPattern: transit &- last))
            jitterScaled += abs(change) - ((jitterScaled + 8) >> 4)
        }
        lastTransit = transit
    }

    public var expected: UInt32 { started ? extendedHighest &- baseSequence &+ 1 : 0 }

    /// Packets expected but not received (may be negative with duplicates).
    public var cumulativeLost: Int64 { Int64(expected) - Int64(received) }

    /// Jitter in timestamp units.
    public var jitter: UInt32 { UInt32(clamping: jitterScaled >> 4) }

    /// The fraction lost since the previous call, as RTCP's 8-bit fixed point; advances the interval.
    public mutating func fractionLostSinceLastReport() -> UInt8 {
        let expectedInterval = Int64(expected) - Int64(expectedPrior)
        let receivedInterval = Int64(received) - Int64(receivedPrior)
        expectedPrior = expected
        receivedPrior = received
        let lost = expectedInterval - receivedInterval
        guard expectedInterval > 0, lost > 0 else { return 0 }
        return UInt8(min(255, (lost << 8) / expectedInterval))
    }
}
