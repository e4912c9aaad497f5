import COpenSSL
import Calls
import ContactCenter
import Foundation
import Logging
import NIOCore
import SIP
import SIPDigest
import SIPMessage

/// The gateway's side of its SIP trunks: admits INVITEs from trunks into queues, places agents'
/// calls to phone numbers, registers with trunks that want it and pings those that asked for
/// OPTIONS keepalive. The sans-I/O `SIPUserAgent` lives on the transport's event loop; what the
/// far end does reaches the `CallCenter` in order through one task.
///
/// `@unchecked Sendable`: the user agent, the call maps and the admission queue are read and written only on the
/// transport's event loop (entry points hop there: `onCall`, `onLoop`, `execute`); the call
/// center is reached only through the ordered `eventSink`.
public final class SIPTrunkService: PhoneNetwork, @unchecked Sendable {
    /// A trunk's health as `GET /calls/1/sip-trunks/{id}/status` shows it.
    public struct TrunkStatus: Sendable, Encodable, Equatable {
        public var registration: String
        public var reachable: Bool?
        public var activeCalls: Int
    }

    /// An INVITE placed for an agent, kept for failover to the trunk's next host.
    struct Outbound {
        var trunk: SIPTrunk
        var number: String
        var callerId: String
        var sdp: String
        var hostIndex: Int
        var answered = false
    }

    static let realm = "callgateway"
    let configuration: GatewayConfiguration
    let contactCenter: ContactCenter
    let calls: CallCenter
    let logger: Logger
    let metrics: GatewayMetrics?
    let transport: SIPTransportLayer
    let hosts = SIPHostResolver()
    var agent: SIPUserAgent?
    var digest: DigestServer
    /// Nonce counts of trunks' credentials already accepted: a captured INVITE's credentials
    /// played again are refused.
    var replays = DigestReplayGuard(lifetime: 120)
    /// Sources dropped for a while after too many refusals.
    var penalties = SIPSourcePenalties()
    private var timer: RepeatedTask?
    private var upkeepTask: RepeatedTask?
    var sipCalls: [String: SIPCallID] = [:]
    var callIds: [SIPCallID: String] = [:]
    private var outbound: [String: Outbound] = [:]
    /// Inbound calls cancelled while they were being admitted.
    var cancelledEarly: Set<SIPCallID> = []
    /// Admissions running, and those waiting their turn (`SIPTrunkService+Admission`).
    var admitting = 0
    var waitingAdmissions: [Admission] = []
    var waitingHead = 0
    var registrations: [String: String] = [:]
    var keepalives: [String: SIPAddress] = [:]
    /// What each trunk was last registered and pinged with (`SIPTrunkService+Upkeep`).
    var registrationSignatures: [String: String] = [:]
    var keepaliveIntervals: [String: Int] = [:]
    private var reachability: [SIPAddress: Bool] = [:]
    private let events: AsyncStream<@Sendable () async -> Void>
    private let eventSink: AsyncStream<@Sendable () async -> Void>.Continuation
    private var eventTask: Task<Void, Never>?
    /// Local UDP/TCP port once started (0: none), and the TLS port (0: none).
    public private(set) var port = 0
    public private(set) var tlsPort = 0

