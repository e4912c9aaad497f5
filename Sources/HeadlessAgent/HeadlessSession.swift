import ClientMedia
import Foundation
import Logging
import Media
import SignalingFrames
import WAV

/// A fatal problem of a headless session (sign-in refused, signaling lost): one line for people.
public struct HeadlessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What one headless identity does.
public struct SessionOptions: Sendable {
    public enum Role: String, Sendable {
        case agent, customer
    }

    /// An agent's outbound call.
    public struct Dial: Sendable {
        public var to: String
        /// A phone number through a SIP trunk (`PSTN`) rather than an in-app identity (`WebRTC`).
        public var pstn: Bool
        public var from: String?
        public var trunkId: String?
        public init(to: String, pstn: Bool, from: String? = nil, trunkId: String? = nil) {
            self.to = to
            self.pstn = pstn
            self.from = from
            self.trunkId = trunkId
        }
    }

    public var role: Role
    public var signalingURL: String
    /// PEM certificates a WSS gateway's certificate must chain to; nil: the system's.
    public var trustedCertificatesFile: String?
    /// What this side plays (nothing when nil).
    public var audio: EncodedAudio?
    /// Where to write what it hears (WAV); with several calls the call's number goes before
    /// the extension.
    public var recordPath: String?
    /// Agents: how long an incoming call rings before it is answered.
    public var answerAfter: Double = 0
    /// Seconds after `call.established` at which this side hangs up; nil waits for the other.
    public var hangUpAfter: Double?
    /// Calls to make or answer before the session ends; nil runs until stopped.
    public var calls: Int?
    /// Agents: seconds in wrap-up before clearing it (so the next call can come).
    public var wrapUpSeconds: Double = 0
    /// Customers: the queue to call (`customData.queueId`); nil lets the gateway choose.
    public var queueId: String?
    /// Agents: place outbound calls instead of waiting for incoming ones.
    public var dial: Dial?
    /// A call that loses more of the audio it should hear than this counts as failed.
    public var maxLossPercent: Double = 5
    /// The tone (Hz) this side should hear: each call measures the strongest frequency in its
    /// second second of audio, and one that is off by more than 2% (at least 10 Hz) fails.
    public var expectedTone: Double?
    /// Every packet sent carries a delay probe (the load generator's calls, both ends its own).
    public var delayProbe: DelayProbe?
    /// Called when the first audio of one of this session's calls arrives.
    public var onAudioStarted: (@Sendable () -> Void)?
    /// Agents: once a call is established and its audio flows, transfer its caller (blind) to the
    /// phone number this gives for the caller's `counterpart` (signaling `call.transfer` with
    /// `externalNumber`); the call then ends for the agent with TRANSFERRED, which counts as done.
    public var transferTo: (@Sendable (String) -> String)?
    /// A customer (or a dialling agent) signed in waits for this before it places its first call:
    /// a load generator signs every customer in first.
    public var callWhen: (@Sendable () async -> Void)?

    public init(role: Role, signalingURL: String) {
        self.role = role
        self.signalingURL = signalingURL
    }
}

