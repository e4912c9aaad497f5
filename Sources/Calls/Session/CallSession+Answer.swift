import ContactCenter
import Foundation

/// Answering, the phone's progress, media coming up, and the end of a call.
extension CallSession {
    mutating func accepted(by identity: String, epoch: Int, now: Date) -> [CallEffect] {
        guard epoch == self.epoch, case .ringing = phase, callee == identity, calleeKind == .browser else {
            return []
        }
        phase = .answered
        bridged = true
        record.state = .PRE_ESTABLISHED
        if record.answeredAt == nil { record.answeredAt = now }
        record.updatedAt = now
        if customerIsCaller { record.agentId = identity }
        var effects: [CallEffect] = [.bridge]
        // The caller hears the agent from the next frame on (the wait or the transfer music stops).
        if wait?.playing == true || transfer != nil { effects.append(.stopPlaying(.caller)) }
        wait = nil
        effects += completeTransfer()
        if let agentId = record.agentId {
            effects.append(.agentAnswered(agentId: agentId, assignConversation: customerIsCaller))
        }
        effects.append(.persist(record))
        if callerKind == .phone, !callerAnswered {
            callerAnswered = true
            effects.append(.phone(.answer))
        }
        return effects + establishIfReady(now: now)
    }

    /// The phone being called rings (180) or plays early media (183): the caller hears it.
    mutating func phoneProgress(earlyMedia: Bool, now: Date) -> [CallEffect] {
        guard calleeKind == .phone, case .ringing = phase else { return [] }
        var effects: [CallEffect] = []
        if earlyMedia, !bridged {
            bridged = true
            effects.append(.bridge)
        }
        record.state = .RINGING
        record.updatedAt = now
        effects.append(.persist(record))
        effects.append(.notify(caller, bridged ? .earlyMedia : .ringing))
        return effects
    }

    mutating func phoneAnswered(usable: Bool, now: Date) -> [CallEffect] {
        guard calleeKind == .phone, case .ringing = phase else { return [] }
        guard usable else {
            let code = HangupCode.mediaFailure.withDescription("The phone network answered with unusable SDP.")
            if transfer != nil { return phoneTargetFailed(code, cancel: true, now: now) }
            return end(
                caller: .mediaFailure.withDescription("The phone network answered with unusable SDP."),
                callee: .mediaFailure, now: now)
        }
        phase = .answered
        // Bridged again: the 200's codec may differ from the 183's.
        bridged = true
        mediaUp.insert(.callee)
        record.state = .PRE_ESTABLISHED
        record.answeredAt = now
        record.updatedAt = now
        var effects: [CallEffect] = [.bridge]
        if transfer != nil {
            // A phone number the agent transferred to answered: the agent leaves the call.
            record.agentId = nil
            effects.append(.stopPlaying(.caller))
            effects += completeTransfer()
        } else if let agentId = record.agentId {
            effects.append(.agentAnswered(agentId: agentId, assignConversation: false))
        }
        effects.append(.persist(record))
        return effects + establishIfReady(now: now)
    }

    /// ESTABLISHED once the call is answered and both sides' media are up.
    mutating func establishIfReady(now: Date) -> [CallEffect] {
        guard isAnswered, mediaUp == [.caller, .callee], record.state != .ESTABLISHED else { return [] }
        record.state = .ESTABLISHED
        record.updatedAt = now
        // The recording starts first: what is said once the parties hear each other is kept.
        var effects: [CallEffect] = record.agentId != nil ? [.recording(.established)] : []
        effects.append(.persist(record))
        if callerKind == .browser { effects.append(.notify(caller, .established)) }
        if calleeKind == .browser { effects.append(.notify(callee!, .established)) }
        return effects
    }

    /// Ends the call; `caller` and `callee` are what each side is told (nil: not told), and the
    /// record keeps the first of them (or `recording` when nobody is told).
    mutating func end(
        caller: HangupCode?, callee calleeCode: HangupCode?, recording: HangupCode? = nil, now: Date
    ) -> [CallEffect] {
        let answered = isAnswered
        let reservedAgent = customerIsCaller && !answered ? callee ?? callback?.agent : nil
        let callbackFailed = isCallingBack
        let monitorsLeaving =
            monitorsEnding(.normalHangup.withDescription("The monitored call ended."))
            + consulteeEnding(.normalHangup.withDescription("The customer's call ended."))
        phase = .ended
        record.endedAt = now
        record.updatedAt = now
        record.hangupCode = caller ?? calleeCode ?? recording
        record.state =
            switch (answered || record.answeredAt != nil, record.hangupCode?.id) {
            case (true, _): .FINISHED
            case (false, HangupCode.noAnswer.id), (false, HangupCode.noAvailableAgent.id),
                (false, HangupCode.outsideWorkingHours.id), (false, HangupCode.maximumWaitTimeReached.id),
                (false, HangupCode.callbackRequested.id):
                .NO_ANSWER
            case (false, HangupCode.busy.id): .BUSY
            case (false, HangupCode.cancelled.id), (false, HangupCode.normalHangup.id): .CANCELLED
            default: .FAILED
            }
        // A phone callee is hung up before `.finish` forgets the call's media state, which holds
        // the dialog of a number the call was transferred to (its own, not the call's).
        let calleePhone: [CallEffect] =
            if let calleeCode, self.callee != nil, calleeKind == .phone {
                [.phone(.hangup(calleeCode, side: .callee))]
            } else { [] }
        var effects: [CallEffect] = monitorsLeaving + transferorEnding(.normalHangup) + calleePhone + [.finish]
        // The agent held for a callback is free before the request shows the failed attempt: who
        // reads the request pending again finds the agent given back.
        if let reservedAgent { effects.append(.releaseAgent(reservedAgent)) }
        if callbackFailed { effects.append(.callbackAttempted(reached: false, code: record.hangupCode)) }
        effects.append(.persist(record))
        // The agent's wrap-up starts before anyone is told, so a client that clears it on the
        // hang-up finds it running.
        if answered, let agentId = record.agentId { effects.append(.agentCallEnded(agentId: agentId)) }
        if let caller {
            if callerKind == .phone {
                let (status, reason) = caller.sipStatus
                let inDialog = answered || callerAnswered
                effects.append(
                    .phone(inDialog ? .hangup(caller, side: .caller) : .reject(status: status, reason: reason)))
            } else {
                effects.append(.notify(self.caller, .hangup(caller)))
            }
        }
        if let calleeCode, let callee, calleeKind == .browser { effects.append(.notify(callee, .hangup(calleeCode))) }
        return effects
    }
}