    public init(
        configuration: GatewayConfiguration, contactCenter: ContactCenter, calls: CallCenter,
        metrics: GatewayMetrics? = nil, tls: TLSCredentials? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.contactCenter = contactCenter
        self.calls = calls
        self.logger = logger
        self.transport = SIPTransportLayer(
            logger: logger, tls: tls, idleTimeout: .seconds(Int64(configuration.sipIdleTimeoutSeconds)))
        var secret = [UInt8](repeating: 0, count: 32)
        _ = copenssl_random(&secret, secret.count)
        digest = DigestServer(realm: Self.realm, secret: secret, algorithm: .md5, nonceLifetime: 120)
        (events, eventSink) = AsyncStream.makeStream()
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Binds the SIP port, attaches to the call center and starts trunk upkeep.
    public func start() async throws {
        let (port, tlsPort) = try await transport.start(
            host: configuration.sipAddress, port: configuration.sipPort == 0 ? nil : configuration.sipPort,
            tlsPort: configuration.sipTLSPort == 0 ? nil : configuration.sipTLSPort)
        self.port = port
        self.tlsPort = tlsPort
        try await transport.eventLoop.submit { [self] in
            agent = SIPUserAgent(
                configuration: SIPUserAgentConfiguration(
                    localHost: configuration.sipAnnouncedAddress ?? configuration.sipAddress, udpPort: port,
                    tcpPort: port, tlsPort: tlsPort,
                    userAgent: "callgateway"))
            transport.onMessage = { [unowned self] message, source in
                guard !isDropped(source, isResponse: message.status != nil) else { return }
                apply(agent?.receive(message: message, from: source, now: Self.now()) ?? [])
            }
            transport.onMalformed = { [weak self] kind in self?.metrics?.sipMalformed(kind.rawValue.lowercased()) }
            transport.onHandshakeFailure = { [weak self] _ in self?.metrics?.tlsHandshakeFailed("sip") }
            transport.onDatagram = { [unowned self] bytes, source in
                guard !isDropped(source, isResponse: bytes.starts(with: Self.responsePrefix)) else { return }
                apply(agent?.receive(bytes, from: source, now: Self.now()) ?? [])
            }
            transport.onTransportFailure = { [unowned self] address in
                apply(agent?.transportFailed(address, now: Self.now()) ?? [])
            }
            startTicking()
            upkeepTask = transport.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(5)) {
                [weak self] _ in
                self?.scheduleUpkeep()
            }
        }.get()
        eventTask = Task { [events] in
            for await event in events { await event() }
        }
        await calls.attach(phoneNetwork: self)
        logger.info(
            "SIP listening",
            metadata: ["address": "\(configuration.sipAddress)", "udpAndTcpPort": "\(port)", "tlsPort": "\(tlsPort)"])
    }

    public func shutdown() async {
        upkeepTask?.cancel()
        timer?.cancel()
        eventSink.finish()
        await transport.shutdown()
        eventTask?.cancel()
    }

    // MARK: - PhoneNetwork

    public func dial(callId: String, trunk: SIPTrunk, to number: String, callerId: String, sdp: String) async {
        for host in trunk.destinationHosts.compactMap({ SIPHostPort.parse($0)?.host }) { _ = await hosts.resolve(host) }
        transport.eventLoop.execute { [self] in
            outbound[callId] = Outbound(trunk: trunk, number: number, callerId: callerId, sdp: sdp, hostIndex: 0)
            place(callId)
        }
    }

    public func ringing(callId: String) async {
        onCall(callId) { agent, call in agent.respond(call, status: 180, now: Self.now()) }
    }

    public func answer(callId: String, sdp: String) async {
        onCall(callId) { agent, call in agent.respond(call, status: 200, sdp: Array(sdp.utf8), now: Self.now()) }
    }

    public func reject(callId: String, status: Int, reason: String) async {
        onCall(callId, forget: true) { agent, call in
            agent.respond(call, status: status, reason: reason, now: Self.now())
        }
    }

    public func hangup(callId: String, reason: HangupCode) async {
        onCall(callId, forget: true) { agent, call in agent.hangup(call, now: Self.now()) }
    }

    public func reoffer(callId: String, sdp: String) async {
        onCall(callId) { agent, call in agent.reinvite(call, sdp: Array(sdp.utf8), now: Self.now()) }
    }

    public func notifyRefer(callId: String, status: Int, reason: String, final: Bool) async {
        onCall(callId) { agent, call in
            agent.notifyRefer(call, status: status, reason: reason, final: final, now: Self.now())
        }
    }

    /// Health of each trunk, by trunk id.
    public func status(of trunk: SIPTrunk, activeCalls: Int) async -> TrunkStatus {
        (try? await transport.eventLoop.submit { [self] in
            let registration: String =
                trunk.type == .REGISTERED ? (registrations[trunk.id] ?? "PENDING") : "NOT_REQUIRED"
            let reachable = keepalives[trunk.id].flatMap { reachability[$0] }
            return TrunkStatus(registration: registration, reachable: reachable, activeCalls: activeCalls)
        }.get()) ?? TrunkStatus(registration: "UNKNOWN", reachable: nil, activeCalls: activeCalls)
    }

