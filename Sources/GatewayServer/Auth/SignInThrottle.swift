import Foundation

/// How many sign-in attempts are let through, so that nobody can guess passwords or sign-in links
/// by trying many: one bucket per source address (every attempt, by password or by link) and one
/// per login (wrong passwords only: a right one refills it). A refused attempt is told how many
/// seconds to wait. Time is given, never read: the caller passes `now`.
public struct SignInThrottle: Sendable {
    /// A bucket of `capacity` attempts refilled at one per `refillSeconds`.
    public struct Rule: Sendable, Equatable {
        public var capacity: Double
        public var refillSeconds: Double
        public init(capacity: Int, refillSeconds: Double) {
            self.capacity = Double(capacity)
            self.refillSeconds = refillSeconds
        }
    }

    struct Bucket {
        var level: Double
        var at: Date

        mutating func refill(_ rule: Rule, now: Date) {
            level = min(rule.capacity, level + max(0, now.timeIntervalSince(at)) / rule.refillSeconds)
            at = now
        }

        /// Seconds until one attempt is available again (0 when one is).
        func wait(_ rule: Rule) -> Int { level >= 1 ? 0 : Int(((1 - level) * rule.refillSeconds).rounded(.up)) }
    }

    /// Attempts from one address: 20 at once, then one every 3 seconds.
    public static let defaultPerSource = Rule(capacity: 20, refillSeconds: 3)
    /// Wrong passwords for one login: 5 at once, then one a minute.
    public static let defaultPerLogin = Rule(capacity: 5, refillSeconds: 60)
    /// Past this many buckets, the full ones are forgotten (they hold nothing a new one would not).
    static let prunedAbove = 10_000

    let perSource: Rule
    let perLogin: Rule
    private var sources: [String: Bucket] = [:]
    private var logins: [String: Bucket] = [:]

    public init(perSource: Rule = defaultPerSource, perLogin: Rule = defaultPerLogin) {
        self.perSource = perSource
        self.perLogin = perLogin
    }

    /// Takes an attempt from `source` (and from `login` when given); nil when it may go ahead,
    /// otherwise the seconds to wait. A refused attempt takes nothing.
    public mutating func admit(source: String, login: String?, now: Date) -> Int? {
        var sourceBucket = sources[source] ?? Bucket(level: perSource.capacity, at: now)
        sourceBucket.refill(perSource, now: now)
        var loginBucket = login.map { logins[$0] ?? Bucket(level: perLogin.capacity, at: now) }
        loginBucket?.refill(perLogin, now: now)
        let wait = max(sourceBucket.wait(perSource), loginBucket?.wait(perLogin) ?? 0)
        if wait > 0 {
            sources[source] = sourceBucket
            if let login, let loginBucket { logins[login] = loginBucket }
            return wait
        }
        sourceBucket.level -= 1
        sources[source] = sourceBucket
        if let login, var loginBucket {
            loginBucket.level -= 1
            logins[login] = loginBucket
        }
        prune(now: now)
        return nil
    }

    /// The attempt for `login` succeeded: its wrong guesses are forgiven.
    public mutating func succeeded(login: String) {
        logins[login] = nil
    }

    /// Buckets held (for tests and the size bound).
    var count: Int { sources.count + logins.count }

    private mutating func prune(now: Date) {
        if sources.count > Self.prunedAbove {
            sources = sources.filter { isBelowCapacity($0.value, perSource, now) }
        }
        if logins.count > Self.prunedAbove {
            logins = logins.filter { isBelowCapacity($0.value, perLogin, now) }
        }
    }

    private func isBelowCapacity(_ bucket: Bucket, _ rule: Rule, _ now: Date) -> Bool {
        var refilled = bucket
        refilled.refill(rule, now: now)
        return refilled.level < rule.capacity
    }
}
