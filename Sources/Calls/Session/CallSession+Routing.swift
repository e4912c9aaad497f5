import ContactCenter
import Foundation

/// Reaching a callee: agent reservation, waiting in the queue, offers, declines, ring-outs.
extension CallSession {
    /// Asks for an agent of the call's queue that it has not tried yet.
    mutating func route(now: Date) -> [CallEffect] {
        if let transfer, case .agent = transfer.target { return transferFailed(now: now) }
        guard let queueId = record.queueId else {
            return end(caller: tried.isEmpty ? .noAvailableAgent : lastOutcome, callee: nil, now: now)
        }
        epoch += 1
        callee = nil
        phase = .routing
        return [.reserveAgent(queueId: queueId, excluding: tried, epoch: epoch)]
    }

    mutating func agentReserved(_ agent: String?, canWait: Bool, epoch: Int, now: Date) -> [CallEffect] {
        guard epoch == self.epoch, phase == .routing || phase == .waiting, !isLeaving else {
            return agent.map { [.releaseAgent($0)] } ?? []
        }
        guard let agent else {
            guard canWait else {
                if transferCanFallBack { return transferFailed(now: now) }
                return end(caller: tried.isEmpty ? .noAvailableAgent : lastOutcome, callee: nil, now: now)
            }
            guard phase != .waiting else { return [] }
            phase = .waiting
            // A phone caller hears ringback until its waiting strategy (if any) is ready.
            record.state = .CALLING
            return (callerKind == .phone && !callerAnswered ? [.phone(.ringing)] : []) + startedWaiting(now: now)
        }
        tried.insert(agent)
        return prepare(agent, now: now)
    }

    /// Makes the callee's leg (or dials the phone).
    mutating func prepare(_ target: String, now: Date) -> [CallEffect] {
        if !customerIsCaller { epoch += 1 }
        callee = target
        phase = .preparing
        mediaUp.remove(.callee)
        return [.prepareCallee(target, epoch: epoch)]
    }

    mutating func calleeReady(ringSeconds: Int, epoch: Int, now: Date) -> [CallEffect] {
        guard epoch == self.epoch, phase == .preparing, let callee else {
            return [.closeCalleeLeg(epoch: epoch)]
        }
        phase = .ringing(deadline: now.addingTimeInterval(TimeInterval(ringSeconds)))
        record.updatedAt = now
        if calleeKind == .phone {
            record.state = .CALLING
            return [.persist(record), .phone(.dial)]
        }
        record.state = .RINGING
        var effects: [CallEffect] = [.offer(to: callee, epoch: epoch)]
        if callerKind == .browser {
            effects.append(.notify(caller, .ringing))
        } else if !callerAnswered {
            effects.append(.phone(.ringing))
        }
        effects.append(.persist(record))
        return effects
    }

    /// The callee's offer is withdrawn: its leg closes and an agent held for it is given back.
    mutating func withdrawOffer(from agent: String) -> [CallEffect] {
        var effects: [CallEffect] = [.closeCalleeLeg(epoch: epoch)]
        if customerIsCaller { effects.append(.releaseAgent(agent)) }
        callee = nil
        return effects
    }

    mutating func declined(by identity: String, now: Date) -> [CallEffect] {
        if monitors[identity] != nil { return monitorEnded(identity, code: nil) }
        if consultation?.target == identity { return consulteeLeft(.rejected, tell: false, now: now) }
        guard callee == identity, calleeKind == .browser, !isAnswered else { return [] }
        switch phase {
        case .preparing, .ringing: break
        default: return []
        }
        var effects: [CallEffect] = [.notify(callee!, .hangup(.rejected))] + withdrawOffer(from: identity)
        if customerIsCaller {
            lastOutcome = .rejected
            effects += route(now: now)
        } else {
            effects += end(caller: .rejected, callee: nil, now: now)
        }
        return effects
    }