/// One identity on the gateway, as a headless softphone: signs in over the signaling
/// WebSocket, heartbeats (agents), answers or places calls with a `ClientLeg`, and reports
/// each call's figures.
public actor HeadlessSession {
    struct ActiveCall {
        var leg: ClientLeg?
        var recorder: AudioRecorder?
        var startedAt: Double
        var figures: CallFigures
        var mediaFailure: String?
        /// Who calls (an incoming call's `counterpart`).
        var counterpart = ""
        var established = false
        var hearsAudio = false
        var transferRequested = false
    }

    public let options: SessionOptions
    private let media: ClientMediaEngine
    private let onCall: @Sendable (CallFigures) -> Void
    private var connection: SignalingConnection?
    private var identity = "?"
    private var calls: [String: ActiveCall] = [:]
    /// The outgoing call between `call.start` and `call.created`.
    private var outgoing: ActiveCall?
    private var finished: [CallFigures] = []
    /// Hang-ups that came before the `call.created` of an outgoing call (the gateway refused it
    /// at once, e.g. NO_AVAILABLE_AGENT).
    private var earlyHangups: [String: CallFrame.ErrorCode?] = [:]
    private var ready = false
    private var stopped = false

    /// What `run` throws after `stop()`.
    public static let cancelled = "stopped before its calls ended"
    private var readyWaiters: [CheckedContinuation<Void, Never>] = []

    public init(options: SessionOptions, media: ClientMediaEngine, onCall: @escaping @Sendable (CallFigures) -> Void) {
        self.options = options
        self.media = media
        self.onCall = onCall
    }

    /// Returns once the session is signed in (agents: once their availability is ACTIVE), or
    /// once it ended.
    public func waitUntilReady() async {
        if ready { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    /// Runs until `options.calls` calls ended; returns their figures. Throws when signing in
    /// fails or signaling is lost.
    public func run() async throws -> [CallFigures] {
        var logger = Logger(label: "headless-agent")
        logger.logLevel = .warning
        let connection = SignalingConnection(
            url: options.signalingURL, trustedCertificatesFile: options.trustedCertificatesFile, logger: logger)
        self.connection = connection
        defer {
            connection.close()
            markReady()
        }
        var frames = connection.frames.makeAsyncIterator()
        let first = await frames.next()
        guard case .welcome(let welcome) = first else {
            // The connection is still open when something else came first: its close reason
            // would never come.
            guard let first else {
                throw HeadlessError(await connection.closeReason() ?? "the gateway sent no welcome")
            }
            throw HeadlessError("the gateway's first frame was not its welcome but \(first.type)")
        }
        identity = welcome.identity
        var heartbeat: Task<Void, Never>?
        defer { heartbeat?.cancel() }
        if options.role == .agent {
            guard welcome.kind == "agent" || welcome.kind == "supervisor" else {
                throw HeadlessError("\(identity) signed in as a \(welcome.kind), not as an agent")
            }
            connection.send(["type": "agent.setStatus", "status": "ACTIVE", "id": "status"])
            let interval = max(1, welcome.heartbeatIntervalSeconds)
            heartbeat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    connection.send(["type": "heartbeat"])
                }
            }
        } else {
            markReady()
        }
        if options.role == .customer || options.dial != nil {
            if let callWhen = options.callWhen { await callWhen() }
            await placeCall()
        }
        while !done, let frame = await frames.next() {
            try await handle(frame)
        }
        for (id, call) in calls { _ = await call.leg?.close(); calls[id] = nil }
        if let leg = outgoing?.leg { _ = await leg.close() }
        guard done else {
            if stopped { throw HeadlessError(Self.cancelled) }
            throw HeadlessError(
                "signaling closed during the session: \(await connection.closeReason() ?? "no reason given")")
        }
        return finished
    }

    /// Signs out: `run` ends (throwing `cancelled` unless its calls were done).
    public func stop() {
        stopped = true
        connection?.close()
    }

    private var done: Bool { options.calls.map { finished.count >= $0 } ?? false }

    private func markReady() {
        ready = true
        for waiter in readyWaiters { waiter.resume() }
        readyWaiters.removeAll()
    }

    private func handle(_ frame: ServerFrame) async throws {
        switch frame {
        case .agentState(let state) where state.agentId == identity:
            // Wrap-up left over from an earlier session keeps the agent BUSY: end it. (This
            // session's own wrap-ups end after `wrapUpSeconds`, on `wrapup.started`.)
            if state.wrapUpSecondsLeft != nil, calls.isEmpty, finished.isEmpty {
                send(["type": "wrapup.clear"])
            }
            if state.availability == "ACTIVE" { markReady() }
        case .error(let code, let message, let id):
            try await refused(id: id, reason: "\(code): \(message)")
        case .conversationOutbound(_, let conversationId, _, _):
            guard let dial = options.dial, let leg = outgoing?.leg else { return }
            var customData: [String: any Sendable] = [
                "isOutbound": true, "outboundTo": dial.to, "outboundAgentId": identity,
                "conversationId": conversationId, "calleeClientType": dial.pstn ? "PSTN" : "WebRTC",
            ]
            if let from = dial.from { customData["outboundFrom"] = from }
            if let trunkId = dial.trunkId { customData["trunkId"] = trunkId }
            connection?.send(["type": "call.start", "id": "call-start", "sdp": leg.offer(), "customData": customData])
        case .call(.created(let callId, _, let sdp, _)):
            guard var call = outgoing, let leg = call.leg else { return }
            outgoing = nil
            call.figures.callId = callId
            calls[callId] = call
            if let code = earlyHangups.removeValue(forKey: callId) { return await finish(callId, code: code) }
            do {
                try await leg.accept(answer: sdp) { event in Task { await self.legEvent(callId, event) } }
            } catch {
                mediaFailed(callId, "the gateway's answer is unusable: \(error)")
            }
        case .call(.incoming(let callId, _, let sdp, let counterpart, _, _, _)):
            guard options.role == .agent else { return }
            calls[callId] = ActiveCall(
                startedAt: Self.now, figures: CallFigures(identity: identity, role: "agent", callId: callId),
                counterpart: counterpart)
            Task { await answer(callId, offer: sdp) }
        case .call(.established(let callId)):
            guard var call = calls[callId] else { return }
            call.figures.setupSeconds = Self.now - call.startedAt
            call.figures.establishedAt = Self.now
            call.established = true
            calls[callId] = call
            transferIfDue(callId)
            if let after = options.hangUpAfter {
                Task {
                    try? await Task.sleep(for: .seconds(after))
                    self.hangUp(callId)
                }
            }
        case .call(.hangup(let callId, let errorCode)):
            if calls[callId] == nil, outgoing != nil {
                earlyHangups[callId] = errorCode
                return
            }
            await finish(callId, code: errorCode)
        case .call(.transfer(let callId, .TRANSFER_FAILED, let errorCode)):
            mediaFailed(callId, "the transfer failed: \(errorCode?.name ?? "no reason given")")
        case .wrapUpStarted:
            let seconds = options.wrapUpSeconds
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.send(["type": "wrapup.clear"])
            }
        default:
            break
        }
    }

    private func send(_ frame: [String: any Sendable]) { connection?.send(frame) }

    private func hangUp(_ callId: String) { connection?.send(["type": "call.hangup", "callId": callId]) }

    /// The gateway refused a request: signing in as ACTIVE is fatal, a refused call is a failed call.
    private func refused(id: String?, reason: String) async throws {
        switch id {
        case "status":
            throw HeadlessError("the gateway refused status ACTIVE: \(reason)")
        case "call-start", "outbound":
            guard var call = outgoing else { return }
            outgoing = nil
            _ = await call.leg?.close()
            call.figures.failure = "call refused: \(reason)"
            record(call.figures)
        case let id? where id.hasPrefix("accept-"):
            let callId = String(id.dropFirst("accept-".count))
            mediaFailed(callId, "accept refused: \(reason)")
        case let id? where id.hasPrefix("transfer-"):
            let callId = String(id.dropFirst("transfer-".count))
            mediaFailed(callId, "transfer refused: \(reason)")
        default:
            break
        }
    }

    private func placeCall() async {
        let recorder = makeRecorder()
        var call = ActiveCall(
            recorder: recorder, startedAt: Self.now,
            figures: CallFigures(identity: identity, role: options.role.rawValue, callId: "-"))
        do {
            let leg = try await media.makeLeg(
                audio: options.audio, recorder: recorder, delayProbe: options.delayProbe)
            call.leg = leg
            outgoing = call
            if let dial = options.dial {
                connection?.send(["type": "conversation.outbound", "to": dial.to, "id": "outbound"])
            } else {
                var customData: [String: any Sendable] = [:]
                if let queueId = options.queueId { customData["queueId"] = queueId }
                connection?.send([
                    "type": "call.start", "id": "call-start", "sdp": leg.offer(), "customData": customData,
                ])
            }
        } catch {
            call.figures.failure = "no media socket: \(error)"
            record(call.figures)
        }
    }

    private func answer(_ callId: String, offer: String) async {
        if options.answerAfter > 0 { try? await Task.sleep(for: .seconds(options.answerAfter)) }
        guard calls[callId] != nil else { return }  // cancelled while ringing
        let recorder = makeRecorder()
        do {
            let leg = try await media.makeLeg(
                audio: options.audio, recorder: recorder, delayProbe: options.delayProbe)
            // The caller may have given up while the leg was made or the answer built.
            guard calls[callId] != nil else { return _ = await leg.close() }
            calls[callId]?.leg = leg
            calls[callId]?.recorder = recorder
            let answer = try await leg.answer(offer: offer) { event in Task { await self.legEvent(callId, event) } }
            guard calls[callId] != nil else { return _ = await leg.close() }
            connection?.send(["type": "call.accept", "callId": callId, "sdp": answer, "id": "accept-\(callId)"])
            leg.start()
        } catch {
            mediaFailed(callId, "cannot answer: \(error)")
        }
    }

    private func legEvent(_ callId: String, _ event: ClientLegEvent) {
        if case .failed(let reason) = event { mediaFailed(callId, reason) }
        if event == .audioStarted {
            options.onAudioStarted?()
            calls[callId]?.hearsAudio = true
            transferIfDue(callId)
        }
    }

    /// With `transferTo`, sends the call's transfer once it is established and its audio flows.
    private func transferIfDue(_ callId: String) {
        guard let transferTo = options.transferTo, let call = calls[callId], call.established, call.hearsAudio,
            !call.transferRequested
        else { return }
        calls[callId]?.transferRequested = true
        send([
            "type": "call.transfer", "callId": callId, "externalNumber": transferTo(call.counterpart),
            "id": "transfer-\(callId)",
        ])
    }

    /// The call cannot carry media: hang it up; the gateway's hang-up then finishes it.
    private func mediaFailed(_ callId: String, _ reason: String) {
        guard var call = calls[callId] else { return }
        call.mediaFailure = call.mediaFailure ?? reason
        calls[callId] = call
        hangUp(callId)
    }

    private func finish(_ callId: String, code: CallFrame.ErrorCode?) async {
        guard var call = calls.removeValue(forKey: callId) else { return }
        if let leg = call.leg { call.figures.add(await leg.close(), startedAt: call.startedAt) }
        call.figures.hangup = code?.name
        call.figures.endedAt = Self.now
        let wav =
            if let recorder = call.recorder { await recordedAudio(recorder, leg: call.leg) } else { WAVFile?.none }
        if options.expectedTone != nil, let wav {
            // The second second heard: past the first packets, within what a short recording keeps.
            let window = wav.samples.dropFirst(AudioRecorder.sampleRate).prefix(AudioRecorder.sampleRate)
            call.figures.heardFrequency = ToneMeter.dominantFrequency(window, rate: AudioRecorder.sampleRate)
        }
        call.figures.failure = failure(of: call, code: code)
        if let wav, let path = options.recordPath {
            let file = Self.numbered(path, finished.count + 1, of: options.calls ?? 2)
            do {
                try wav.write(path: file)
            } catch {
                call.figures.failure = call.figures.failure ?? "cannot write the recording to \(file): \(error)"
            }
        }
        record(call.figures)
    }

    private func failure(of call: ActiveCall, code: CallFrame.ErrorCode?) -> String? {
        // A call this agent transferred ends for it with TRANSFERRED, as it should.
        let transferred = call.transferRequested && code?.name == "TRANSFERRED"
        return call.figures.verdict(
            code: transferred ? nil : code, mediaFailure: call.mediaFailure, maxLossPercent: options.maxLossPercent,
            expectedTone: options.expectedTone)
    }

    /// What a call hears is decoded when it is written to a file, or to check its tone (then
    /// only the first seconds are kept).
    private func makeRecorder() -> AudioRecorder? {
        if options.recordPath != nil { return try? AudioRecorder() }
        if options.expectedTone != nil { return try? AudioRecorder(maximumSeconds: 2) }
        return nil
    }

    private func record(_ figures: CallFigures) {
        finished.append(figures)
        onCall(figures)
        if options.dial != nil || options.role == .customer, !done { Task { await placeCall() } }
    }

    private func recordedAudio(_ recorder: AudioRecorder, leg: ClientLeg?) async -> WAVFile {
        guard let leg else { return recorder.wav }
        return (try? await leg.eventLoop.submit { recorder.wav }.get()) ?? recorder.wav
    }

    /// `path` as is for a single call, else with the call's number before the extension.
    static func numbered(_ path: String, _ number: Int, of total: Int) -> String {
        guard total > 1 else { return path }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? "\(base)-\(number)" : "\(base)-\(number).\(ext)"
    }

    static var now: Double { Date().timeIntervalSince1970 }
}
