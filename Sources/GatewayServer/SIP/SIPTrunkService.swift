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
/// `@unchecked Sendable`: the user agent and the call maps are read and written only on the
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
    private var digest: DigestServer
    private var timer: RepeatedTask?
    private var upkeepTask: RepeatedTask?
    private var sipCalls: [String: SIPCallID] = [:]
    private var callIds: [SIPCallID: String] = [:]
    private var outbound: [String: Outbound] = [:]
    /// Inbound calls cancelled while they were being admitted.
    private var cancelledEarly: Set<SIPCallID> = []
    var registrations: [String: String] = [:]
    var keepalives: [String: SIPAddress] = [:]
    /// What each trunk was last registered and pinged with (`SIPTrunkService+Upkeep`).
    var registrationSignatures: [String: String] = [:]
    var keepaliveIntervals: [String: Int] = [:]
    private var reachability: [SIPAddress: Bool] = [:]
    private let events: AsyncStream<@Sendable () async -> Void>
    private let eventSink: AsyncStream<@Sendable () async -> Void>.Continuation
    private var eventTask: Task<Void, Never>?
    /// Local port once started.
    public private(set) var port = 0

    public init(
        configuration: GatewayConfiguration, contactCenter: ContactCenter, calls: CallCenter,
        metrics: GatewayMetrics? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.contactCenter = contactCenter
        self.calls = calls
        self.logger = logger
        self.transport = SIPTransportLayer(logger: logger)
        var secret = [UInt8](repeating: 0, count: 32)
        _ = copenssl_random(&secret, secret.count)
        digest = DigestServer(realm: Self.realm, secret: secret, algorithm: .md5, nonceLifetime: 120)
        (events, eventSink) = AsyncStream.makeStream()
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Binds the SIP port, attaches to the call center and starts trunk upkeep.
    public func start() async throws {
        let port = try await transport.start(host: configuration.sipAddress, port: configuration.sipPort)
        self.port = port
        try await transport.eventLoop.submit { [self] in
            agent = SIPUserAgent(
                configuration: SIPUserAgentConfiguration(
                    localHost: configuration.sipAddress, udpPort: port, tcpPort: port, userAgent: "callgateway"))
            transport.onMessage = { [unowned self] message, source in
                apply(agent?.receive(message: message, from: source, now: Self.now()) ?? [])
            }
            transport.onMalformed = { [weak self] in self?.metrics?.sipMalformed("tcp") }
            transport.onDatagram = { [unowned self] bytes, source in
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
            "SIP listening", metadata: ["address": "\(configuration.sipAddress):\(port)", "transports": "UDP, TCP"])
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

    private func forget(_ callId: String) {
        if let call = sipCalls.removeValue(forKey: callId) { callIds.removeValue(forKey: call) }
        outbound.removeValue(forKey: callId)
    }

    /// Sends an outbound call's INVITE to its trunk's current host.
    private func place(_ callId: String) {
        guard let agent, let attempt = outbound[callId] else { return }
        let trunk = attempt.trunk
        guard attempt.hostIndex < trunk.destinationHosts.count,
            let (host, port) = SIPHostPort.parse(trunk.destinationHosts[attempt.hostIndex])
        else {
            outbound.removeValue(forKey: callId)
            return report { await $0.phoneFailed(callId, status: 503, reason: "No usable trunk host") }
        }
        let sipTransport: SIPTransport = trunk.transport == .TCP ? .tcp : .udp
        guard let ip = hosts.cached(host) else {
            var next = attempt
            next.hostIndex += 1
            outbound[callId] = next
            logger.warning("trunk host does not resolve", metadata: ["host": "\(host)", "trunk": "\(trunk.name)"])
            return place(callId)
        }
        let address = SIPAddress(transport: sipTransport, host: ip, port: port)
        let suffix = sipTransport == .tcp ? ";transport=tcp" : ""
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

    // MARK: - Admission of inbound calls

    struct Admission: Sendable {
        var call: SIPCallID
        var invite: SIPMessage
        var source: SIPAddress
    }

    /// A few admissions run side by side (each waits on the store and the call center); more
    /// wait their turn (they already have 100 Trying), and beyond `maxWaitingAdmissions` an
    /// INVITE is refused at once with 503, so a burst degrades instead of collapsing.
    static let maxConcurrentAdmissions = 8
    static let maxWaitingAdmissions = 500

    private func enqueueAdmission(_ admission: Admission) {
        guard admitting < Self.maxConcurrentAdmissions else {
            guard waitingAdmissions.count - waitingHead < Self.maxWaitingAdmissions else {
                logger.warning("SIP admission queue full: 503", metadata: ["source": "\(admission.source)"])
                metrics?.sipInbound("503")
                return apply(
                    agent?.respond(
                        admission.call, status: 503, reason: "Service Unavailable", headers: [("Retry-After", "5")],
                        now: Self.now()) ?? [])
            }
            waitingAdmissions.append(admission)
            return
        }
        admitting += 1
        Task { [self] in
            await admit(admission.call, invite: admission.invite, source: admission.source)
            transport.eventLoop.execute { [self] in admissionFinished() }
        }
    }

    private func admissionFinished() {
        admitting -= 1
        guard waitingHead < waitingAdmissions.count else { return }
        let next = waitingAdmissions[waitingHead]
        waitingHead += 1
        if waitingHead > 256, waitingHead * 2 > waitingAdmissions.count {
            waitingAdmissions.removeFirst(waitingHead)
            waitingHead = 0
        }
        if cancelledEarly.remove(next.call) != nil { return }
        enqueueAdmission(next)
    }

    private var admitting = 0
    private var waitingAdmissions: [Admission] = []
    private var waitingHead = 0

    /// Decides an INVITE: the trunk by source address (403), its digest challenge (401), the
    /// number (404), then the call center (488 for SDP, 503 over a limit).
    private func admit(_ call: SIPCallID, invite: SIPMessage, source: SIPAddress) async {
        let trunks = (try? await contactCenter.sipTrunks()) ?? []
        guard let trunk = trunks.first(where: { accepts($0, from: source.host) }) else {
            logger.notice("INVITE from an unknown address refused", metadata: ["source": "\(source)"])
            return refuse(call, 403, "Forbidden")
        }
        if let expected = trunk.inboundCredentials {
            let header = invite.headers["Authorization"] ?? ""
            let method = invite.method ?? "INVITE"
            let verdict =
                header.isEmpty
                ? DigestVerification.invalid("no credentials")
                : digest.verify(
                    header, method: method, password: { $0 == expected.username ? expected.password : nil },
                    now: Self.now())
            switch verdict {
            case .valid:
                break
            case .stale:
                return refuse(
                    call, 401, "Unauthorized",
                    headers: [("WWW-Authenticate", digest.challenge(now: Self.now(), stale: true))])
            case .invalid(let why):
                if header.isEmpty {
                    return refuse(
                        call, 401, "Unauthorized", headers: [("WWW-Authenticate", digest.challenge(now: Self.now()))])
                }
                logger.notice(
                    "INVITE with bad credentials refused", metadata: ["trunk": "\(trunk.name)", "why": "\(why)"])
                return refuse(call, 403, "Forbidden")
            }
        }
        guard case .request(_, let uri) = invite.startLine else { return }
        let called = SIPURI(uri)?.user ?? invite.headers["To"].flatMap { NameAddress($0)?.uri.user } ?? ""
        guard let number = trunk.numbers.first(where: { $0.number == called }) else {
            logger.notice("INVITE to an unknown number refused", metadata: ["number": "\(called)"])
            return refuse(call, 404, "Not Found")
        }
        let caller = invite.headers["From"].flatMap { NameAddress($0)?.uri.user } ?? "anonymous"
        guard !invite.body.isEmpty else { return refuse(call, 488, "Not Acceptable Here") }
        let callId = Identifiers.uuid()
        // The call center rings agents (and so sends 180) before it returns.
        await onLoop { [self] in sipCalls[callId] = call }
        do {
            _ = try await calls.startFromPhone(
                callId: callId, trunk: trunk, number: number, caller: caller,
                offer: String(decoding: invite.body, as: UTF8.self))
        } catch let refusal as CallRefusal {
            let (status, reason) =
                switch refusal.code.id {
                case HangupCode.serviceUnavailable.id: (503, "Service Unavailable")
                case HangupCode.mediaFailure.id: (488, "Not Acceptable Here")
                default: refusal.code.sipStatus
                }
            logger.notice(
                "inbound call refused", metadata: ["status": "\(status)", "why": "\(refusal.code.description)"])
            await onLoop { [self] in forget(callId) }
            return refuse(call, status, reason)
        } catch {
            await onLoop { [self] in forget(callId) }
            return refuse(call, 500, "Server Internal Error")
        }
        metrics?.sipInbound("admitted")
        let cancelled = await onLoop { [self] in
            callIds[call] = callId
            return cancelledEarly.remove(call) != nil
        }
        if cancelled == true { await calls.phoneCancelled(callId) }
    }

    private func refuse(_ call: SIPCallID, _ status: Int, _ reason: String, headers: [(String, String)] = []) {
        metrics?.sipInbound(String(status))
        transport.eventLoop.execute { [self] in
            cancelledEarly.remove(call)
            apply(agent?.respond(call, status: status, reason: reason, headers: headers, now: Self.now()) ?? [])
        }
    }

    /// Runs `body` on the SIP event loop; nil once the loop has shut down (the gateway is stopping).
    @discardableResult
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T? {
        try? await transport.eventLoop.submit(body).get()
    }

    /// Whether `trunk` takes calls from `host`: its source hosts, else its destination hosts'
    /// addresses (names as last resolved).
    func accepts(_ trunk: SIPTrunk, from host: String) -> Bool {
        if !trunk.sourceHosts.isEmpty { return trunk.sourceHosts.contains(host) }
        return trunk.destinationHosts.contains { SIPHostPort.parse($0).flatMap { hosts.cached($0.host) } == host }
    }
}
