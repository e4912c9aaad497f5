import ContactCenter
import Foundation
import Logging

/// Everything an operator can set. Loaded from an optional JSON file, then overridden by
/// `GATEWAY_*` environment variables; see `docs/configuration.md`.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Address the HTTP/WebSocket listener binds to.
    public var bindAddress = "127.0.0.1"
    /// HTTP/WebSocket port. 0 picks a free port (tests).
    public var httpPort = 8080
    /// PEM certificate chain and private key: when both are set, the HTTP/WebSocket listener
    /// speaks only HTTPS and WSS, and SIP over TLS (`sipTLSPort`) serves the same certificate.
    /// Both are read again on SIGHUP.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Folder holding the SQLite database, the token signing key and uploaded audio.
    public var dataDirectory = "./data"
    public var logLevel: Logger.Level = .info
    /// `text` for people, `json` (one object a line) for log collectors.
    public var logFormat = "text"
    /// How often clients are expected to beat, in seconds (told to WebSocket clients).
    public var heartbeatIntervalSeconds = 10
    /// An agent whose last beat is older than this is unavailable for routing.
    public var heartbeatTimeoutSeconds = 30
    /// Largest accepted REST request body, in bytes.
    public var maxRequestBodyBytes = 1 << 20
    /// An HTTP connection with no request in progress, or whose request head has not all
    /// arrived, is closed after this long (slow or idle clients cannot hold connections).
    public var httpIdleTimeoutSeconds = 30
    /// A request body must have arrived this long after its head (408 otherwise).
    public var requestBodyTimeoutSeconds = 60
    /// Largest accepted audio upload (WAV), in bytes.
    public var maxAudioUploadBytes = 10 << 20
    /// Largest accepted WebSocket frame, in bytes.
    public var maxWebSocketFrameBytes = 64 << 10
    /// Messages a WebSocket client may send per second before the connection is closed.
    public var maxWebSocketMessagesPerSecond = 50
    /// REST requests each API key may make a second (bursts as large); more get 429.
    public var maxRequestsPerSecondPerKey = 100
    /// Longest lifetime a token may be issued for, in seconds.
    public var maxTokenTimeToLiveSeconds = 86_400
    /// Argon2id cost of agents' passwords: memory each hash fills, in KiB, and passes over it
    /// (libsodium's "interactive" level: 64 MiB, 2 passes).
    public var passwordHashMemoryKiB = 65_536
    public var passwordHashIterations = 2
    /// Calls answered within this many seconds count towards a queue's service level.
    public var serviceLevelSeconds = 20
    /// Outbound webhook for messages on channels the gateway does not deliver itself.
    public var messageWebhookURL: String?
    /// Webhook receiving call events (`CALL_RECORDING_STARTED`, `_STOPPED`, `_READY`, `_FAILED`)
    /// in the shape of Infobip's calls event webhook.
    public var callEventWebhookURL: String?
    /// Delivery attempts before a webhook message is marked FAILED.
    public var messageWebhookMaxAttempts = 6
    /// Address the media UDP sockets bind to and announce in SDP candidates.
    public var mediaAddress = "127.0.0.1"
    /// Address announced in SDP (candidates, `c=`) instead of `mediaAddress`: the public address
    /// of a one-to-one NAT in front of the gateway (a cloud instance's public IP). Ports are kept.
    public var mediaAnnouncedAddress: String?
    /// First and last UDP port for media (one port per call leg).
    public var mediaPortMin = 40000
    public var mediaPortMax = 49999
    /// Seed the demo supervisor, agents, queue and API key on first start.
    public var seedDemoData = true
    /// Serve HTTP, WebSocket and SIP in clear text on an address other than loopback (refused
    /// otherwise: see `clearTextExposure`).
    public var allowClearText = false
    /// Address the SIP listener (UDP and TCP) binds to and puts in Via and Contact.
    public var sipAddress = "127.0.0.1"
    /// Address put in Via and Contact instead of `sipAddress`: the public address of a one-to-one
    /// NAT in front of the gateway, which must forward the SIP ports unchanged.
    public var sipAnnouncedAddress: String?
    /// SIP port for both UDP and TCP; 0 turns SIP off.
    public var sipPort = 5060
    /// An inbound SIP TCP or TLS connection with nothing received for this long (no message, no
    /// keepalive, or no finished TLS handshake) is closed.
    public var sipIdleTimeoutSeconds = 300
    /// SIP over TLS port (usually 5061); 0: none. Needs `tlsCertificateFile` and `tlsKeyFile`.
    public var sipTLSPort = 0
    /// PEM file of the certificate authorities a TLS trunk's certificate must chain to (a private
    /// CA, or a trunk's self-signed certificate); unset: the system's trust store.
    public var sipTLSTrustedCertificatesFile: String?
    /// Event loops carrying media; 0: one per CPU the process may run on (its affinity mask and
    /// cgroup limit, so a gateway pinned with `taskset` or a container's cpuset gets one per CPU
    /// it has).
    public var mediaThreads = 0
    /// Opus encoder complexity (0 cheapest … 10 best) for calls transcoded to and from trunks.
    public var opusComplexity = 0
    /// Opus encoder complexity of a call's conference (a supervisor listening, a three-way call).
    public var conferenceOpusComplexity = 0
    /// How long an answered call waits for a party whose signaling connection dropped (media keeps
    /// flowing) before it ends with SIGNALING_LOST; 0 ends it at once.
    public var signalingGraceSeconds = 20
    /// On SIGTERM or SIGINT, how long calls in progress may go on (no new call is taken) before
    /// the gateway ends them and stops; 0 ends them at once.
    public var shutdownDrainSeconds = 30
    /// Call offers an agent may let ring out in a row before being set AWAY (0: never).
    public var maxMissedOffers = 3
    /// Attempts to reach a customer who asked to be called back, and the pause between them.
    public var callbackAttempts = 3
    public var callbackRetrySeconds = 120
    /// Folder of call recordings (empty: `<dataDirectory>/recordings`).
    public var recordingsDirectory = ""
    /// Recordings older than this many days are deleted, checked hourly (0: kept until deleted).
    public var recordingRetentionDays = 0
    /// Calls the gateway carries at once (every kind); more are refused (SIP 503).
    public var maxCalls = 1000
    /// HTTP and WebSocket connections held at once; more are answered 503 and closed. 0: as many
    /// as the file-descriptor limit allows after `4 × maxCalls + 256` kept for calls and the rest
    /// (see `ConnectionLimit`).
    public var maxConnections = 0
    /// Signaling sessions one client address may hold at once; more are closed with 1013. 0: no
    /// limit (the default: behind a reverse proxy every client has the proxy's address, unless
    /// the proxy is in `trustedProxies`).
    public var maxSessionsPerAddress = 0
    /// HTTP and WebSocket connections one peer address may hold at once; more are answered 503
    /// and closed as they open. 0: no limit (the default: behind a reverse proxy every connection
    /// is the proxy's).
    public var maxConnectionsPerAddress = 0
    /// Reverse proxies whose `X-Forwarded-For` names the client (IPv4 addresses or networks,
    /// IPv6 addresses); the per-address limits then count clients, not the proxy.
    public var trustedProxies = TrustedProxies.none
    /// SIP trunks from the file (a JSON array; the same fields as `POST /calls/1/sip-trunks`).
    public var sipTrunks: [JSONValue] = []

    public init() {}

    /// The environment variable for each key, in the order they are documented.
    public static let environmentKeys: [(key: String, variable: String)] = [
        ("bindAddress", "GATEWAY_BIND_ADDRESS"),
        ("httpPort", "GATEWAY_HTTP_PORT"),
        ("tlsCertificateFile", "GATEWAY_TLS_CERTIFICATE_FILE"),
        ("tlsKeyFile", "GATEWAY_TLS_KEY_FILE"),
        ("dataDirectory", "GATEWAY_DATA_DIR"),
        ("logLevel", "GATEWAY_LOG_LEVEL"),
        ("logFormat", "GATEWAY_LOG_FORMAT"),
        ("heartbeatIntervalSeconds", "GATEWAY_HEARTBEAT_INTERVAL"),
        ("heartbeatTimeoutSeconds", "GATEWAY_HEARTBEAT_TIMEOUT"),
        ("maxRequestBodyBytes", "GATEWAY_MAX_REQUEST_BODY_BYTES"),
        ("httpIdleTimeoutSeconds", "GATEWAY_HTTP_IDLE_TIMEOUT_SECONDS"),
        ("requestBodyTimeoutSeconds", "GATEWAY_REQUEST_BODY_TIMEOUT_SECONDS"),
        ("maxAudioUploadBytes", "GATEWAY_MAX_AUDIO_UPLOAD_BYTES"),
        ("maxWebSocketFrameBytes", "GATEWAY_MAX_WS_FRAME_BYTES"),
        ("maxWebSocketMessagesPerSecond", "GATEWAY_MAX_WS_MESSAGES_PER_SECOND"),
        ("maxRequestsPerSecondPerKey", "GATEWAY_MAX_REQUESTS_PER_SECOND"),
        ("maxTokenTimeToLiveSeconds", "GATEWAY_MAX_TOKEN_TTL"),
        ("passwordHashMemoryKiB", "GATEWAY_PASSWORD_HASH_MEMORY_KIB"),
        ("passwordHashIterations", "GATEWAY_PASSWORD_HASH_ITERATIONS"),
        ("serviceLevelSeconds", "GATEWAY_SERVICE_LEVEL_SECONDS"),
        ("messageWebhookURL", "GATEWAY_MESSAGE_WEBHOOK_URL"),
        ("messageWebhookMaxAttempts", "GATEWAY_MESSAGE_WEBHOOK_MAX_ATTEMPTS"),
        ("callEventWebhookURL", "GATEWAY_CALL_EVENT_WEBHOOK_URL"),
        ("seedDemoData", "GATEWAY_SEED_DEMO_DATA"),
        ("allowClearText", "GATEWAY_ALLOW_CLEAR_TEXT"),
        ("mediaAddress", "GATEWAY_MEDIA_ADDRESS"),
        ("mediaAnnouncedAddress", "GATEWAY_MEDIA_ANNOUNCED_ADDRESS"),
        ("mediaPortMin", "GATEWAY_MEDIA_PORT_MIN"),
        ("mediaPortMax", "GATEWAY_MEDIA_PORT_MAX"),
        ("sipAddress", "GATEWAY_SIP_ADDRESS"),
        ("sipAnnouncedAddress", "GATEWAY_SIP_ANNOUNCED_ADDRESS"),
        ("sipPort", "GATEWAY_SIP_PORT"),
        ("sipTLSPort", "GATEWAY_SIP_TLS_PORT"),
        ("sipIdleTimeoutSeconds", "GATEWAY_SIP_IDLE_TIMEOUT_SECONDS"),
        ("sipTLSTrustedCertificatesFile", "GATEWAY_SIP_TLS_TRUSTED_CERTIFICATES_FILE"),
        ("mediaThreads", "GATEWAY_MEDIA_THREADS"),
        ("opusComplexity", "GATEWAY_OPUS_COMPLEXITY"),
        ("conferenceOpusComplexity", "GATEWAY_CONFERENCE_OPUS_COMPLEXITY"),
        ("maxCalls", "GATEWAY_MAX_CALLS"),
        ("maxConnections", "GATEWAY_MAX_CONNECTIONS"),
        ("maxSessionsPerAddress", "GATEWAY_MAX_SESSIONS_PER_ADDRESS"),
        ("maxConnectionsPerAddress", "GATEWAY_MAX_CONNECTIONS_PER_ADDRESS"),
        ("trustedProxies", "GATEWAY_TRUSTED_PROXIES"),
        ("signalingGraceSeconds", "GATEWAY_SIGNALING_GRACE"),
        ("shutdownDrainSeconds", "GATEWAY_SHUTDOWN_DRAIN_SECONDS"),
        ("maxMissedOffers", "GATEWAY_MAX_MISSED_OFFERS"),
        ("callbackAttempts", "GATEWAY_CALLBACK_ATTEMPTS"),
        ("callbackRetrySeconds", "GATEWAY_CALLBACK_RETRY_SECONDS"),
        ("recordingsDirectory", "GATEWAY_RECORDINGS_DIR"),
        ("recordingRetentionDays", "GATEWAY_RECORDING_RETENTION_DAYS"),
    ]

    /// Loads the file at `path` (if any), applies the environment and validates.
    /// - Throws: `ConfigurationError` naming the offending key.
    public static func load(
        file path: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> GatewayConfiguration {
        var values: [String: String] = [:]
        var trunks: [JSONValue] = []
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(key: "file", message: "cannot read configuration file \(path)")
            }
            guard case .object(let object)? = JSONValue.parse(data) else {
                throw ConfigurationError(key: "file", message: "\(path) is not a JSON object")
            }
            for (key, value) in object {
                if key == "sipTrunks" {
                    guard case .array(let list) = value else {
                        throw ConfigurationError(key: key, message: "must be an array of trunk objects")
                    }
                    trunks = list
                    continue
                }
                guard environmentKeys.contains(where: { $0.key == key }) else {
                    throw ConfigurationError(key: key, message: "unknown key")
                }
                switch value {
                case .string(let string): values[key] = string
                case .int(let number): values[key] = String(number)
                case .bool(let flag): values[key] = flag ? "true" : "false"
                case .null: values[key] = ""
                default: throw ConfigurationError(key: key, message: "must be a string, integer or boolean")
                }
            }
        }
        for (key, variable) in environmentKeys {
            if let value = environment[variable] { values[key] = value }
        }
        var configuration = GatewayConfiguration()
        configuration.sipTrunks = trunks
        try configuration.apply(values)
        try configuration.validate()
        return configuration
    }

    mutating func apply(_ values: [String: String]) throws {
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = values[key] else { return nil }
            guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(key: key, message: "must be an integer, got '\(raw)'")
            }
            guard range.contains(value) else {
                throw ConfigurationError(
                    key: key, message: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
            return value
        }
        func bool(_ key: String) throws -> Bool? {
            guard let raw = values[key] else { return nil }
            switch raw.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw ConfigurationError(key: key, message: "must be true or false, got '\(raw)'")
            }
        }
        if let v = values["bindAddress"] {
            guard !v.isEmpty else { throw ConfigurationError(key: "bindAddress", message: "must not be empty") }
            bindAddress = v
        }
        if let v = try int("httpPort", 0...65535) { httpPort = v }
        if let v = values["tlsCertificateFile"] { tlsCertificateFile = v.isEmpty ? nil : v }
        if let v = values["tlsKeyFile"] { tlsKeyFile = v.isEmpty ? nil : v }
        if let v = values["sipTLSTrustedCertificatesFile"] { sipTLSTrustedCertificatesFile = v.isEmpty ? nil : v }
        if let v = values["dataDirectory"] {
            guard !v.isEmpty else { throw ConfigurationError(key: "dataDirectory", message: "must not be empty") }
            dataDirectory = v
        }
        if let v = values["logLevel"] {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw ConfigurationError(
                    key: "logLevel",
                    message:
                        "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(v)'")
            }
            logLevel = level
        }
        if let v = values["logFormat"] {
            guard ["text", "json"].contains(v) else {
                throw ConfigurationError(key: "logFormat", message: "must be text or json, got '\(v)'")
            }
            logFormat = v
        }
        if let v = try int("heartbeatIntervalSeconds", 1...3600) { heartbeatIntervalSeconds = v }
        if let v = try int("heartbeatTimeoutSeconds", 1...86_400) { heartbeatTimeoutSeconds = v }
        if let v = try int("maxRequestBodyBytes", 1024...(256 << 20)) { maxRequestBodyBytes = v }
        if let v = try int("httpIdleTimeoutSeconds", 1...3600) { httpIdleTimeoutSeconds = v }
        if let v = try int("requestBodyTimeoutSeconds", 1...3600) { requestBodyTimeoutSeconds = v }
        if let v = try int("maxAudioUploadBytes", 1024...(1 << 30)) { maxAudioUploadBytes = v }
        if let v = try int("maxWebSocketFrameBytes", 1024...(16 << 20)) { maxWebSocketFrameBytes = v }
        if let v = try int("maxWebSocketMessagesPerSecond", 1...100_000) { maxWebSocketMessagesPerSecond = v }
        if let v = try int("maxRequestsPerSecondPerKey", 1...100_000) { maxRequestsPerSecondPerKey = v }
        if let v = try int("maxTokenTimeToLiveSeconds", 60...(30 * 86_400)) { maxTokenTimeToLiveSeconds = v }
        if let v = try int("passwordHashMemoryKiB", 1024...(4 << 20)) { passwordHashMemoryKiB = v }
        if let v = try int("passwordHashIterations", 1...64) { passwordHashIterations = v }
        if let v = try int("serviceLevelSeconds", 1...3600) { serviceLevelSeconds = v }
        /// nil when not given; `.some(nil)` when given empty (no webhook).
        func webhook(_ key: String) throws -> String?? {
            guard let v = values[key] else { return nil }
            if v.isEmpty { return .some(nil) }
            guard let url = URL(string: v), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
            else { throw ConfigurationError(key: key, message: "must be an http(s) URL, got '\(v)'") }
            return .some(v)
        }
        if let v = try webhook("messageWebhookURL") { messageWebhookURL = v }
        if let v = try webhook("callEventWebhookURL") { callEventWebhookURL = v }
        if let v = try int("messageWebhookMaxAttempts", 1...100) { messageWebhookMaxAttempts = v }
        func ipv4(_ key: String) throws -> String? {
            guard let v = values[key] else { return nil }
            guard v.split(separator: ".").count == 4, v.split(separator: ".").allSatisfy({ UInt8($0) != nil }) else {
                throw ConfigurationError(key: key, message: "must be an IPv4 address, got '\(v)'")
            }
            return v
        }
        /// An address to announce instead of the bound one: nil when unset or empty.
        func announced(_ key: String) throws -> String?? {
            if values[key] == "" { return .some(nil) }
            guard let v = try ipv4(key) else { return nil }
            guard v != "0.0.0.0" else {
                throw ConfigurationError(key: key, message: "must be an address peers can send to, not 0.0.0.0")
            }
            return .some(v)
        }
        if let v = try ipv4("mediaAddress") { mediaAddress = v }
        if let v = try announced("mediaAnnouncedAddress") { mediaAnnouncedAddress = v }
        if mediaAddress == "0.0.0.0" && mediaAnnouncedAddress == nil {
            throw ConfigurationError(
                key: "mediaAnnouncedAddress",
                message: "is needed when mediaAddress is 0.0.0.0: SDP must announce an address peers can send to")
        }
        if let v = try ipv4("sipAddress") { sipAddress = v }
        if let v = try announced("sipAnnouncedAddress") { sipAnnouncedAddress = v }
        if let v = try int("sipPort", 0...65535) { sipPort = v }
        if let v = try int("sipTLSPort", 0...65535) { sipTLSPort = v }
        if sipAddress == "0.0.0.0" && sipAnnouncedAddress == nil && (sipPort != 0 || sipTLSPort != 0) {
            throw ConfigurationError(
                key: "sipAnnouncedAddress",
                message: "is needed when sipAddress is 0.0.0.0: Via and Contact must name an address peers can reach")
        }
        if let v = try int("sipIdleTimeoutSeconds", 1...86_400) { sipIdleTimeoutSeconds = v }
        if let v = try int("mediaThreads", 0...256) { mediaThreads = v }
        if let v = try int("opusComplexity", 0...10) { opusComplexity = v }
        if let v = try int("conferenceOpusComplexity", 0...10) { conferenceOpusComplexity = v }
        if let v = try int("maxCalls", 1...100_000) { maxCalls = v }
        if let v = try int("maxConnections", 0...10_000_000) { maxConnections = v }
        if let v = try int("maxSessionsPerAddress", 0...1_000_000) { maxSessionsPerAddress = v }
        if let v = try int("maxConnectionsPerAddress", 0...1_000_000) { maxConnectionsPerAddress = v }
        if let v = values["trustedProxies"] { trustedProxies = try TrustedProxies(parsing: v) }
        if let v = try int("signalingGraceSeconds", 0...3600) { signalingGraceSeconds = v }
        if let v = try int("shutdownDrainSeconds", 0...3600) { shutdownDrainSeconds = v }
        if let v = try int("maxMissedOffers", 0...100) { maxMissedOffers = v }
        if let v = try int("callbackAttempts", 1...20) { callbackAttempts = v }
        if let v = try int("callbackRetrySeconds", 1...86_400) { callbackRetrySeconds = v }
        if let v = values["recordingsDirectory"] { recordingsDirectory = v }
        if let v = try int("recordingRetentionDays", 0...36_500) { recordingRetentionDays = v }
        if let v = try int("mediaPortMin", 1024...65535) { mediaPortMin = v }
        if let v = try int("mediaPortMax", 1024...65535) { mediaPortMax = v }
        if let v = try bool("seedDemoData") { seedDemoData = v }
        if let v = try bool("allowClearText") { allowClearText = v }
    }

    func validate() throws {
        if (tlsCertificateFile == nil) != (tlsKeyFile == nil) {
            let missing = tlsCertificateFile == nil ? "tlsCertificateFile" : "tlsKeyFile"
            throw ConfigurationError(
                key: missing,
                message: "must be set together with \(missing == "tlsKeyFile" ? "tlsCertificateFile" : "tlsKeyFile")")
        }
        if sipTLSPort != 0, tlsCertificateFile == nil {
            throw ConfigurationError(key: "sipTLSPort", message: "needs tlsCertificateFile and tlsKeyFile")
        }
        if sipTLSPort != 0, sipTLSPort == sipPort {
            throw ConfigurationError(key: "sipTLSPort", message: "must differ from sipPort (\(sipPort))")
        }
        if mediaPortMax < mediaPortMin {
            throw ConfigurationError(
                key: "mediaPortMax", message: "must not be below mediaPortMin (\(mediaPortMin)), got \(mediaPortMax)")
        }
        if heartbeatTimeoutSeconds <= heartbeatIntervalSeconds {
            throw ConfigurationError(
                key: "heartbeatTimeoutSeconds",
                message:
                    "must be greater than heartbeatIntervalSeconds (\(heartbeatIntervalSeconds)), got \(heartbeatTimeoutSeconds)"
            )
        }
    }
}

