import ContactCenter
import Foundation

/// Callbacks: a waiting caller presses a CALLBACK key during the announcement (or within the
/// strategy's `collectDuration` after it), hears the confirmation and hangs up with their place
/// kept; when that place comes up, the gateway holds an agent, calls the customer and, once they
/// answer, rings the agent as for any inbound call.
extension CallSession {
    /// The waiting strategy's announcement started or ended: the window for its keys.
    mutating func announcement(playing: Bool, now: Date) -> [CallEffect] {
        guard var wait else { return [] }
        wait.announcing = playing
        if playing {
            wait.keys = ""
        } else {
            wait.announcementEndedAt = now
        }
        self.wait = wait
        return []
    }

    /// A key the waiting caller pressed: nil when the call takes no keys now (it is answered, or
    /// its strategy asks for none), so the digit goes where digits go.
    mutating func collect(_ digit: Character, now: Date) -> [CallEffect]? {
        guard !isAnswered, var wait, !wait.limits.callbackCodes.isEmpty else { return nil }
        guard wait.playing, wait.leavingAt == nil else { return [] }
        let windowOpened = wait.announcementEndedAt ?? (wait.limits.collectsFromStart ? wait.since : nil)
        let inWindow =
            wait.announcing || windowOpened.map { now.timeIntervalSince($0) <= wait.limits.collectSeconds } ?? false
        guard inWindow else { return [] }
        wait.keys = String((wait.keys + String(digit)).suffix(36))
        self.wait = wait
        guard wait.limits.callbackCodes.contains(where: { wait.keys.hasSuffix($0) }) else { return [] }
        return callbackRequested(now: now)
    }

    /// The caller keeps their place and leaves: an offer ringing now is withdrawn, the
    /// confirmation plays, and the call ends when it is over.
    private mutating func callbackRequested(now: Date) -> [CallEffect] {
        let keys = wait?.keys ?? ""
        var effects = stopSeekingAgent(because: "The caller asked to be called back.")
        effects.append(.requestCallback(record, keys: keys))
        guard var wait else { return effects }
        wait.leavingCode = .callbackRequested
        wait.playing = false
        let seconds = wait.limits.callbackConfirmationSeconds
        guard seconds > 0 else {
            self.wait = wait
            return effects + end(caller: .callbackRequested, callee: nil, now: now)
        }
        wait.leavingAt = now.addingTimeInterval(seconds)
        self.wait = wait
        effects.append(.play(.callbackConfirmation, to: .caller))
        return effects
    }

    /// The call stops looking for an agent: an offer ringing or being made is withdrawn.
    mutating func stopSeekingAgent(because reason: String) -> [CallEffect] {
        var effects: [CallEffect] = []
        if let callee {
            switch phase {
            case .ringing, .preparing:
                let code = HangupCode.cancelled.withDescription(reason)
                effects += [.notify(callee, .hangup(code))] + withdrawOffer(from: callee)
            default: break
            }
        }
        phase = .waiting
        epoch += 1
        return effects
    }

    // MARK: - The callback's call

    /// The callback's call starts: the agent is held; the customer is called.
    mutating func startCallback(_ attempt: CallbackAttempt, now: Date) -> [CallEffect] {
        phase = .callingBack(deadline: now.addingTimeInterval(TimeInterval(attempt.ringSeconds)))
        // The gateway placed this call: nothing answers or rings the customer's side later.
        callerAnswered = true
        mediaUp.remove(.caller)
        record.state = .CALLING
        return [.persist(record), .callCallerBack(epoch: epoch)]
    }

    /// Whether the call is calling a callback's customer.
    public var isCallingBack: Bool {
        if case .callingBack = phase { return true }
        return false
    }

    /// The customer answered: the held agent rings (others after them, as for any inbound call).
    mutating func callerReached(now: Date) -> [CallEffect] {
        guard isCallingBack, let agent = callback?.agent else { return [] }
        callback = nil
        if callerKind == .phone { mediaUp.insert(.caller) }
        tried.insert(agent)
        record.updatedAt = now
        return [.callbackAttempted(reached: true, code: nil)] + prepare(agent, now: now)
    }

    /// The customer could not be reached: the agent goes back (`end` reports the failed
    /// attempt). `tell` says whether the customer's side is told (a ringing app, a phone dialled).
    mutating func callbackFailed(_ code: HangupCode, tell: Bool, now: Date) -> [CallEffect] {
        guard isCallingBack else { return [] }
        return end(caller: tell ? code : nil, callee: nil, recording: code, now: now)
    }
}
