/// The transports the user agent speaks. TLS is TCP with encryption under it: the same stream
/// framing and timers; only the sockets differ.
public enum SIPTransport: String, Hashable, Sendable, CaseIterable {
    case udp = "UDP"
    case tcp = "TCP"
    case tls = "TLS"

    /// Whether the transport delivers reliably (no retransmissions, zero wait timers).
    public var isReliable: Bool { self != .udp }

    /// The `transport` URI parameter that names it in a Contact or Request-URI (none for UDP).
    public var uriParameter: String? {
        switch self {
        case .udp: nil
        case .tcp: "tcp"
        case .tls: "tls"
        }
    }

    /// The transport a Via's transport token or a URI's `transport` parameter names, if supported.
    public init?(token: String) {
        switch token.uppercased() {
        case "UDP": self = .udp
        case "TCP": self = .tcp
        case "TLS": self = .tls
        default: return nil
        }
    }
}

/// Where bytes come from or go to: a transport and a socket address. `host` is an IP address
/// written as sockets write it (IPv6 without brackets).
public struct SIPAddress: Hashable, Sendable, CustomStringConvertible {
    /// UDP, TCP or TLS.
    public var transport: SIPTransport
    /// IP address (IPv6 without brackets).
    public var host: String
    /// Port.
    public var port: Int

    /// An address; brackets around an IPv6 `host` are removed.
    public init(transport: SIPTransport, host: String, port: Int) {
        self.transport = transport
        self.host = SIPSyntax.bareHost(host)
        self.port = port
    }

    /// `udp:10.0.0.1:5060`, `tcp:[::1]:5060`.
    public var description: String { "\(transport.rawValue.lowercased()):\(SIPSyntax.uriHost(host)):\(port)" }
}
