/// One auth-scheme with its parameters, as found in a WWW-Authenticate, Proxy-Authenticate,
/// Authorization or Proxy-Authorization value (RFC 7235 §2.1).
struct DigestHeaderFields: Equatable {
    /// The scheme, ASCII-lowercased ("digest", "basic" …).
    var scheme: String
    /// Parameter values by ASCII-lowercased name; quoted-strings arrive unquoted and unescaped.
    var parameters: [String: String] = [:]
    /// A bare token68 right after the scheme (as Basic uses), if any.
    var token68: String?

    /// The value of parameter `name` (any case).
    subscript(name: String) -> String? { parameters[DigestText.asciiLowercased(name)] }

    var isDigest: Bool { scheme == "digest" }
}
