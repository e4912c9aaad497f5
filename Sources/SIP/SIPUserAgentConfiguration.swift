/// How a `SIPUserAgent` presents itself and times its transactions.
public struct SIPUserAgentConfiguration: Sendable {
    /// The host written into Via, Contact and Call-ID: the address peers reach us at.
    public var localHost: String
    /// The port we listen on for UDP.
    public var udpPort: Int
    /// The port we listen on for TCP.
    public var tcpPort: Int
    /// The port we listen on for SIP over TLS (0: none).
    public var tlsPort: Int
    /// The User-Agent and Server header value.
    public var userAgent: String
    /// T1, T2 and T4.
    public var timers: SIPTimerValues
    /// Max-Forwards on requests we originate (70).
    public var maxForwards: Int
    /// Seconds between REGISTER attempts after a failure.
    public var registrationRetryInterval: Double
    /// When true, in-dialog requests go to the first Route or the remote target (Contact) when that
    /// is an IP literal; when false (the default, for trunks) they go to the address the call was
    /// set up with: the INVITE's destination (UAC) or its source (UAS).
    public var followRemoteTarget: Bool

    /// A configuration; only `localHost` has no default. `tcpPort` defaults to `udpPort`.
    public init(
        localHost: String, udpPort: Int = 5060, tcpPort: Int? = nil, tlsPort: Int = 0,
        userAgent: String = "callgateway",
        timers: SIPTimerValues = SIPTimerValues(), maxForwards: Int = 70, registrationRetryInterval: Double = 30,
        followRemoteTarget: Bool = false
    ) {
        self.localHost = localHost
        self.udpPort = udpPort
        self.tcpPort = tcpPort ?? udpPort
        self.tlsPort = tlsPort
        self.userAgent = userAgent
        self.timers = timers
        self.maxForwards = maxForwards
        self.registrationRetryInterval = registrationRetryInterval
        self.followRemoteTarget = followRemoteTarget
    }

    /// Our port on `transport`.
    public func port(for transport: SIPTransport) -> Int {
        switch transport {
        case .udp: udpPort
        case .tcp: tcpPort
        case .tls: tlsPort
        }
    }
}
