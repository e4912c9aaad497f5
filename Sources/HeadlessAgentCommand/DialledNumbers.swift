import ClientMedia
import Foundation
import HeadlessAgent
import Media
import SIP
import Synchronization

/// The phone numbers agents transfer callers to, for `load --callers phone --transfer-to-numbers`:
/// the trunk answers each call the gateway makes to one with a `PumpLeg` of its own (plain RTP
/// in the trunk's codec, the customers' tone, delay probes when asked), so the gateway relays
/// RTP between two trunk legs. A number's figures are taken when the gateway ends its call.
final class DialledNumbers: Sendable {
    private struct Answered: Sendable {
        var leg: PumpLeg
        var figures: CallFigures
    }

    private let media: ClientMediaEngine
    private let codec: PumpLeg.Codec
    private let audio: EncodedAudio
    private let probe: DelayProbe?
    private let maxLoss: Double
    private let onAudioStarted: @Sendable () -> Void
    private let onCall: @Sendable (CallFigures) -> Void
    private let state = Mutex<
        (answered: [SIPCallID: Answered], endedEarly: Set<SIPCallID>, ending: Int, finished: [CallFigures])
    >(([:], [], 0, []))

    init(
        media: ClientMediaEngine, codec: PumpLeg.Codec, audio: EncodedAudio, probe: DelayProbe?, maxLoss: Double,
        onAudioStarted: @escaping @Sendable () -> Void, onCall: @escaping @Sendable (CallFigures) -> Void
    ) {
        self.media = media
        self.codec = codec
        self.audio = audio
        self.probe = probe
        self.maxLoss = maxLoss
        self.onAudioStarted = onAudioStarted
        self.onCall = onCall
    }

    /// The number a caller is transferred to: +1555040 and the caller's last four digits.
    static func number(for caller: String) -> String { "+1555040" + caller.filter(\.isNumber).suffix(4) }

    /// Answers the gateway's call to `number` (its SDP offer `offer`); nil when the offer has no
    /// usable audio, no socket can be bound (the trunk then answers 486), or the gateway gave the
    /// call up meanwhile.
    func answer(_ call: SIPCallID, number: String, offer: String) async -> String? {
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        var figures = CallFigures(identity: number, role: "number", callId: "number-\(number)")
        guard let remote = PumpLeg.audioEndpoint(of: offer)?.address else {
            figures.failure = "the gateway's offer has no usable audio: \(offer)"
            finish(figures)
            return nil
        }
        let started = clock()
        do {
            let leg = try await PumpLeg.make(
                address: media.address, srtp: false, codec: codec, audio: audio, ticker: media.nextTicker(),
                probe: probe, clock: clock, onAudioStarted: onAudioStarted)
            try await leg.start(remote: remote, remoteKey: nil)
            figures.setupSeconds = clock() - started
            figures.establishedAt = clock()
            let cancelled = state.withLock { state in
                // The gateway may have given up (CANCEL) while the leg was made.
                guard state.endedEarly.remove(call) == nil else { return true }
                state.answered[call] = Answered(leg: leg, figures: figures)
                return false
            }
            if cancelled {
                await leg.close()
                return nil
            }
            return PhoneCallers.sdp(of: leg, address: media.address)
        } catch {
            figures.failure = "cannot answer: \(error)"
            finish(figures)
            return nil
        }
    }

    /// The gateway ended the call to a number (`reason`: its BYE or CANCEL).
    func ended(_ call: SIPCallID, reason: String) {
        guard let answered = take(call) else { return }
        Task { await close(answered, hangup: reason.isEmpty ? "NORMAL_HANGUP" : reason, failure: nil) }
    }

    /// Waits up to `seconds` for the gateway to end every number's call, closes any it did not
    /// end (a failure), and returns every number's figures.
    func finish(within seconds: Double) async -> [CallFigures] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, state.withLock({ !$0.answered.isEmpty || $0.ending > 0 }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = state.withLock { state in
            defer { state.answered = [:] }
            return Array(state.answered.values)
        }
        for answered in left {
            await close(answered, hangup: nil, failure: "the gateway did not end the call within \(seconds) s")
        }
        return state.withLock { $0.finished }
    }

    private func take(_ call: SIPCallID) -> Answered? {
        state.withLock { state in
            guard let answered = state.answered.removeValue(forKey: call) else {
                state.endedEarly.insert(call)
                return nil
            }
            state.ending += 1
            return answered
        }
    }

    private func close(_ answered: Answered, hangup: String?, failure: String?) async {
        var figures = answered.figures
        if let heard = try? await answered.leg.snapshot() {
            figures.add(heard)
        }
        await answered.leg.close()
        figures.endedAt = Date().timeIntervalSince1970
        figures.hangup = hangup
        figures.failure = failure ?? figures.verdict(code: nil, mediaFailure: nil, maxLossPercent: maxLoss)
        if hangup != nil { state.withLock { $0.ending -= 1 } }
        finish(figures)
    }

    private func finish(_ figures: CallFigures) {
        state.withLock { $0.finished.append(figures) }
        onCall(figures)
    }
}
