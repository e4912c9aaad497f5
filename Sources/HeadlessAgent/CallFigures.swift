import ClientMedia
import Foundation
import SignalingFrames

/// What one call measured, printed per call and summed up by the load generator.
public struct CallFigures: Codable, Sendable, Equatable {
    public var identity: String
    /// `agent` or `customer`.
    public var role: String
    public var callId: String
    /// From the call request (caller) or the incoming call (callee) to `call.established`.
    public var setupSeconds: Double?
    /// From the call request or incoming call to the first audio packet heard.
    public var firstAudioSeconds: Double?
    public var packetsSent: Int
    public var packetsReceived: Int
    public var packetsExpected: Int
    public var packetsLost: Int
    public var lossPercent: Double
    public var jitterMilliseconds: Double
    /// One-way delays of the delay probes heard (load runs with `--probe-delay`).
    public var delay: DelayHistogram?
    /// When the call was established and when it ended (seconds since 1970).
    public var establishedAt: Double?
    public var endedAt: Double?
    /// The hang-up code's name as the gateway gave it.
    public var hangup: String?
    /// The strongest frequency heard in the call's second second (Hz), when a tone was expected;
    /// nil when the audio was silent or too short.
    public var heardFrequency: Double?
    /// Why the call counts as failed (refused, not established, media lost); nil when it did not.
    public var failure: String?

    public init(identity: String, role: String, callId: String) {
        self.identity = identity
        self.role = role
        self.callId = callId
        packetsSent = 0
        packetsReceived = 0
        packetsExpected = 0
        packetsLost = 0
        lossPercent = 0
        jitterMilliseconds = 0
    }

    /// Takes the media figures of the leg.
    public mutating func add(_ counters: ClientLegCounters, startedAt: Double) {
        take(
            sent: counters.packetsSent, received: counters.packetsReceived, expected: counters.expected,
            lost: counters.lost, jitter: counters.jitterMilliseconds, delay: counters.delay)
        firstAudioSeconds = counters.firstPacketAt.map { $0 - startedAt }
    }

    /// Takes the media figures of a plain RTP leg of the load generator (a phone).
    public mutating func add(_ heard: PumpFigures) {
        take(
            sent: heard.packetsSent, received: heard.packetsReceived, expected: heard.expected, lost: heard.lost,
            jitter: heard.jitterMilliseconds, delay: heard.delay)
    }

    private mutating func take(
        sent: Int, received: Int, expected: Int, lost: Int, jitter: Double, delay: DelayHistogram
    ) {
        packetsSent = sent
        packetsReceived = received
        packetsExpected = expected
        packetsLost = lost
        lossPercent = expected > 0 ? Double(lost) * 100 / Double(expected) : 0
        jitterMilliseconds = jitter
        self.delay = delay.sampleCount > 0 ? delay : nil
    }

    /// Why the call counts as failed, or nil: the leg failed (`mediaFailure`), the gateway ended
    /// it with anything but NORMAL_HANGUP, it was never established, no audio came, more
    /// than `maxLossPercent` of the audio was lost, or the `expectedTone` was not what was heard
    /// (off by more than 2%, at least 10 Hz).
    public func verdict(
        code: CallFrame.ErrorCode?, mediaFailure: String?, maxLossPercent: Double, expectedTone: Double? = nil
    ) -> String? {
        if let mediaFailure { return mediaFailure }
        if let code, code.name != "NORMAL_HANGUP" {
            return "ended with \(code.name)" + (code.description.isEmpty ? "" : ": \(code.description)")
        }
        if setupSeconds == nil { return "never established" }
        if packetsReceived == 0 { return "no audio received" }
        if lossPercent > maxLossPercent {
            return String(format: "lost %.2f %% of the audio (limit %.2f %%)", lossPercent, maxLossPercent)
        }
        if let expectedTone {
            guard let heard = heardFrequency else {
                return String(format: "heard no tone (expected %.0f Hz)", expectedTone)
            }
            if abs(heard - expectedTone) > max(10, 0.02 * expectedTone) {
                return String(format: "heard %.0f Hz, expected %.0f Hz", heard, expectedTone)
            }
        }
        return nil
    }

    /// A line for people.
    public var summary: String {
        let setup = setupSeconds.map { String(format: "%.0f ms", $0 * 1000) } ?? "-"
        var line =
            "\(role) \(identity) call \(callId): setup \(setup), sent \(packetsSent), received \(packetsReceived), "
            + String(format: "lost %d (%.2f %%), jitter %.1f ms", packetsLost, lossPercent, jitterMilliseconds)
            + ", hangup \(hangup ?? "-")"
        if let heardFrequency { line += String(format: ", heard %.0f Hz", heardFrequency) }
        if let failure { line += "; FAILED: \(failure)" }
        return line
    }
}

/// Nearest-rank percentiles of a sample.
public struct Percentiles: Codable, Sendable, Equatable {
    public var count: Int
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double { sorted[Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        count = sorted.count
        p50 = rank(0.5)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = sorted[sorted.count - 1]
    }
}

extension [CallFigures] {
    /// The most calls established at the same time.
    public var peakConcurrency: Int {
        var events: [(Double, Int)] = []
        for call in self {
            guard let start = call.establishedAt, let end = call.endedAt else { continue }
            events.append((start, 1))
            events.append((end, -1))
        }
        var current = 0
        var peak = 0
        for (_, change) in events.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }) {
            current += change
            peak = Swift.max(peak, current)
        }
        return peak
    }
}
