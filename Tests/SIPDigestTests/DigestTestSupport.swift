@testable import SIPDigest

/// Helpers shared by the Digest test suites.
enum DigestTestSupport {
    /// The parameters of the first Digest credentials in an Authorization value.
    static func fields(_ authorization: String?) -> DigestHeaderFields? {
        guard let authorization else { return nil }
        return DigestHeaderParser.parse(authorization)?.first { $0.isDigest }
    }

    /// `header` with the value of parameter `name` (the first `name="…"`) replaced by `value`.
    static func replacing(_ name: String, with value: String, in header: String) -> String {
        guard let start = header.firstRange(of: "\(name)=\"") else { return header }
        guard let end = header[start.upperBound...].firstIndex(of: "\"") else { return header }
        var result = header
        result.replaceSubrange(start.upperBound..<end, with: value)
        return result
    }
}

/// SplitMix64: a small deterministic generator so fuzz failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
