/// One Via header value (RFC 3261 §20.42, RFC 3581): `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport`.
public struct Via: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The branch prefix of RFC 3261 transactions (§8.1.1.7).
    public static let magicCookie = "z9hG4bK"

    /// Protocol name, normally `SIP`.
    public var protocolName: String
    /// Protocol version, normally `2.0`.
    public var protocolVersion: String
    /// Transport, upper-cased: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`.
    public var transport: String
    /// The sent-by host: name, IPv4 address or bracketed IPv6 reference.
    public var host: String
    /// The sent-by port, when given.
    public var port: Int?
    /// Parameters: `branch`, `received`, `rport`, `maddr`, `ttl` …
    public var parameters: SIPParameters

    /// A Via from its parts; an IPv6 `host` is given brackets when it has none.
    public init(
        transport: String, host: String, port: Int?, branch: String?, parameters: SIPParameters = SIPParameters()
    ) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport.uppercased()
        self.host = SIPSyntax.uriHost(host)
        self.port = port
        self.parameters = parameters
        if let branch { self.parameters.set("branch", branch) }
    }

    /// Parses one Via value; nil when malformed. Whitespace around `/`, `;` and `=` is allowed.
    public init?(_ string: String) {
        var text = SIPSyntax.trim(Substring(string))
        guard text.count <= 2048 else { return nil }
        var pieces: [String] = []
        for position in 0..<3 {
            let end = text.firstIndex { !SIPSyntax.isTokenCharacter($0) } ?? text.endIndex
            let piece = text[..<end]
            guard !piece.isEmpty else { return nil }
            pieces.append(String(piece))
            text = SIPSyntax.trim(text[end...])
            if position < 2 {
                guard text.first == "/" else { return nil }
                text = SIPSyntax.trim(text.dropFirst())
            }
        }
        guard !text.isEmpty else { return nil }
        let sentByEnd = text.firstIndex(of: ";") ?? text.endIndex
        let sentBy = SIPSyntax.trim(text[..<sentByEnd])
        guard !sentBy.contains(where: { $0 == " " || $0 == "\t" }),
            let (host, port) = SIPURI.splitHostPort(sentBy)
        else { return nil }
        var parameters = SIPParameters()
        if sentByEnd < text.endIndex {
            guard let parsed = SIPParameters.parse(text[text.index(after: sentByEnd)...]) else { return nil }
            parameters = parsed
        }
        if let rport = parameters["rport"], SIPSyntax.port(rport) == nil { return nil }
        protocolName = pieces[0]
        protocolVersion = pieces[1]
        transport = pieces[2].uppercased()
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// `SIP/2.0/UDP host:port;params`.
    public var description: String {
        "\(protocolName)/\(protocolVersion)/\(transport) \(host)" + (port.map { ":\($0)" } ?? "")
            + parameters.description
    }

    /// The `branch` parameter.
    public var branch: String? {
        get { parameters["branch"] }
        set { setParameter("branch", newValue) }
    }

    /// The `received` parameter: the source address a server saw (§18.2.1).
    public var received: String? {
        get { parameters["received"] }
        set { setParameter("received", newValue) }
    }

    /// The `maddr` parameter.
    public var maddr: String? {
        get { parameters["maddr"] }
        set { setParameter("maddr", newValue) }
    }

    /// Whether `rport` is present, with or without a value (RFC 3581).
    public var hasRport: Bool { parameters.contains("rport") }

    /// The value of `rport`; setting a value adds the parameter, setting nil leaves a bare `rport`
    /// if it was there. Use `parameters.remove("rport")` to drop it altogether.
    public var rport: Int? {
        get { parameters["rport"].flatMap { SIPSyntax.port($0) } }
        set {
            if let newValue {
                parameters.set("rport", String(newValue))
            } else if hasRport {
                parameters.set("rport", nil)
            }
        }
    }

    /// Whether the branch is an RFC 3261 one (starts with the magic cookie).
    public var hasRFC3261Branch: Bool { branch?.hasPrefix(Self.magicCookie) ?? false }

    /// `host:port` with the host lower-cased and the port defaulted by transport, for comparisons.
    public var sentBy: String {
        let defaultPort = transport == "TLS" || transport == "WSS" ? 5061 : 5060
        return "\(host.lowercased()):\(port ?? defaultPort)"
    }

    private mutating func setParameter(_ name: String, _ value: String?) {
        if let value { parameters.set(name, value) } else { parameters.remove(name) }
    }
}
