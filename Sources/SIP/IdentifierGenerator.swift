/// Makes branches, tags, Call-IDs and cnonces from a SplitMix64 stream (seeded from the system
/// generator unless a test gives a seed).
struct IdentifierGenerator: RandomNumberGenerator {
    private var state: UInt64
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    init(seed: UInt64?) {
        var system = SystemRandomNumberGenerator()
        state = seed ?? system.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func token(_ length: Int) -> String {
        String((0..<length).map { _ in Self.alphabet[Int(next() % UInt64(Self.alphabet.count))] })
    }

    /// A fresh RFC 3261 branch (`z9hG4bK` + 16 random characters).
    mutating func branch() -> String { Via.magicCookie + token(16) }

    /// A uniformly drawn value in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }
}
