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
