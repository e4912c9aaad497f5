/// Sources that keep sending requests the gateway refuses as strangers' (no trunk has their
/// address) or with wrong credentials, put aside for a while: their datagrams and TCP messages are
/// dropped before the transaction layer, so a scanner or an INVITE flood from one address costs a
/// hash lookup per packet instead of a transaction, a 100 Trying and a store lookup each.
///
/// Each source has a bucket of `burst` refusals refilled at `perSecond`; a refusal that finds it
/// empty blocks the source for `blockSeconds`. Trunks' own traffic is never refused this way, so
/// it is never blocked. At most `capacity` sources are tracked (the longest quiet go first).
/// Sans-I/O: the SIP service keeps it on its event loop and passes the time in.
struct SIPSourcePenalties {
    var perSecond = 5.0
    var burst = 20.0
    var blockSeconds = 60.0
    var capacity = 10_000

    private struct Source {
        var tokens: Double
        var updated: Double
        var blockedUntil: Double
    }
    private var sources: [String: Source] = [:]

    /// Whether requests from `host` are dropped now.
    func isBlocked(_ host: String, now: Double) -> Bool {
        guard let source = sources[host] else { return false }
        return source.blockedUntil > now
    }

    /// A request from `host` was refused (unknown source, bad credentials). Returns true when
    /// this refusal blocks the source.
    mutating func refused(_ host: String, now: Double) -> Bool {
        var source = sources[host] ?? Source(tokens: burst, updated: now, blockedUntil: 0)
        source.tokens = min(burst, source.tokens + (now - source.updated) * perSecond)
        source.updated = now
        source.tokens -= 1
        let blocks = source.tokens < 0 && source.blockedUntil <= now
        if blocks { source.blockedUntil = now + blockSeconds }
        if sources[host] == nil, sources.count >= capacity { evict(now: now) }
        sources[host] = source
        return blocks
    }

    /// Sources tracked now.
    var count: Int { sources.count }

    private mutating func evict(now: Double) {
        sources = sources.filter { $0.value.blockedUntil > now || $0.value.tokens < burst - 1 }
        if sources.count >= capacity, let quietest = sources.min(by: { $0.value.updated < $1.value.updated })?.key {
            sources[quietest] = nil
        }
    }
}
