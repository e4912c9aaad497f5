import Synchronization

/// How long media datagrams spent in the gateway: from the kernel's receive timestamp
/// (`SO_TIMESTAMPNS`) until the media loop that read the datagram had handled it, for a relayed
/// or transcoded packet the moment its outgoing copy was handed to the kernel. It counts the
/// time a datagram waited in its socket's buffer for a busy loop as well as the loop's own
/// work, so it is the relay's added delay, apart from the network's and the peers'.
///
/// Counted per datagram into fixed buckets (a Prometheus histogram); a loop adds a wake-up's
/// counts at once. Receive timestamps are wall-clock time: a datagram whose stamp is later than
/// the loop's clock (a clock step) counts as no delay.
///
/// `@unchecked Sendable`: `buckets` holds atomics only, allocated in `init` and freed in `deinit`.
public final class RelayDelayHistogram: @unchecked Sendable {
    /// The buckets' upper bounds in nanoseconds; one bucket more holds the rest (+Inf).
    public static let bounds: [Int64] = [
        50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000,
    ]
    private let buckets: UnsafeMutablePointer<Atomic<Int>>
    /// In microseconds: nanoseconds would overflow within years at a busy gateway's rate.
    private let total = Atomic<Int>(0)

    public init() {
        buckets = .allocate(capacity: Self.bounds.count + 1)
        for index in 0...Self.bounds.count { (buckets + index).initialize(to: Atomic(0)) }
    }

    deinit {
        buckets.deinitialize(count: Self.bounds.count + 1)
        buckets.deallocate()
    }

    /// The bucket a delay of `nanoseconds` falls in.
    static func bucket(of nanoseconds: Int64) -> Int {
        var index = 0
        while index < bounds.count, nanoseconds > bounds[index] { index += 1 }
        return index
    }

    /// Adds `count` datagrams to bucket `index`.
    func add(_ count: Int, toBucket index: Int) {
        buckets[index].add(count, ordering: .relaxed)
    }

    /// Adds to the sum of all delays.
    func addTotal(microseconds: Int) {
        total.add(microseconds, ordering: .relaxed)
    }

    /// Datagrams counted in each bucket (not cumulative; the last is above every bound).
    public var counts: [Int] { (0...Self.bounds.count).map { buckets[$0].load(ordering: .relaxed) } }

    /// Datagrams counted.
    public var count: Int { counts.reduce(0, +) }

    /// The sum of their delays, in microseconds.
    public var totalMicroseconds: Int { total.load(ordering: .relaxed) }

    /// Prometheus text lines: a histogram in seconds named `name`.
    func exposition(name: String, help: String) -> String {
        var lines = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            cumulative += count
            let bound = index < Self.bounds.count ? Self.seconds(microseconds: Int(Self.bounds[index] / 1000)) : "+Inf"
            lines += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        lines += "\(name)_sum \(Self.seconds(microseconds: totalMicroseconds))\n\(name)_count \(cumulative)\n"
        return lines
    }

    /// `microseconds` as decimal seconds, without an exponent or trailing zeros ("0.00005").
    static func seconds(microseconds: Int) -> String {
        let fraction = String(microseconds % 1_000_000)
        let digits = String(repeating: "0", count: 6 - fraction.count) + fraction
        let trimmed = digits.reversed().drop { $0 == "0" }.reversed()
        return "\(microseconds / 1_000_000)" + (trimmed.isEmpty ? "" : "." + String(trimmed))
    }
}
