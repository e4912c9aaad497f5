/// A `sip:` or `sips:` URI (RFC 3261 §19.1): `sip:user@host:port;params?headers`.
///
/// Parsing never traps: text that is not such a URI gives nil. `description` writes the URI back
/// in the same form it was read (parameter and header order kept, case kept).
public struct SIPURI: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// `sip` or `sips`, lower-cased.
    public var scheme: String
    /// The user part (user or telephone-subscriber, with a `:password` kept verbatim if one was given).
    public var user: String?
    /// Host name, IPv4 address or bracketed IPv6 reference such as `[2001:db8::1]`.
    public var host: String
    /// The port, when given.
    public var port: Int?
    /// URI parameters such as `transport`, `lr`, `user`, `maddr`.
    public var parameters: SIPParameters
    /// URI headers (`?name=value&…`), in order.
    public var headers: [Header]

    /// One `name=value` URI header.
    public struct Header: Hashable, Sendable {
        /// Header name.
        public var name: String
        /// Header value, as written (escaped).
        public var value: String

        /// A URI header from its parts.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A URI from its parts. An IPv6 `host` is given brackets when it has none.
    public init(
        scheme: String = "sip", user: String? = nil, host: String, port: Int? = nil,
        parameters: SIPParameters = SIPParameters(), headers: [Header] = []
    ) {
        self.scheme = scheme.lowercased()
        self.user = user
        self.host = SIPSyntax.uriHost(host)
        self.port = port
        self.parameters = parameters
        self.headers = headers
    }

    /// Parses a SIP or SIPS URI; nil when `string` is not one.
    public init?(_ string: String) {
        let text = SIPSyntax.trim(Substring(string))
        guard text.count <= 2048, let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon].lowercased()
        guard scheme == "sip" || scheme == "sips" else { return nil }
        var rest = text[text.index(after: colon)...]
        var headers: [Header] = []
        if let question = rest.firstIndex(of: "?") {
            let headerText = rest[rest.index(after: question)...]
            rest = rest[..<question]
            for piece in headerText.split(separator: "&", omittingEmptySubsequences: false) {
                let pair = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2, SIPSyntax.isToken(pair[0]), pair[1].allSatisfy(Self.isURICharacter) else {
                    return nil
                }
                headers.append(Header(name: String(pair[0]), value: String(pair[1])))
            }
        }
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            let userText = rest[..<at]
            guard !userText.isEmpty, userText.allSatisfy(Self.isURICharacter) else { return nil }
            user = String(userText)
            rest = rest[rest.index(after: at)...]
        }
        let hostPort: Substring
        var parameters = SIPParameters()
        if let semicolon = rest.firstIndex(of: ";") {
            hostPort = rest[..<semicolon]
            guard let parsed = SIPParameters.parse(rest[rest.index(after: semicolon)...]), !parsed.isEmpty,
                parsed.items.allSatisfy({ $0.value.map { $0.allSatisfy(Self.isURICharacter) } ?? true })
            else { return nil }
            parameters = parsed
        } else {
            hostPort = rest
        }
        guard let (host, port) = Self.splitHostPort(hostPort) else { return nil }
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
    }

    /// Splits `host[:port]`, with IPv6 references in brackets; nil when either part is malformed.
    static func splitHostPort(_ text: Substring) -> (String, Int?)? {
        var host = text
        var port: Int?
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[...close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let value = SIPSyntax.port(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            guard let value = SIPSyntax.port(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        guard SIPSyntax.isHost(host) else { return nil }
        return (String(host), port)
    }

    /// Characters allowed unescaped in the user part, parameter values and headers (lenient:
    /// any visible ASCII except the delimiters that would end the URI or the header).
    static func isURICharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return ascii > 0x20 && ascii < 0x7F && character != "<" && character != ">" && character != "\""
            && character != "," && character != "@"
    }

    /// The URI as text: `scheme:user@host:port;params?headers`.
    public var description: String {
        var text = scheme + ":"
        if let user { text += user + "@" }
        text += host
        if let port { text += ":\(port)" }
        text += parameters.description
        if !headers.isEmpty { text += "?" + headers.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
        return text
    }

    /// The `transport` parameter, lower-cased.
    public var transport: String? { parameters["transport"]?.lowercased() }

    /// Whether the `lr` (loose routing) parameter is present.
    public var isLooseRouter: Bool { parameters.contains("lr") }

    /// The host without IPv6 brackets, as socket addresses write it.
    public var bareHost: String { SIPSyntax.bareHost(host) }

    /// Whether the host is an IPv4 or IPv6 literal rather than a name needing DNS.
    public var hostIsIPAddress: Bool {
        if host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
            }
    }
}
