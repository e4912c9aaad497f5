import ArgumentParser
import ClientMedia
import Foundation
import HeadlessAgent
import Media
import WAV

@main
struct HeadlessAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headless-agent",
        abstract: "A headless WebRTC softphone for the gateway: agent, customer, load generator, or a plain peer.",
        discussion: "Exits 0 when every call set up and carried audio; otherwise 1 with a one-line reason on stderr.",
        subcommands: [AgentCommand.self, CustomerCommand.self, LoadCommand.self, PeerCommand.self, StormCommand.self])
}

/// Standard output is written from one serial queue, so a reader that drains the pipe slowly
/// never blocks the sessions' threads (their heartbeats would stop).
let standardOutput = DispatchQueue(label: "headless-agent.stdout")

/// Writes a line to standard output, unbuffered (tests and scripts read lines as they come).
func emitLine(_ line: String) {
    let bytes = Data((line + "\n").utf8)
    standardOutput.async { FileHandle.standardOutput.write(bytes) }
}

/// Waits until every line was written.
func flushOutput() { standardOutput.sync {} }

/// Prints a one-line reason and exits 1.
func fail(_ reason: String) -> ExitCode {
    flushOutput()
    FileHandle.standardError.write(Data("headless-agent: \(reason)\n".utf8))
    return ExitCode(1)
}

struct GatewayOptions: ParsableArguments {
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "A WebRTC token (else one is issued with --api-key).") var token: String?
    @Option(help: "An API key, to issue the token (and, for load, to create agents and a queue).")
    var apiKey: String?
    @Option(help: "IPv4 address the media sockets bind to and announce.") var mediaAddress = "127.0.0.1"
    @Option(
        name: .customLong("ca-file"),
        help: "PEM certificates an https:// gateway's certificate must chain to (default: the system's).")
    var trustedCertificatesFile: String?

    func validate() throws {
        // The WebSocket client names the server in TLS (SNI) by the URL's host, which may not be
        // an IP address: over TLS the gateway is reached by the name its certificate carries.
        if let url = URL(string: gateway), url.scheme == "https", let host = url.host,
            host.contains(":") || host.split(separator: ".").allSatisfy({ UInt8($0) != nil })
        {
            throw ValidationError(
                "--gateway \(gateway): over https give the host name the gateway's certificate carries "
                    + "(for example https://localhost:\(url.port ?? 443)), not an IP address")
        }
    }

    func signalingURL(identity: String?) async throws -> String {
        if let token { return GatewayClient.signalingURL(base: gateway, token: token) }
        guard let apiKey, let identity else {
            throw ValidationError("give --token, or --api-key with the identity to sign in as")
        }
        do {
            let token = try await GatewayClient(
                baseURL: gateway, apiKey: apiKey, trustedCertificatesFile: trustedCertificatesFile
            ).token(for: identity)
            return GatewayClient.signalingURL(base: gateway, token: token)
        } catch {
            throw fail("cannot get a token for \(identity): \(error)")
        }
    }
}

struct MediaOptions: ParsableArguments {
    @Option(help: "Play a sine tone of this frequency (Hz).") var tone: Double?
    @Option(help: "Play a 16-bit PCM WAV file (8, 12, 16, 24 or 48 kHz), looped.") var wav: String?
    @Option(help: "Record what is heard to this WAV file (48 kHz mono; numbered when there are several calls).")
    var record: String?
    @Option(help: "A call that loses more than this percentage of the audio it should hear fails.")
    var maxLoss = 5.0
    @Option(help: "A call whose second second of audio is not this tone (Hz, within 2%) fails.")
    var expectTone: Double?
    @Flag(help: "Print each call's figures as a JSON line.") var json = false

    /// Sets what the session plays (the tone `frequency` unless told otherwise), records and
    /// tolerates.
    func apply(to options: inout SessionOptions, defaultTone frequency: Double) throws {
        options.audio = try audio(default: frequency)
        options.recordPath = record
        options.maxLossPercent = maxLoss
        if let expectTone {
            guard expectTone >= 100, expectTone <= 2000 else { throw fail("--expect-tone must be 100-2000 Hz") }
            options.expectedTone = expectTone
        }
    }

    func audio(default frequency: Double?) throws -> EncodedAudio? {
        if let wav {
            do {
                return try EncodedAudio.wav(try WAVFile.read(path: wav))
            } catch {
                throw fail("\(wav): \(error)")
            }
        }
        guard let frequency = tone ?? frequency else { return nil }
        guard frequency > 0, frequency < 24000 else { throw fail("--tone must be between 0 and 24000 Hz") }
        return try EncodedAudio.tone(frequency: frequency)
    }

    func printer() -> @Sendable (CallFigures) -> Void { Self.printer(json: json) }

    static func printer(json: Bool) -> @Sendable (CallFigures) -> Void {
        { figures in
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                if let data = try? encoder.encode(figures) { emitLine(String(decoding: data, as: UTF8.self)) }
            } else {
                emitLine(figures.summary)
            }
        }
    }
}

