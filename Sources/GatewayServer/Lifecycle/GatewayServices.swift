import Calls
import ContactCenter
import Foundation
import Logging
import Media

/// Everything the edges use, built once at start-up. A class: a copy in every connection's async
/// frames and closures would cost each connection its 800-odd bytes.
public final class GatewayServices: Sendable {
    public let configuration: GatewayConfiguration
    public let store: any ContactCenterStore
    public let contactCenter: ContactCenter
    public let apiKeys: APIKeys
    /// REST requests per API key (`maxRequestsPerSecondPerKey`).
    public let requestLimits: RequestRateLimits
    /// HTTP and WebSocket connections held at once (`maxConnections`).
    public let connections: ConnectionLimit
    /// Signaling sessions per client address (`maxSessionsPerAddress`).
    public let sessionsPerAddress: AddressSessionLimit
    /// HTTP and WebSocket connections per peer address (`maxConnectionsPerAddress`).
    public let connectionsPerAddress: AddressSessionLimit
    public let tokens: TokenSigner
    /// Tokens revoked before their expiry.
    public let revocations: TokenRevocations
    /// Agents' passwords and one-time sign-in links.
    public let signIn: AgentSignIn
    public let hub: SignalingHub
    public let media: MediaEngine
    public let calls: CallCenter
    /// SIP trunks (nil when `sipPort` and `sipTLSPort` are 0); sockets open with `start()`.
    public let sip: SIPTrunkService?
    public let metrics: GatewayMetrics
    /// The certificate HTTPS, WSS and SIP over TLS serve (nil without `tlsCertificateFile`).
    public let tls: TLSCredentials?
    public let clock: any WallClock
    public let logger: Logger
    let parsing: RequestParsing