/// A configuration problem; start-up stops with its description.
extension GatewayConfiguration {
    /// How `descriptors` file descriptors are shared: the connections served and the calls carried.
    public struct DescriptorBudget: Equatable, Sendable {
        public var connections: Int
        public var calls: Int
        /// Why the calls are fewer than `maxCalls`, when they are.
        public var warning: String?
    }

    /// Shares `descriptors` between calls and connections (`ConnectionLimit.reserve`): with
    /// `maxConnections` set, it must fit beside `maxCalls`; left at 0, connections get what calls
    /// leave, and a limit too low for `maxCalls` splits what is left evenly, carrying fewer calls
    /// (with a warning) rather than refusing to start. Throws, naming the limit to raise, when
    /// `maxConnections` does not fit or the limit cannot hold even one call and 16 connections.
    public func descriptorBudget(descriptors: Int) throws -> DescriptorBudget {
        let headroom = ConnectionLimit.refusalHeadroom
        let kept = ConnectionLimit.reserve(maxCalls: maxCalls) + headroom
        let raise = "raise it (LimitNOFILE, ulimit -n)"
        if maxConnections > 0 {
            guard maxConnections + kept <= descriptors else {
                throw ConfigurationError(
                    key: "maxConnections",
                    message:
                        "\(maxConnections) connections need a file-descriptor limit of at least \(maxConnections + kept) "
                        + "(\(kept) are kept for \(maxCalls) calls and the rest); the limit is \(descriptors): "
                        + "\(raise) or lower maxConnections or maxCalls")
            }
            return DescriptorBudget(connections: maxConnections, calls: maxCalls)
        }
        if descriptors - kept >= 16 { return DescriptorBudget(connections: descriptors - kept, calls: maxCalls) }
        // Past 16 connections, what is left goes half to calls (4 descriptors each), half to
        // more connections: at least one call needs 24.
        let shared = descriptors - ConnectionLimit.reserve(maxCalls: 0) - headroom
        let calls = (shared - 16) / 8
        guard calls >= 1 else {
            throw ConfigurationError(
                key: "maxCalls",
                message:
                    "the file-descriptor limit \(descriptors) is too low to carry calls and connections; it must be at "
                    + "least \(ConnectionLimit.reserve(maxCalls: 0) + headroom + 24): \(raise)")
        }
        return DescriptorBudget(
            connections: shared - 4 * calls, calls: calls,
            warning:
                "the file-descriptor limit \(descriptors) is too low for maxCalls \(maxCalls) (it needs at least "
                + "\(kept + 16)): carrying at most \(calls) calls; \(raise) or set maxCalls")
    }
}

extension GatewayConfiguration {
    /// Why the media port range may refuse calls before `calls` are carried, or nil: a call with
    /// a phone takes an RTP/RTCP pair per phone leg, phone to phone two pairs; the calls a range
    /// cannot hold are refused (SIP 503, `SERVICE_UNAVAILABLE`).
    public func mediaPortWarning(calls: Int) -> String? {
        let ports = mediaPortMax - mediaPortMin + 1
        guard ports < 4 * calls else { return nil }
        return "the media port range \(mediaPortMin)-\(mediaPortMax) holds \(ports) ports, fewer than the "
            + "\(4 * calls) that \(calls) calls between two phones take (a phone leg takes an RTP/RTCP pair): calls "
            + "past the free ports are refused with 503; widen mediaPortMin/mediaPortMax or lower maxCalls"
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String
    public var description: String { "invalid configuration: \(key): \(message)" }
}
