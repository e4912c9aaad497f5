import ArgumentParser
import ClientMedia
import Foundation
import HeadlessAgent
import Media
import NIOCore
import SIP
import Synchronization

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive many calls through the gateway: N agents answer N customers' calls.",
        discussion: """
            Creates (or reuses) agents "Load agent 0001"… in a queue "Headless load", signs them in, then \
            starts one customer call per agent at --rate calls per second. Every call plays pre-encoded Opus \
            both ways for --duration seconds. Prints loss, jitter and set-up time percentiles. With --callers \
            phone the customers call from phones instead: the generator is a SIP trunk (made anew over REST as \
            "Headless load trunk", its number +15550399 in the queue) calling the gateway's --sip address, each \
            call plain RTP in --phone-codec. With --transfer-to-numbers as well, each agent transfers its caller to \
            a phone number once the call's audio flows, and the trunk answers that number too: the gateway then \
            relays RTP between two trunk legs (phone to phone).
            """)
    @OptionGroup var gatewayOptions: GatewayOptions
    enum Callers: String, ExpressibleByArgument, CaseIterable { case webrtc, phone }
    enum PhoneCodec: String, ExpressibleByArgument, CaseIterable {
        case opus, pcmu
        var codec: PumpLeg.Codec { self == .opus ? .opus : .pcmu }
    }

    @Option(help: "Concurrent calls (agents and customers each).") var count = 10
    @Option(help: "How customers call: webrtc (signed-in WebRTC customers) or phone (through a SIP trunk).")
    var callers = Callers.webrtc
    @Option(help: "With --callers phone: the gateway's SIP address (host:port, UDP).") var sip: String?
    @Option(
        help: "With --callers phone: the phones' codec, opus (relayed to the agents) or pcmu (transcoded).")
    var phoneCodec = PhoneCodec.pcmu
    @Option(help: "Calls started per second.") var rate = 20.0
    @Option(help: "Seconds each call lasts once established.") var duration = 20.0
    @Option(help: "Seconds a call rings before the agent answers.") var answerAfter = 0.0
    @Option(help: "Event loops carrying the generator's media.") var threads = 1
    @Option(help: "A call that loses more than this percentage of its audio fails.") var maxLoss = 1.0
    @Flag(help: "Print each call's figures and the summary as JSON lines.") var json = false
    @Flag(
        help: """
            Check what every leg hears: agents must hear the customers' 660 Hz and customers the agents' \
            440 Hz in their second second of audio, else the call fails (decodes the first two seconds).
            """)
    var checkTones = false
    @Flag(
        help: """
            Every packet starts with a delay probe; the summary gives the one-way delay through the gateway. \
            With --json, prints {"event":"ready"} once the agents are signed in and {"event":"established"} \
            once both sides of every call hear audio.
            """)
    var probeDelay = false
    @Flag(
        help: """
            WebRTC customers all sign in before the first call starts (with --json, {"event":"customersReady"} \
            then), and their calls start at --rate after that, the first 1 / rate seconds later: the \
            gateway's memory per call can be read without the customers' signaling connections.
            """)
    var signInCustomersFirst = false
    @Flag(
        help: """
            With --callers phone: once a call's audio flows, its agent transfers the caller (blind, \
            externalNumber) to +1555040 and the caller's last four digits; the generator's trunk answers the \
            gateway's call to that number as a second phone, and the two phones talk through the gateway until \
            the caller hangs up. The "established" event then waits for every number to hear audio.
            """)
    var transferToNumbers = false
    @Option(help: "With --probe-delay: count only the probes heard from this many seconds after every call is up.")
    var measureAfter = 0.0
    @Option(help: "With --probe-delay: count the probes heard for this many seconds (default: to the end).")
    var measureFor: Double?

    /// What the agents and the customers play.
    static let agentTone = 440.0
    static let customerTone = 660.0

    func validate() throws {
        guard count >= 1, rate > 0, duration > 0, threads >= 1, answerAfter >= 0, maxLoss >= 0 else {
            throw ValidationError(
                "--count, --rate, --duration and --threads must be positive; --answer-after and --max-loss not negative"
            )
        }
        guard measureAfter >= 0, (measureFor ?? 1) > 0 else {
            throw ValidationError("--measure-after must not be negative and --measure-for must be positive")
        }
        guard !transferToNumbers || callers == .phone else {
            throw ValidationError("--transfer-to-numbers needs --callers phone")
        }
        if callers == .phone {
            guard let sip, Self.sipAddress(sip) != nil else {
                throw ValidationError("--callers phone needs --sip host:port, the gateway's SIP address (an IP)")
            }
            guard !(probeDelay && phoneCodec == .pcmu) else {
                throw ValidationError(
                    "--probe-delay needs --phone-codec opus: a transcoded call cannot carry the probes")
            }
        }
    }

    /// The number the phone callers call, in the load queue.
    static let phoneNumber = "+15550399"

    static func sipAddress(_ text: String) -> SIPAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), (try? SocketAddress(ipAddress: String(text[..<colon]), port: port)) != nil
        else { return nil }
        return SIPAddress(transport: .udp, host: String(text[..<colon]), port: port)
    }

    func run() async throws {
        guard let apiKey = gatewayOptions.apiKey else { throw ValidationError("load needs --api-key") }
        let client = GatewayClient(
            baseURL: gatewayOptions.gateway, apiKey: apiKey,
            trustedCertificatesFile: gatewayOptions.trustedCertificatesFile)
        let base = gatewayOptions.gateway
        let media = try ClientMediaEngine(address: gatewayOptions.mediaAddress, threads: threads)
        // Agents answering phones are asked for narrowband Opus, and send it as browsers do.
        let agentAudio = try EncodedAudio.tone(frequency: Self.agentTone, narrowbandOpus: true)
        let customerAudio = try EncodedAudio.tone(frequency: Self.customerTone)
        let printer = MediaOptions.printer(json: json)
        // With a window asked for, nothing heard before it counts.
        let probe = probeDelay ? DelayProbe(closed: measureAfter > 0 || measureFor != nil) : nil

        let setup: (agents: [String], queueId: String)
        var tokens: [String] = []
        var customerTokens: [String] = []
        var trunk: TrunkCaller?
        let run = String(Int(Date().timeIntervalSince1970) % 100_000)
        do {
            setup = try await client.loadAgents(count: count, queueName: "Headless load")
            for id in setup.agents { tokens.append(try await client.token(for: id)) }
            if callers == .phone, let sip, let gatewaySIP = Self.sipAddress(sip) {
                let caller = try await TrunkCaller.bind(
                    host: gatewayOptions.mediaAddress, gateway: gatewaySIP, on: media.nextTicker().eventLoop)
                _ = try await client.loadTrunk(
                    name: "Headless load trunk", destinationHost: "\(gatewayOptions.mediaAddress):\(caller.port)",
                    number: Self.phoneNumber, queueId: setup.queueId, codec: phoneCodec.rawValue.uppercased())
                trunk = caller
            } else {
                for index in 1...count { customerTokens.append(try await client.token(for: "load-\(run)-\(index)")) }
            }
        } catch {
            throw fail("cannot prepare the load: \(error)")
        }

        // Phone to phone, the calls are up once every number hears its caller.
        let established = EstablishedCounter(
            target: transferToNumbers ? count : 2 * count, announce: json && (probeDelay || trunk != nil)
        ) {
            [measureAfter, measureFor] in
            probe?.measure(
                after: measureAfter, for: measureFor ?? .infinity, now: Date().timeIntervalSince1970)
        }
        let agents = tokens.map { token in
            var options = SessionOptions(
                role: .agent, signalingURL: GatewayClient.signalingURL(base: base, token: token))
            options.trustedCertificatesFile = gatewayOptions.trustedCertificatesFile
            options.audio = agentAudio
            options.calls = 1
            options.answerAfter = answerAfter
            options.maxLossPercent = maxLoss
            options.expectedTone = checkTones ? Self.customerTone : nil
            options.delayProbe = probe
            if transferToNumbers {
                options.transferTo = { DialledNumbers.number(for: $0) }
            } else {
                options.onAudioStarted = { established.add() }
            }
            return HeadlessSession(options: options, media: media, onCall: printer)
        }
        let gate = CallGate(rate: rate)
        let customers = customerTokens.enumerated().map { turn, token in
            var options = SessionOptions(
                role: .customer, signalingURL: GatewayClient.signalingURL(base: base, token: token))
            options.trustedCertificatesFile = gatewayOptions.trustedCertificatesFile
            options.audio = customerAudio
            options.calls = 1
            options.hangUpAfter = duration
            options.queueId = setup.queueId
            options.maxLossPercent = maxLoss
            options.expectedTone = checkTones ? Self.agentTone : nil
            options.delayProbe = probe
            options.onAudioStarted = { established.add() }
            if signInCustomersFirst { options.callWhen = { await gate.wait(turn: turn) } }
            return HeadlessSession(options: options, media: media, onCall: printer)
        }

        var figures: [CallFigures] = []
        var fatal: [String] = []
        var idleAgents = 0
        let started = Date()
        await withTaskGroup(of: LoadOutcome.self) { group in
            for session in agents { group.addTask { .agent(await session.outcome()) } }
            for session in agents { await session.waitUntilReady() }
            if json && (probeDelay || trunk != nil) { emitLine(#"{"event":"ready"}"#) }
            if let trunk {
                var phones = PhoneCallers(
                    trunk: trunk, number: Self.phoneNumber, codec: phoneCodec.codec, media: media, audio: customerAudio,
                    probe: probe, duration: duration, maxLoss: maxLoss, onAudioStarted: { established.add() },
                    onCall: printer)
                if transferToNumbers {
                    phones.numbers = DialledNumbers(
                        media: media, codec: phoneCodec.codec, audio: agentAudio, probe: probe, maxLoss: maxLoss,
                        onAudioStarted: { established.add() }, onCall: printer)
                }
                group.addTask { [count, rate] in .customers(await phones.ramp(count: count, rate: rate)) }
            } else if signInCustomersFirst {
                group.addTask { [json] in
                    .customers(
                        await Self.signInFirst(customers, gate: gate) {
                            if json { emitLine(#"{"event":"customersReady"}"#) }
                        })
                }
            } else {
                group.addTask { .customers(await Self.ramp(customers, rate: rate)) }
            }
            while let outcome = await group.next() {
                switch outcome {
                case .agent(.success(let calls)), .customers(.success(let calls)):
                    figures += calls
                case .agent(.failure(let error)):
                    if Task.isCancelled || error.description == HeadlessSession.cancelled {
                        idleAgents += 1
                    } else {
                        fatal.append(error.description)
                    }
                case .customers(.failure(let error)):
                    fatal.append(error.description)
                case .agentsStopped:
                    break
                }
                if case .customers = outcome {
                    // Every agent's call has ended with its customer's; one that got no call stops.
                    group.addTask {
                        try? await Task.sleep(for: .seconds(3))
                        for session in agents { await session.stop() }
                        return .agentsStopped
                    }
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        let lateness = await media.tickLateness()
        try? await media.shutdown()
        var summary = LoadSummary(
            figures: figures, requested: count, seconds: elapsed, fatal: fatal, idleAgents: idleAgents)
        summary.generatorTicks = lateness.phases
        summary.generatorLateTicks = lateness.late
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            emitLine(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            emitLine(summary.text)
        }
        flushOutput()
        if let reason = summary.failureReason { throw fail(reason) }
    }

    /// Starts the customers at `rate` per second; returns when every one's call ended.
    static func ramp(_ customers: [HeadlessSession], rate: Double) async -> Result<[CallFigures], HeadlessError> {
        let start = Date()
        return await withTaskGroup(of: Result<[CallFigures], HeadlessError>.self) { group in
            for (index, session) in customers.enumerated() {
                let wait = start.addingTimeInterval(Double(index) / rate).timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                group.addTask { await session.outcome() }
            }
            return await collect(&group)
        }
    }

    /// Signs every customer in at once, calls `allReady` once they all are, then opens `gate`,
    /// which lets their calls start at its rate; returns when every one's call ended.
    static func signInFirst(
        _ customers: [HeadlessSession], gate: CallGate, allReady: @Sendable () -> Void
    ) async -> Result<[CallFigures], HeadlessError> {
        await withTaskGroup(of: Result<[CallFigures], HeadlessError>.self) { group in
            for session in customers { group.addTask { await session.outcome() } }
            for session in customers { await session.waitUntilReady() }
            allReady()
            gate.open()
            return await collect(&group)
        }
    }

    /// Every customer's figures, or every error.
    private static func collect(
        _ group: inout TaskGroup<Result<[CallFigures], HeadlessError>>
    ) async -> Result<[CallFigures], HeadlessError> {
        var all: [CallFigures] = []
        var errors: [String] = []
        for await result in group {
            switch result {
            case .success(let calls): all += calls
            case .failure(let error): errors.append(error.description)
            }
        }
        return errors.isEmpty ? .success(all) : .failure(HeadlessError(errors.joined(separator: "; ")))
    }

}

/// Counts the legs that hear audio; once every one does, calls `onAll` and says so
/// (`{"event":"established"}`).
final class EstablishedCounter: Sendable {
    private let target: Int
    private let announce: Bool
    private let onAll: @Sendable () -> Void
    private let count = Mutex(0)

    init(target: Int, announce: Bool, onAll: @escaping @Sendable () -> Void) {
        self.target = target
        self.announce = announce
        self.onAll = onAll
    }

    func add() {
        let now = count.withLock {
            $0 += 1
            return $0
        }
        guard now == target else { return }
        onAll()
        if announce { emitLine(#"{"event":"established","legs":\#(now)}"#) }
    }
}

/// Holds signed-in customers' calls until it opens, then lets turn N (from 0) start (N + 1) / rate
/// seconds later.
final class CallGate: Sendable {
    private let rate: Double
    private let state = Mutex<(start: Date?, waiting: [CheckedContinuation<Date, Never>])>((nil, []))

    init(rate: Double) { self.rate = rate }

    func open() {
        let start = Date()
        let waiting = state.withLock { state in
            state.start = start
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiting { waiter.resume(returning: start) }
    }

    /// Returns at turn `turn`'s time once the gate opened.
    func wait(turn: Int) async {
        let start = await withCheckedContinuation { (continuation: CheckedContinuation<Date, Never>) in
            let opened = state.withLock { state -> Date? in
                if let start = state.start { return start }
                state.waiting.append(continuation)
                return nil
            }
            if let opened { continuation.resume(returning: opened) }
        }
        let wait = start.addingTimeInterval(Double(turn + 1) / rate).timeIntervalSinceNow
        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
    }
}

enum LoadOutcome: Sendable {
    case agent(Result<[CallFigures], HeadlessError>)
    case customers(Result<[CallFigures], HeadlessError>)
    case agentsStopped
}