    // MARK: - On the event loop

    private func onCall(
        _ callId: String, forget: Bool = false, _ body: @escaping @Sendable (SIPUserAgent, SIPCallID) -> [SIPOutput]
    ) {
        transport.eventLoop.execute { [self] in
            guard let agent, let call = sipCalls[callId] else { return }
            if forget { self.forget(callId) }
            apply(body(agent, call))
        }
    }

    func forget(_ callId: String) {
        if let call = sipCalls.removeValue(forKey: callId) { callIds.removeValue(forKey: call) }
        outbound.removeValue(forKey: callId)
    }

    /// Sends an outbound call's INVITE to its trunk's current host.
    private func place(_ callId: String) {
        guard let agent, let attempt = outbound[callId] else { return }
        let trunk = attempt.trunk
        guard attempt.hostIndex < trunk.destinationHosts.count,
            let (host, port) = SIPHostPort.parse(
                trunk.destinationHosts[attempt.hostIndex], defaultPort: trunk.transport.defaultPort)
        else {
            outbound.removeValue(forKey: callId)
            return report { await $0.phoneFailed(callId, status: 503, reason: "No usable trunk host") }
        }
        guard let ip = hosts.cached(host) else {
            var next = attempt
            next.hostIndex += 1
            outbound[callId] = next
            logger.warning("trunk host does not resolve", metadata: ["host": "\(host)", "trunk": "\(trunk.name)"])
            return place(callId)
        }
        let address = trunkAddress(trunk, host: host, ip: ip, port: port)
        let suffix = address.transport.uriParameter.map { ";transport=\($0)" } ?? ""
        guard let requestURI = SIPURI("sip:\(attempt.number)@\(host):\(port)\(suffix)"),
            let to = NameAddress("<sip:\(attempt.number)@\(host)>"),
            let from = NameAddress("<sip:\(attempt.callerId)@\(configuration.sipAddress)>")
        else {
            outbound.removeValue(forKey: callId)
            return report { await $0.phoneFailed(callId, status: 484, reason: "Address Incomplete") }
        }
        let credentials = trunk.outboundCredentials.map {
            DigestCredentials(username: $0.username, password: $0.password)
        }
        let (call, outputs) = agent.invite(
            requestURI: requestURI, from: from, to: to, destination: address, sdp: Array(attempt.sdp.utf8),
            credentials: credentials, now: Self.now())
        sipCalls[callId] = call
        callIds[call] = callId
        apply(outputs)
    }

    /// Where a trunk host is reached; over TLS its certificate must name `host` (or, when `host`
    /// is an IP address, that address).
    func trunkAddress(_ trunk: SIPTrunk, host: String, ip: String, port: Int) -> SIPAddress {
        let transport: SIPTransport =
            switch trunk.transport {
            case .UDP: .udp
            case .TCP: .tcp
            case .TLS: .tls
            }
        let address = SIPAddress(transport: transport, host: ip, port: port)
        if transport == .tls, host != ip { self.transport.tlsServerNames[address] = host }
        return address
    }

    /// Hands the user agent's outputs to the sockets and its events to the call center, then
    /// re-arms the timer for its next deadline.
    func apply(_ outputs: [SIPOutput]) {
        for output in outputs {
            switch output {
            case .send(let bytes, let address): transport.send(bytes, to: address)
            case .event(let event): handle(event)
            }
        }
    }

