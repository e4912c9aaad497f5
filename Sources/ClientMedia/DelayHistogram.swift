import NIOCore
import Synchronization

/// One-way delay through a relay, as a load generator that both sends and receives measures it:
/// a probe packet's payload starts with a marker and the time it was sent, and the receiving leg
/// (in the same process, on the same clock) files the difference in 0.1 ms buckets. What it
/// measures is the relay's added delay plus the kernel's and the generator's own.
public struct DelayHistogram: Sendable, Equatable, Codable {
    /// "DLY1": the payload carries a send time.
    public static let marker: UInt32 = 0x444C_5931
    /// Marker and send time (an IEEE 754 double, seconds), in network byte order.
    public static let headerLength = 12
    public static let bucketMicroseconds = 100
    /// 0 to 100 ms; the last bucket also takes anything later.
    public static let bucketCount = 1001

    /// Samples per bucket; empty until the first sample.
    public private(set) var counts: [Int] = []

    public init() {}

    /// Writes the probe header (marker and `sentAt`) at the buffer's writer index.
    public static func writeHeader(into buffer: inout ByteBuffer, sentAt: Double) {
        buffer.writeInteger(marker)
        buffer.writeInteger(sentAt.bitPattern)
    }

    /// Files the delay of a received payload that starts with a probe header; ignores others.
    public mutating func record(payload: UnsafeRawBufferPointer, now: Double) {
        guard payload.count >= Self.headerLength,
            UInt32(bigEndian: payload.loadUnaligned(as: UInt32.self)) == Self.marker
        else { return }
        let sentAt = Double(bitPattern: UInt64(bigEndian: payload.loadUnaligned(fromByteOffset: 4, as: UInt64.self)))
        let microseconds = (now - sentAt) * 1_000_000
        guard microseconds.isFinite else { return }
        // Clamped before the conversion: a payload's bytes may hold any double.
        let limit = Double(Self.bucketCount * Self.bucketMicroseconds)
        let bucket = min(
            Self.bucketCount - 1, Int(max(0, min(microseconds, limit)).rounded()) / Self.bucketMicroseconds)
        if counts.isEmpty { counts = [Int](repeating: 0, count: Self.bucketCount) }
        counts[bucket] += 1
    }

    /// Adds another histogram's samples.
    public mutating func merge(_ other: DelayHistogram) {
        guard !other.counts.isEmpty else { return }
        if counts.isEmpty { return counts = other.counts }
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    public var sampleCount: Int { counts.reduce(0, +) }

    /// The upper edge of the bucket holding the `fraction` quantile, in milliseconds; nil
    /// without samples.
    public func percentile(_ fraction: Double) -> Double? {
        let total = sampleCount
        guard total > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(total)).rounded(.up)))
        var seen = 0
        for (bucket, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return Double((bucket + 1) * Self.bucketMicroseconds) / 1000 }
        }
        return Double(Self.bucketCount * Self.bucketMicroseconds) / 1000
    }

    // Encoded sparse, as `[[bucket, count], …]`: a call's histogram has a few dozen buckets.
    public init(from decoder: any Decoder) throws {
        let pairs = try [[Int]](from: decoder)
        for pair in pairs {
            guard pair.count == 2, (0..<Self.bucketCount).contains(pair[0]), pair[1] >= 0 else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not a [bucket, count] pair: \(pair)"))
            }
            if counts.isEmpty { counts = [Int](repeating: 0, count: Self.bucketCount) }
            counts[pair[0]] += pair[1]
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try counts.enumerated().filter { $0.element > 0 }.map { [$0.offset, $0.element] }.encode(to: encoder)
    }
}

/// What a load generator's legs share to probe delay: every packet they send carries a probe,
/// and they file the probes they hear while the measuring window is open: from the start, or,
/// made `closed`, only in the window `measure(after:for:now:)` opens (the steady part of a run).
public final class DelayProbe: Sendable {
    private let from: Atomic<UInt64>
    private let until = Atomic<UInt64>(Double.infinity.bitPattern)

    public init(closed: Bool = false) {
        from = Atomic((closed ? Double.infinity : 0).bitPattern)
    }

    /// Keeps only the probes heard from `after` seconds past `now`, for `seconds`.
    public func measure(after: Double, for seconds: Double, now: Double) {
        from.store((now + after).bitPattern, ordering: .relaxed)
        until.store((now + after + seconds).bitPattern, ordering: .relaxed)
    }

    /// Whether a probe heard at `now` counts.
    public func measures(at now: Double) -> Bool {
        now >= Double(bitPattern: from.load(ordering: .relaxed))
            && now < Double(bitPattern: until.load(ordering: .relaxed))
    }
}
