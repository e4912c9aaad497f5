import ContactCenter
import Foundation

/// What a caller hears while no agent takes the call: the waiting strategy, from the moment the
/// call first waits until an agent answers, through any offers that ring out meanwhile; at the
/// maximum wait time the strategy's message, then the end of the call.
extension CallSession {
    /// The wait as the strategy set it, once it is known.
    public struct Wait: Sendable, Equatable {
        public var limits: WaitingLimits
        /// When the call first waited.
        public var since: Date
        /// The waiting sound plays to the caller.
        public var playing = false
        /// The maximum wait was reached: the message plays until then, and the call ends.
        public var leavingAt: Date?
        /// What the caller is told when the call ends at `leavingAt`.
        public var leavingCode = HangupCode.maximumWaitTimeReached
        /// A last message waiting for the caller's media to come up.
        public var pendingFarewell: Farewell?
        /// The announcement plays now; when the last one ended; the keys pressed since it began.
        public var announcing = false
        public var announcementEndedAt: Date?
        public var keys = ""
    }

    /// A message played once before the call ends, and how long it lasts.
    public struct Farewell: Sendable, Equatable {
        public var sound: CallSound
        public var seconds: Double
    }

    /// The queue is outside its working hours: the caller hears the away message (a phone caller
    /// is answered for it) once its media are up, then the call ends; without one it ends now.
    mutating func queueClosed(awayMessageSeconds seconds: Double, now: Date) -> [CallEffect] {
        guard seconds > 0 else { return end(caller: .outsideWorkingHours, callee: nil, now: now) }
        phase = .waiting
        epoch += 1
        var wait = Wait(limits: WaitingLimits(maximumWaitSeconds: 0, maximumWaitMessageSeconds: seconds), since: now)
        wait.leavingCode = .outsideWorkingHours
        wait.pendingFarewell = Farewell(sound: .awayMessage, seconds: seconds)
        // If the caller's media never come up, the call still ends.
        wait.leavingAt = now.addingTimeInterval(seconds + Self.farewellMediaGrace)
        self.wait = wait
        var effects: [CallEffect] = []
        if callerKind == .phone, !callerAnswered {
            callerAnswered = true
            effects.append(.phone(.answer))
        }
        return effects + playWaiting(now: now)
    }

    /// How long a last message waits for the caller's media before the call ends without it.
    static let farewellMediaGrace: TimeInterval = 10

    /// The call waits for the first time: its strategy is looked up.
    mutating func startedWaiting(now: Date) -> [CallEffect] {
        guard waitingSince == nil else { return [] }
        waitingSince = now
        return [.prepareWaiting]
    }

    mutating func waitingReady(_ limits: WaitingLimits?, now: Date) -> [CallEffect] {
        guard let limits, wait == nil, !isAnswered, let since = waitingSince else { return [] }
        wait = Wait(limits: limits, since: since)
        var effects: [CallEffect] = []
        if callerKind == .phone {
            // A phone caller is answered to hear the wait (see docs/sip.md).
            if !callerAnswered {
                callerAnswered = true
                effects.append(.phone(.answer))
            }
        } else {
            effects.append(.notify(caller, .queued))
        }
        return effects + playWaiting(now: now)
    }

    /// The waiting sound (or a last message) starts once the caller can hear it (its media is up).
    mutating func playWaiting(now: Date) -> [CallEffect] {
        guard var wait, !isAnswered, mediaUp.contains(.caller) else { return [] }
        if let farewell = wait.pendingFarewell {
            wait.pendingFarewell = nil
            wait.leavingAt = now.addingTimeInterval(farewell.seconds)
            self.wait = wait
            return [.play(farewell.sound, to: .caller)]
        }
        guard !wait.playing, wait.leavingAt == nil else { return [] }
        wait.playing = true
        self.wait = wait
        return [.play(.waiting, to: .caller)]
    }

    /// Whether the call has stopped looking for an agent (its maximum wait was reached).
    var isLeaving: Bool { wait?.leavingAt != nil }

    /// When the wait's next step is due: the maximum wait, or the end of its message.
    var waitDeadline: Date? {
        guard let wait, !isAnswered else { return nil }
        return wait.leavingAt ?? wait.since.addingTimeInterval(TimeInterval(wait.limits.maximumWaitSeconds))
    }

    /// The maximum wait passed: an offer ringing now is withdrawn, the message plays, and the
    /// call ends when it is over.
    mutating func waitTimer(now: Date) -> [CallEffect]? {
        guard var wait = self.wait, let deadline = waitDeadline, deadline <= now else { return nil }
        if wait.leavingAt != nil { return end(caller: wait.leavingCode, callee: nil, now: now) }
        let effects = stopSeekingAgent(because: "The caller reached the maximum wait time.")
        guard wait.limits.maximumWaitMessageSeconds > 0 else {
            return effects + end(caller: .maximumWaitTimeReached, callee: nil, now: now)
        }
        wait.leavingAt = now.addingTimeInterval(wait.limits.maximumWaitMessageSeconds)
        wait.playing = false
        self.wait = wait
        return effects + [.play(.maximumWaitMessage, to: .caller)]
    }
}