    mutating func hungUp(by identity: String, now: Date) -> [CallEffect] {
        if monitors[identity] != nil { return monitorEnded(identity, code: nil) }
        if let consultation, consultation.target == identity {
            if case .ringing = consultation.phase { return consulteeLeft(.rejected, tell: false, now: now) }
            return consulteeLeft(.normalHangup, tell: false, now: now)
        }
        if consultation?.from == identity, consultation?.fromConnected == true { return consultingAgentLeft(now: now) }
        if transfer?.from == identity { return transferorLeft() }
        switch side(of: identity) {
        case .caller:
            // Before the answer the call is cancelled, for the record and for both parties (a
            // call answered before a transfer was not).
            let callerCode: HangupCode = record.answeredAt != nil ? .normalHangup : .cancelled
            return end(caller: callerCode, callee: isAnswered ? .normalHangup : .cancelled, now: now)
        case .callee:
            if isAnswered { return end(caller: .normalHangup, callee: .normalHangup, now: now) }
            return declined(by: identity, now: now)
        case nil:
            return []
        }
    }

    /// A party's last signaling session closed. Answered calls wait `signalingGrace` for it;
    /// an unanswered offer moves on; a caller who left cancels.
    mutating func signalingLost(_ identity: String, now: Date) -> [CallEffect] {
        if monitors[identity] != nil { return monitorEnded(identity, code: nil) }
        if consultation?.target == identity {
            return consulteeLeft(
                .normalHangup.withDescription("The consulted agent's connection was lost."), tell: false, now: now)
        }
        if transfer?.from == identity { return transferorLeft() }
        guard let side = side(of: identity) else { return [] }
        if isAnswered, signalingGrace > 0 {
            signalingLostAt[identity] = now
            return []
        }
        switch side {
        case .caller:
            let code =
                isAnswered
                ? HangupCode.normalHangup.withDescription("The other party's connection was lost.") : .cancelled
            return end(caller: nil, callee: code, now: now)
        case .callee:
            if isAnswered { return end(caller: .signalingLost, callee: nil, now: now) }
            guard customerIsCaller else { return end(caller: .destinationNotFound, callee: nil, now: now) }
            return withdrawOffer(from: identity) + route(now: now)
        }
    }

    /// Deadlines: a ring that ran out, a closed media or lost signaling past its grace.
    mutating func timer(now: Date) -> [CallEffect] {
        if let deadline = consultationDeadline, deadline <= now {
            return consulteeLeft(.noAnswer, tell: true, now: now)
        }
        if case .callingBack(let deadline) = phase, deadline <= now {
            return callbackFailed(.noAnswer, tell: true, now: now)
        }
        if let effects = waitTimer(now: now) { return effects }
        if let closed = mediaClosed, now.timeIntervalSince(closed.at) >= Self.closedMediaGrace {
            let code = HangupCode.mediaFailure.withDescription(
                "The \(closed.side == .caller ? "caller" : "callee") closed its media (DTLS close_notify) without hanging up."
            )
            return end(caller: code, callee: callee == nil ? nil : code, now: now)
        }
        if let (identity, since) = signalingLostAt.min(by: { $0.value < $1.value }),
            now.timeIntervalSince(since) >= signalingGrace
        {
            let text = "The signaling connection of \(identity) was lost for more than \(Int(signalingGrace)) s."
            let code = HangupCode.signalingLost.withDescription(text)
            return end(caller: code, callee: callee == nil ? nil : code, now: now)
        }
        guard case .ringing(let deadline) = phase, deadline <= now, let callee else { return [] }
        if calleeKind == .phone {
            if transfer != nil { return phoneTargetFailed(.noAnswer, cancel: true, now: now) }
            return end(caller: .noAnswer, callee: .noAnswer, now: now)
        }
        var effects: [CallEffect] = [.notify(callee, .hangup(.noAnswer))] + withdrawOffer(from: callee)
        if customerIsCaller {
            lastOutcome = .noAnswer
            effects.append(.agentMissedOffer(callee))
            effects += route(now: now)
        } else {
            effects += end(caller: .noAnswer, callee: nil, now: now)
        }
        return effects
    }
}
