import ContactCenter
import Foundation
import Logging
import Media
import NIOCore
import SDP
import SignalingFrames

/// Runs calls: the thin driver of `CallSession`s. Every decision is the session's; this actor
/// makes legs, reserves agents, sends frames and SIP commands, and feeds each result back as an
/// input carrying the epoch it was asked under. A call's effects run one after another, in the
/// order its session returned them, whatever other calls do meanwhile.
public actor CallCenter {
    /// The phone side of a call, when it has one.
    struct PhoneSide {
        var trunk: SIPTrunk
        /// The far end's number (caller of an inbound call, callee of an outbound one).
        var number: String
        var callerId: String
        /// Whether the phone is the callee (outbound call) rather than the caller.
        var isCallee: Bool
        /// Inbound: the SDP answer sent with the 200 when an agent answers.
        var answerSDP: String?
        var preference: [String]
        /// The agent put the phone on hold (the last re-INVITE said `sendonly`).
        var heldByAgent = false
        /// The id the phone network knows this phone's dialog by, when not the call's id (a
        /// second phone in the call: the number a call was transferred to).
        var dialogId: String?
    }

    /// What the driver holds for a call besides its session: its media graph, legs and offer.
    struct CallMediaState {
        /// The call's media on its event loop: the legs are attached as `caller` and `callee`.
        let graph: MediaGraph
        /// The caller's leg (the customer's, once an outbound call turned round).
        var callerMedia: MediaLeg
        /// The callee's leg, tagged with the session epoch it was made under.
        var callee: (epoch: Int, media: MediaLeg)?
        var offerSDP: String?
        var phone: PhoneSide?
        var customData: JSONValue
        let video: Bool
        /// The conversation's priority: waiting calls are offered URGENT first, then by arrival.
        var priority: ConversationPriority = .NORMAL
        /// What the call's waiting strategy plays, once found.
        var waitingSounds: AudioLibrary.WaitingSounds?
        /// When the customer first called, when earlier than the call (a callback's call).
        var arrivedAt: Date?
        /// The transferring agent's leg, set aside (graph name `transferor`) while a transfer's
        /// target rings.
        var transferor: MediaLeg?
        /// The phone number a call was transferred to, as the callee.
        var transferPhone: PhoneSide?
        /// The consulted agent's leg in an attended transfer, tagged with its consultation.
        var consultee: (epoch: Int, leg: MediaLeg)?
        /// The phone number consulted in an attended transfer (its own dialog id).
        var consultPhone: PhoneSide?
        /// Supervisors' monitor legs (graph name `monitor:<identity>`).
        var monitorLegs: [String: WebRTCLeg] = [:]

        /// The phone on the callee side, if any.
        var calleePhone: PhoneSide? { transferPhone ?? (phone?.isCallee == true ? phone : nil) }
        /// The phone on the caller side, if any.
        var callerPhone: PhoneSide? { phone?.isCallee == false ? phone : nil }
    }

    let contactCenter: ContactCenter
    let media: MediaEngine
    let signaling: any CallSignaling
    let clock: any WallClock
    let logger: Logger
    /// Uploaded audio and the default music, encoded once for every call.
    let audioLibrary: AudioLibrary
    /// Calls carried at once; more are refused.
    let maxCalls: Int
    /// Opus complexity of calls transcoded to G.711.
    let opusComplexity: Int
    /// Opus complexity of the encoders of a call's conference (one per WebRTC party).
    let conferenceOpusComplexity: Int
    /// How long an answered call waits for a party whose signaling dropped (media keeps flowing).
    let signalingGraceSeconds: Int
    /// Offers an agent may let ring out in a row before being set AWAY (0: never).
    let maxMissedOffers: Int
    /// Offers each agent let ring out since their last answer.
    var missedOffers: [String: Int] = [:]
    /// Attempts to reach a callback's customer before it is given up, and the pause between them.
    let callbackAttempts: Int
    let callbackRetrySeconds: Int
    /// Callback requests not served yet, by id, and the request each callback call serves.
    var callbacks: [String: CallbackRequest] = [:]
    var callbackCalls: [String: String] = [:]
    /// Calls whose transfer request is being checked.
    var transferring: Set<String> = []
    /// Calls being transferred at their phone's request (REFER), with the phone's dialog id.
    var referring: [String: String] = [:]
    var phoneNetwork: (any PhoneNetwork)?
    /// `call.hangup` frames a party could not be given because it was not connected, handed over
    /// when it connects again (at most 10 per party, for 10 minutes).
    var undelivered: [String: [(at: Date, frame: CallFrame)]] = [:]
    var sessions: [String: CallSession] = [:]
    var mediaStates: [String: CallMediaState] = [:]
    /// Effects not run yet, per call, and the calls whose effects are being run.
    private var pending: [String: [CallEffect]] = [:]
    private var draining: Set<String> = []
    /// Calls admitted but not yet running (awaiting their legs and records), counted against
    /// `maxCalls` and trunk channel limits so that admissions side by side cannot overshoot.
    var admitting = 0
    var admittingByTrunk: [String: Int] = [:]
    var lastCallEnded: [String: Date] = [:]
    /// The agent each ROUND_ROBIN queue offered a call to last.
    var lastOffered: [String: String] = [:]
    var dispatching = false
    /// An agent held for a call was given back: waiting calls ask again once the call's own
    /// effects have run.
    var dispatchAfterDrain = false
    /// When `tick` last let every waiting call ask again.
    var lastSweep = Date.distantPast
    /// Each queue's last hour, per minute, for wallboards (fed by `saveRecord` and `tick`).
    var statistics = QueueStatistics()
    static let sweepInterval: TimeInterval = 2
    var dispatchAgain = false
    /// Auto-assigning queues in which a routing found no member free during the dispatch round
    /// under way: the calls waiting behind in them are not asked (see `dispatch`).
    var queuesWithoutFreeMember: Set<String> = []
    /// The gateway is stopping: no new calls (`stopTakingCalls`).
    var stopping = false
    /// Where recordings go and how long they are kept (nil: calls are never recorded).
    let recordingOptions: RecordingOptions?
    /// Writes recordings off the media loops; its reports come back through `recordingReports`.
    let recordingWriter: RecordingWriter?
    let recordingReports: AsyncStream<RecordingWriterEvent>
    var recordingPumpStarted = false
    /// Recordings of calls in progress, by call id.
    var activeRecordings: [String: ActiveRecording] = [:]
    /// Files not written out yet, by file (recording) id, with the agent recorded.
    var pendingRecordingFiles: [String: String?] = [:]
    /// Files whose taps run but which are not stored yet; the writer's reports on them wait in
    /// `parkedRecordingReports`.
    var unstoredRecordingFiles: Set<String> = []
    var parkedRecordingReports: [RecordingWriterEvent] = []
    /// Video files to make as soon as their track is complete (`videoDownloadPreparation`).
    var preparedVideos: Set<String> = []
    /// Composed files waiting for their tracks, by file id.
    var pendingCompositions: [String: PendingComposition] = [:]
    /// Files of recordings stopped, as they were then, until the writer reports them.
    var stoppedRecordingFiles: [String: RecordingFile] = [:]
    var lastRetentionSweep = Date.distantPast
    /// Leg and DTMF events, in the order the event loops reported them.
    let legReports: AsyncStream<LegReport>.Continuation
    private let legReportStream: AsyncStream<LegReport>
    private var pumping = false

    public init(
        contactCenter: ContactCenter, media: MediaEngine, signaling: any CallSignaling, clock: any WallClock,
        maxCalls: Int = 1000, opusComplexity: Int = 0, conferenceOpusComplexity: Int = 0,
        signalingGraceSeconds: Int = 20, maxMissedOffers: Int = 3,
        callbackAttempts: Int = 3, callbackRetrySeconds: Int = 120, audioDirectory: URL? = nil,
        recordings: RecordingOptions? = nil, logger: Logger = Logger(label: "calls")
    ) {
        self.recordingOptions = recordings
        let (reports, reporter) = AsyncStream.makeStream(of: RecordingWriterEvent.self)
        recordingReports = reports
        recordingWriter = recordings.map { _ in RecordingWriter { reporter.yield($0) } }
        self.callbackAttempts = callbackAttempts
        self.callbackRetrySeconds = callbackRetrySeconds
        self.audioLibrary = AudioLibrary(directory: audioDirectory, logger: logger)
        self.maxMissedOffers = maxMissedOffers
        self.signalingGraceSeconds = signalingGraceSeconds
        self.contactCenter = contactCenter
        self.media = media
        self.signaling = signaling
        self.clock = clock
        self.maxCalls = maxCalls
        self.opusComplexity = opusComplexity
        self.conferenceOpusComplexity = conferenceOpusComplexity
        self.logger = logger
        (legReportStream, legReports) = AsyncStream.makeStream(of: LegReport.self)
    }

    /// Connects the phone network (SIP trunks).
    public func attach(phoneNetwork: any PhoneNetwork) { self.phoneNetwork = phoneNetwork }

    public var activeCallCount: Int { sessions.count }

    /// Feeds `input` to the call's session and runs the effects it returns, after any effects of
    /// the call still running. Returns false when the call is gone or the input changed nothing.
    @discardableResult
    func input(_ callId: String, _ input: CallInput) async -> Bool {
        guard var session = sessions[callId] else { return false }
        let effects = session.handle(input, now: clock.now())
        sessions[callId] = session.phase == .ended ? nil : session
        guard !effects.isEmpty else { return false }
        pending[callId, default: []].append(contentsOf: effects)
        guard draining.insert(callId).inserted else { return true }
        while let effect = pending[callId]?.first {
            pending[callId]?.removeFirst()
            await execute(effect, callId: callId)
        }
        pending[callId] = nil
        draining.remove(callId)
        if dispatchAfterDrain {
            dispatchAfterDrain = false
            await dispatch()
        }
        return true
    }

    /// Starts a call whose caller's leg is ready: the session begins routing or ringing.
    func begin(_ session: CallSession, _ state: CallMediaState, channel: SIPTrunk?) async {
        sessions[session.id] = session
        mediaStates[session.id] = state
        admissionEnded(channel: channel)
        startPump()
        watch(state.callerMedia, callId: session.id, side: .caller, epoch: 0)
        state.graph.attach(
            CallSide.caller.legName, state.callerMedia,
            onDTMF: dtmfReporter(callId: session.id, side: .caller, epoch: 0))
        await input(session.id, .start)
    }

    // MARK: - Leg events

    /// A leg or bridge event, reported from the event loop.
    struct LegReport: Sendable {
        enum Event: Sendable {
            case leg(LegEvent)
            case dtmf(Character)
            /// The waiting strategy's announcement started or ended playing to the caller.
            case announcement(Bool)
            /// A supervisor's monitor leg.
            case monitor(String, LegEvent)
            /// The consulted agent's leg in an attended transfer.
            case consultee(LegEvent)
        }
        let callId: String
        let side: CallSide
        let epoch: Int
        let event: Event
    }

    private func startPump() {
        guard !pumping else { return }
        pumping = true
        let stream = legReportStream
        Task { [weak self] in
            for await report in stream { await self?.legReport(report) }
        }
    }

    /// Reports the leg's events to this actor; the handler is installed on the leg's loop,
    /// where the leg reads it.
    /// A media graph for a call on `eventLoop`, with the gateway's Opus settings.
    func makeGraph(on eventLoop: any EventLoop) -> MediaGraph {
        media.makeGraph(
            on: eventLoop, opusComplexity: opusComplexity, conferenceOpusComplexity: conferenceOpusComplexity)
    }

    func watch(_ media: MediaLeg, callId: String, side: CallSide, epoch: Int) {
        let reports = legReports
        media.watch { event in
            reports.yield(LegReport(callId: callId, side: side, epoch: epoch, event: .leg(event)))
        }
    }

    /// Reports the announcements of what plays to the caller, from the event loop.
    func announcementReporter(callId: String) -> @Sendable (Bool) -> Void {
        let reports = legReports
        return { playing in
            reports.yield(LegReport(callId: callId, side: .caller, epoch: 0, event: .announcement(playing)))
        }
    }

    /// Reports the digits a leg's party sends (RFC 4733), from the event loop.
    func dtmfReporter(callId: String, side: CallSide, epoch: Int) -> @Sendable (Character) -> Void {
        let reports = legReports
        return { digit in reports.yield(LegReport(callId: callId, side: side, epoch: epoch, event: .dtmf(digit))) }
    }

    private func legReport(_ report: LegReport) async {
        switch report.event {
        case .leg(.established):
            await input(report.callId, .legUp(report.side, epoch: report.epoch))
        case .leg(.closedByPeer):
            await input(report.callId, .legClosedByPeer(report.side, epoch: report.epoch))
        case .leg(.failed(let reason)):
            logger.warning("leg failed", metadata: ["callId": "\(report.callId)", "reason": "\(reason)"])
            await input(report.callId, .legFailed(report.side, reason: reason, epoch: report.epoch))
        case .dtmf(let digit):
            logger.debug("digit", metadata: ["callId": "\(report.callId)", "digit": "\(digit)"])
            await input(report.callId, .dtmf(from: report.side, digit: digit))
        case .announcement(let playing):
            logger.debug("announcement", metadata: ["callId": "\(report.callId)", "playing": "\(playing)"])
            await input(report.callId, .announcement(playing: playing))
        case .monitor(let supervisor, .failed(let reason)):
            await input(report.callId, .monitorLegEnded(supervisor, reason: reason))
        case .monitor(let supervisor, .closedByPeer):
            await input(report.callId, .monitorLegEnded(supervisor, reason: "The supervisor's media closed."))
        case .monitor:
            break
        case .consultee(.failed(let reason)):
            await input(report.callId, .consulteeLegFailed(reason: reason, epoch: report.epoch))
        case .consultee(.closedByPeer):
            await input(
                report.callId, .consulteeLegFailed(reason: "The consulted agent's media closed.", epoch: report.epoch))
        case .consultee:
            break
        }
    }

    // MARK: - Admission

    /// Counts a call being admitted against `maxCalls` at once, before any await, so that
    /// admissions side by side cannot overshoot; `begin` or `admissionEnded` ends the count.
    func admitCall() throws {
        guard !stopping else { throw CallRefusal(.gatewayRefusing) }
        guard sessions.count + admitting < maxCalls else {
            throw CallRefusal(.serviceUnavailable, "the gateway carries its maximum of \(maxCalls) calls")
        }
        admitting += 1
    }

    /// Counts a call being admitted against its trunk's channel limit, as `admitCall` does.
    func admitChannel(on trunk: SIPTrunk) throws {
        if let limit = trunk.channelLimit {
            let used = activeCalls(onTrunk: trunk.id) + admittingByTrunk[trunk.id, default: 0]
            guard used < limit else {
                throw CallRefusal(.serviceUnavailable, "SIP trunk \(trunk.name) carries its limit of \(limit) calls")
            }
        }
        admittingByTrunk[trunk.id, default: 0] += 1
    }

    /// An admission is over: the call runs (counted as a session now) or was refused.
    func admissionEnded(channel: SIPTrunk?) {
        admitting -= 1
        if let channel { admittingByTrunk[channel.id, default: 1] -= 1 }
    }

    /// Calls in progress through a trunk.
    public func activeCalls(onTrunk trunkId: String) -> Int {
        mediaStates.values.reduce(0) { count, state in
            count + (state.phone?.trunk.id == trunkId ? 1 : 0) + (state.transferPhone?.trunk.id == trunkId ? 1 : 0)
                + (state.consultPhone?.trunk.id == trunkId ? 1 : 0)
        }
    }
}
