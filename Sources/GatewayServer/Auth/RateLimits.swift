import Foundation
import Synchronization

/// Token bucket bounding how many frames or requests a client may send: `rate` a second,
/// bursts of `rate`.
public struct MessageRateLimiter: Sendable {
    let rate: Double
    var tokens: Double
    var last: Date

    public init(perSecond rate: Int, now: Date) {
        self.rate = Double(rate)
        tokens = Double(rate)
        last = now
    }

    /// Takes one token; false when the client is over its rate.
    public mutating func allow(now: Date) -> Bool {
        tokens = min(rate, tokens + max(0, now.timeIntervalSince(last)) * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// REST requests per API key: one token bucket per key id, `perSecond` a second with bursts as
/// large. Over it a request is answered 429 with Infobip's envelope. Buckets of keys unseen for
/// a minute are dropped, so the table stays as large as the keys in use.
public final class RequestRateLimits: Sendable {
    let perSecond: Int
    private let buckets = Mutex<[String: MessageRateLimiter]>([:])

    public init(perSecond: Int) { self.perSecond = perSecond }

    /// Takes one request from `key`'s bucket; false when the key is over its rate.
    public func allow(key: String, now: Date) -> Bool {
        buckets.withLock { buckets in
            if buckets.count > 1000 { buckets = buckets.filter { now.timeIntervalSince($0.value.last) < 60 } }
            var bucket = buckets[key] ?? MessageRateLimiter(perSecond: perSecond, now: now)
            let allowed = bucket.allow(now: now)
            buckets[key] = bucket
            return allowed
        }
    }
}
