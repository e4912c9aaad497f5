/// Remembers the nonce counts a `DigestServer` has accepted, so that credentials captured on the
/// wire cannot be played again (RFC 7616 §3.3: the server checks that `nc` grows for each nonce).
///
/// Only credentials that already verified are recorded, so a stranger cannot fill it; entries
/// leave once their nonce could no longer verify (`lifetime`), and at `capacity` the oldest go
/// first. Sans-I/O: the owner keeps it on one thread and passes the time in.
public struct DigestReplayGuard: Sendable {
    /// Seconds a nonce stays usable: the server's `nonceLifetime` (a stale nonce fails anyway).
    public let lifetime: Double
    /// Nonces remembered at most.
    public let capacity: Int
    private var highest: [String: (count: UInt32, until: Double)] = [:]
    private var nextSweep = -Double.infinity

    public init(lifetime: Double, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Nonces remembered now.
    public var count: Int { highest.count }

    /// Whether `authorization` (credentials that verified) uses its nonce with a count above any
    /// seen before; records it when so. Credentials without a readable nonce and count are refused.
    public mutating func admit(_ authorization: String, now: Double) -> Bool {
        guard let fields = DigestHeaderParser.parse(authorization)?.first(where: \.isDigest),
            let nonce = fields["nonce"], let raw = fields["nc"], raw.utf8.count == 8, let count = UInt32(raw, radix: 16)
        else { return false }
        if now >= nextSweep || highest.count >= capacity { sweep(now) }
        if let seen = highest[nonce], seen.until > now, count <= seen.count { return false }
        if highest[nonce] == nil, highest.count >= capacity,
            let oldest = highest.min(by: { $0.value.until < $1.value.until })?.key
        {
            highest[oldest] = nil
        }
        highest[nonce] = (count, now + lifetime)
        return true
    }

    private mutating func sweep(_ now: Double) {
        highest = highest.filter { $0.value.until > now }
        nextSweep = now + lifetime / 4
    }
}