    public init(
        configuration: GatewayConfiguration, store: any ContactCenterStore, tokenKey: [UInt8],
        clock: any WallClock = SystemWallClock(), webhookTransport: (any WebhookTransport)? = nil,
        logger: Logger = Logger(label: "gateway")
    ) async throws {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.logger = logger
        self.metrics = GatewayMetrics()
        self.tls = try configuration.tlsCertificateFile.map {
            try TLSCredentials(
                certificateFile: $0, keyFile: configuration.tlsKeyFile ?? "",
                trustedCertificatesFile: configuration.sipTLSTrustedCertificatesFile)
        }
        self.tokens = TokenSigner(key: tokenKey)
        self.revocations = TokenRevocations(
            store: store, clock: clock, maxTimeToLive: TimeInterval(configuration.maxTokenTimeToLiveSeconds))
        self.apiKeys = APIKeys(store: store, clock: clock)
        self.signIn = AgentSignIn(
            store: store, clock: clock,
            hasher: PasswordHasher(
                memoryKiB: configuration.passwordHashMemoryKiB, iterations: configuration.passwordHashIterations,
                threads: max(1, MediaEngine.usableCPUs / 2)))
        self.requestLimits = RequestRateLimits(perSecond: configuration.maxRequestsPerSecondPerKey)
        let descriptors = ConnectionLimit.raiseDescriptorLimit()
        let budget = try configuration.descriptorBudget(descriptors: descriptors)
        if let warning = budget.warning { logger.warning("\(warning)") }
        if let warning = configuration.mediaPortWarning(calls: budget.calls) { logger.warning("\(warning)") }
        self.connections = ConnectionLimit(maximum: budget.connections, descriptorLimit: descriptors)
        self.sessionsPerAddress = AddressSessionLimit(maximum: configuration.maxSessionsPerAddress)
        self.connectionsPerAddress = AddressSessionLimit(maximum: configuration.maxConnectionsPerAddress)
        self.parsing = RequestParsing(
            maxBodyBytes: configuration.maxRequestBodyBytes,
            bodyTimeout: .seconds(configuration.requestBodyTimeoutSeconds))
        let contactCenter = ContactCenter(
            store: store, clock: clock, heartbeatTimeoutSeconds: configuration.heartbeatTimeoutSeconds,
            speech: Self.speechLanguages(), logger: logger)
        self.contactCenter = contactCenter
        let hub = SignalingHub(contactCenter: contactCenter, metrics: metrics, logger: logger)
        self.hub = hub
        self.media = try MediaEngine(
            configuration: MediaConfiguration(
                address: configuration.mediaAddress, portRange: configuration.mediaPortMin...configuration.mediaPortMax,
                announcedAddress: configuration.mediaAnnouncedAddress),
            threads: configuration.mediaThreads > 0 ? configuration.mediaThreads : MediaEngine.usableCPUs)
        self.calls = CallCenter(
            contactCenter: contactCenter, media: media, signaling: hub, clock: clock,
            maxCalls: budget.calls, opusComplexity: configuration.opusComplexity,
            conferenceOpusComplexity: configuration.conferenceOpusComplexity,
            signalingGraceSeconds: configuration.signalingGraceSeconds,
            maxMissedOffers: configuration.maxMissedOffers, callbackAttempts: configuration.callbackAttempts,
            callbackRetrySeconds: configuration.callbackRetrySeconds,
            audioDirectory: Self.audioDirectory(configuration),
            recordings: RecordingOptions(
                directory: Self.recordingsDirectory(configuration),
                retentionDays: configuration.recordingRetentionDays),
            logger: logger)
        await hub.attach(calls: calls)
        self.sip =
            configuration.sipPort == 0 && configuration.sipTLSPort == 0
            ? nil
            : SIPTrunkService(
                configuration: configuration, contactCenter: contactCenter, calls: calls, metrics: metrics, tls: tls,
                logger: logger)
        var webhook: WebhookDispatcher?
        if let transport = webhookTransport {
            webhook = WebhookDispatcher(
                store: store, transport: transport, clock: clock, maxAttempts: configuration.messageWebhookMaxAttempts,
                logger: logger)
        }
        try await contactCenter.start(liveChat: hub, webhook: webhook)
        try await revocations.load()
        try await calls.restoreCallbacks()
        try await calls.closeCallsOfPreviousRun()
        await calls.repairRecordings()
        if configuration.sipTLSPort == 0,
            configuration.sipTrunks.contains(where: { $0["transport"]?.stringValue == SIPTrunkTransport.TLS.rawValue })
        {
            throw ConfigurationError(key: "sipTrunks", message: SIPTrunkRoutes.tlsWithoutListener)
        }
        do {
            try await contactCenter.applyConfiguredSIPTrunks(configuration.sipTrunks)
        } catch let error as ContactCenterError {
            throw ConfigurationError(key: "sipTrunks", message: error.message)
        }
    }

    /// A signed token for `identity`, living `timeToLive` seconds (8 hours, or the longest
    /// allowed if shorter, when nil), and when it expires.
    public func issueToken(identity: String, displayName: String?, timeToLive: Int? = nil) -> (
        token: String, expires: Date
    ) {
        let now = clock.now()
        let ttl = timeToLive ?? min(28_800, configuration.maxTokenTimeToLiveSeconds)
        let expires = now.addingTimeInterval(TimeInterval(ttl))
        let token = tokens.issue(
            TokenClaims(
                sub: identity, name: displayName, iat: Int64(now.timeIntervalSince1970),
                exp: Int64(expires.timeIntervalSince1970), jti: Identifiers.uuid()))
        return (token, expires)
    }

    /// Folder of uploaded audio files.
    public var audioDirectory: URL {
        Self.audioDirectory(configuration)
    }

    /// The installed voices, checked with the synthesizer's own language rule.
    static func speechLanguages() -> SpeechLanguages {
        let known = SpeechSynthesizer.languages()
        return SpeechLanguages(known: known) { SpeechSynthesizer.voiceLanguage(for: $0, in: known) != nil }
    }

    static func audioDirectory(_ configuration: GatewayConfiguration) -> URL {
        URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("audio")
    }

    /// Folder of call recordings.
    public var recordingsDirectory: URL { Self.recordingsDirectory(configuration) }

    static func recordingsDirectory(_ configuration: GatewayConfiguration) -> URL {
        configuration.recordingsDirectory.isEmpty
            ? URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("recordings")
            : URL(fileURLWithPath: configuration.recordingsDirectory)
    }
}