/// Runs sessions at once on one media engine (one, or agents answering for several ids) and
/// turns their outcome into the exit status: the first fatal error (which stops the others),
/// else the failed calls.
func runSessions(_ sessions: [SessionOptions], media: MediaOptions, address: String) async throws {
    let engine = try ClientMediaEngine(address: address)
    let running = sessions.map { HeadlessSession(options: $0, media: engine, onCall: media.printer()) }
    var figures: [CallFigures] = []
    var fatal: HeadlessError?
    await withTaskGroup(of: Result<[CallFigures], HeadlessError>.self) { group in
        for session in running {
            group.addTask { await session.outcome() }
        }
        for await result in group {
            switch result {
            case .success(let calls):
                figures += calls
            case .failure(let error) where fatal == nil:
                fatal = error
                for session in running { await session.stop() }
            case .failure:
                break
            }
        }
    }
    flushOutput()
    if let fatal { throw fail(fatal.description) }
    let failed = figures.filter { $0.failure != nil }
    if let first = failed.first {
        throw fail(
            "\(failed.count) of \(figures.count) call(s) failed; first: call \(first.callId): \(first.failure ?? "")")
    }
}

extension HeadlessSession {
    /// What `run()` gave: the session's calls, or why it could not make or answer them.
    func outcome() async -> Result<[CallFigures], HeadlessError> {
        do {
            return .success(try await run())
        } catch let error as HeadlessError {
            return .failure(error)
        } catch {
            return .failure(HeadlessError("\(error)"))
        }
    }
}

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Sign in as an agent: go ACTIVE, heartbeat, answer calls (or dial).")
    @OptionGroup var gatewayOptions: GatewayOptions
    @OptionGroup var mediaOptions: MediaOptions
    @Option(
        help: """
            The agent id to sign in as (with --api-key). Repeat it to answer for several agents in one process, \
            each with its own session and --calls.
            """)
    var agentId: [String] = []
    @Option(help: "Seconds a call rings before it is answered.") var answerAfter = 0.0
    @Option(help: "Hang up this many seconds after the call is established (else the other side does).")
    var hangUpAfter: Double?
    @Option(help: "Stop after this many calls (default: run until stopped).") var calls: Int?
    @Option(help: "Seconds in wrap-up before clearing it.") var wrapUp = 0.0
    @Option(help: "Dial this in-app identity or, with --pstn, phone number instead of waiting for calls.")
    var dial: String?
    @Flag(help: "--dial is a phone number, called through a SIP trunk.") var pstn = false
    @Option(help: "Caller id for --pstn.") var from: String?
    @Option(help: "SIP trunk for --pstn (default: the first).") var trunkId: String?

    func validate() throws {
        guard answerAfter >= 0, wrapUp >= 0 else {
            throw ValidationError("--answer-after and --wrap-up cannot be negative")
        }
        guard hangUpAfter.map({ $0 > 0 }) ?? true else { throw ValidationError("--hang-up-after must be positive") }
        guard calls.map({ $0 >= 1 }) ?? true else { throw ValidationError("--calls must be at least 1") }
        if agentId.count > 1 {
            guard gatewayOptions.token == nil else { throw ValidationError("--token signs in one agent: give one") }
            guard mediaOptions.record == nil, dial == nil else {
                throw ValidationError("--record and --dial take one agent: give one --agent-id")
            }
        }
    }

    func run() async throws {
        var sessions: [SessionOptions] = []
        for id in agentId.isEmpty ? [nil] : agentId.map(Optional.some) {
            var options = SessionOptions(
                role: .agent, signalingURL: try await gatewayOptions.signalingURL(identity: id))
            options.trustedCertificatesFile = gatewayOptions.trustedCertificatesFile
            try mediaOptions.apply(to: &options, defaultTone: 440)
            options.answerAfter = answerAfter
            options.hangUpAfter = hangUpAfter
            options.calls = calls ?? (dial != nil ? 1 : nil)
            options.wrapUpSeconds = wrapUp
            if let dial { options.dial = .init(to: dial, pstn: pstn, from: from, trunkId: trunkId) }
            sessions.append(options)
        }
        try await runSessions(sessions, media: mediaOptions, address: gatewayOptions.mediaAddress)
    }
}

struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Sign in as a customer and call the center.")
    @OptionGroup var gatewayOptions: GatewayOptions
    @OptionGroup var mediaOptions: MediaOptions
    @Option(help: "The customer identity to sign in as (with --api-key).") var identity = "headless-customer"
    @Option(help: "The queue to call (default: the gateway's choice).") var queue: String?
    @Option(help: "Seconds of conversation before hanging up.") var duration = 5.0
    @Option(help: "Calls to make, one after the other.") var calls = 1

    func validate() throws {
        guard calls >= 1 else { throw ValidationError("--calls must be at least 1") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        var options = SessionOptions(
            role: .customer, signalingURL: try await gatewayOptions.signalingURL(identity: identity))
        options.trustedCertificatesFile = gatewayOptions.trustedCertificatesFile
        try mediaOptions.apply(to: &options, defaultTone: 660)
        options.hangUpAfter = duration
        options.calls = calls
        options.queueId = queue
        try await runSessions([options], media: mediaOptions, address: gatewayOptions.mediaAddress)
    }
}