    /// The user agent's timers run on a 10 ms tick rather than being re-armed after each message:
    /// finding the next deadline scans every transaction, which at hundreds of calls a second
    /// cost more than the SIP work itself. 10 ms is far below T1 (500 ms).
    private func startTicking() {
        timer = transport.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) {
            [weak self] _ in
            guard let self, let agent = self.agent, agent.nextTimeout.map({ $0 <= Self.now() }) ?? false else {
                return
            }
            self.apply(agent.handleTimeout(now: Self.now()))
        }
    }

    /// Runs `work` against the call center after everything reported before it.
    func report(_ work: @escaping @Sendable (CallCenter) async -> Void) {
        let calls = self.calls
        eventSink.yield { await work(calls) }
    }

    private func handle(_ event: SIPEvent) {
        switch event {
        case .incomingCall(let call, let invite, let source):
            enqueueAdmission(Admission(call: call, invite: invite, source: source))
        case .provisional(let call, let status, let sdp):
            guard let callId = callIds[call] else { return }
            let text = sdp.map { String(decoding: $0, as: UTF8.self) }
            report { await $0.phoneProgress(callId, status: status, sdp: text) }
        case .answered(let call, let sdp):
            guard let callId = callIds[call] else { return }
            metrics?.sipOutbound("answered")
            outbound[callId]?.answered = true
            let text = String(decoding: sdp, as: UTF8.self)
            report { await $0.phoneAnswered(callId, sdp: text) }
        case .failed(let call, let status, let reason):
            guard let callId = callIds.removeValue(forKey: call) else { return }
            sipCalls.removeValue(forKey: callId)
            if [408, 503].contains(status), var attempt = outbound[callId],
                attempt.hostIndex + 1 < attempt.trunk.destinationHosts.count
            {
                attempt.hostIndex += 1
                outbound[callId] = attempt
                logger.info(
                    "trunk host failed; trying the next",
                    metadata: ["callId": "\(callId)", "status": "\(status)", "trunk": "\(attempt.trunk.name)"])
                return place(callId)
            }
            outbound.removeValue(forKey: callId)
            metrics?.sipOutbound(String(status))
            report { await $0.phoneFailed(callId, status: status, reason: reason) }
        case .cancelled(let call):
            guard let callId = callIds[call] else {
                cancelledEarly.insert(call)
                return
            }
            forget(callId)
            report { await $0.phoneCancelled(callId) }
        case .ended(let call, let reason):
            guard let callId = callIds[call] else { return }
            forget(callId)
            report { await $0.phoneEnded(callId, reason: reason) }
        case .reoffer(let call, let sdp):
            guard let callId = callIds[call] else {
                return apply(agent?.answerReoffer(call, sdp: nil, now: Self.now()) ?? [])
            }
            let text = String(decoding: sdp ?? [], as: UTF8.self)
            report { [self] calls in
                let answer = await calls.phoneReoffer(callId, sdp: text)
                transport.eventLoop.execute { [self] in
                    apply(agent?.answerReoffer(call, sdp: answer.map { Array($0.utf8) }, now: Self.now()) ?? [])
                }
            }
        case .dtmfInfo(let call, let digit):
            guard let callId = callIds[call] else { return }
            report { await $0.phoneDTMF(callId, digit: digit) }
        case .refer(let call, let target):
            guard let callId = callIds[call] else {
                return apply(agent?.answerRefer(call, status: 481, now: Self.now()) ?? [])
            }
            let user = target.user?.removingPercentEncoding
            report { [self] calls in
                let (status, reason) = await calls.phoneRefer(callId, target: user)
                transport.eventLoop.execute { [self] in
                    apply(agent?.answerRefer(call, status: status, reason: reason, now: Self.now()) ?? [])
                }
            }
        case .registration(let id, let ok, let status, let expires):
            registrations[id] = ok ? (expires > 0 ? "REGISTERED" : "UNREGISTERED") : "FAILED (\(status))"
            logger.info("trunk registration", metadata: ["trunk": "\(id)", "ok": "\(ok)", "status": "\(status)"])
        case .keepalive(let address, let ok):
            reachability[address] = ok
            logger.notice("trunk \(ok ? "reachable" : "unreachable")", metadata: ["address": "\(address)"])
        case .reofferAnswered(let call, let sdp):
            guard let callId = callIds[call], let sdp else { return }
            let text = String(decoding: sdp, as: UTF8.self)
            report { await $0.phoneReofferAnswered(callId, sdp: text) }
        case .reofferFailed(let call, let status):
            logger.notice("re-INVITE refused", metadata: ["call": "\(call)", "status": "\(status)"])
        case .confirmed, .ackAnswer:
            break
        }
    }
}
