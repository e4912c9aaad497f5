import ContactCenter
import Foundation
import SignalingFrames

/// An attended (consultative) transfer: the agent holds the customer, talks to the target
/// first, then completes (the customer goes to the target), cancels (back to the customer) or
/// merges the three into one call.
public struct Consultation: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// The target's leg is being made and offered; it rings until `deadline` once offered.
        case ringing(deadline: Date?)
        /// The agent and the target talk; the customer hears hold music.
        case talking
        /// All three hear each other.
        case merged
    }

    /// The agent (or phone number) consulted, and the queue they were found in (consulting a queue).
    public var target: String
    public var queueId: String?
    /// The target is a phone number, dialled through a trunk (no signaling, no agent to hold).
    public var isPhone = false
    /// The consulting agent, and whether they are still on the call.
    public var from: String
    public var fromConnected = true
    public var phase: Phase = .ringing(deadline: nil)
    /// Tells one consultation's results from another's.
    public var epoch: Int
}

/// What the phone network says of a consulted number.
public enum ConsulteePhoneEvent: Sendable, Equatable {
    case answered(usable: Bool)
    case failed(HangupCode)
    case ended(reason: String)
}

extension CallSession {
    mutating func startConsultation(with target: String, queueId: String?, phone: Bool, now: Date) -> [CallEffect] {
        guard agentCanHandOn, let from = party(agentSide), target != from
        else { return phone ? [.closeConsultee] : [.releaseAgent(target)] }
        let handOver = handingOn(monitorsTold: .transferred.withDescription("The agent started a consultation."))
        consultations += 1
        consultation = Consultation(
            target: target, queueId: queueId, isPhone: phone, from: from, epoch: consultations)
        return handOver + [
            .holdMedia(true), .play(.hold, to: .caller), .prepareConsultee(target, epoch: consultations),
            .notify(from, .transfer(.CONSULTING, nil)),
        ]
    }

    mutating func consulteeOffered(ringSeconds: Int, delivered: Bool, epoch: Int, now: Date) -> [CallEffect] {
        guard let consultation, consultation.epoch == epoch, consultation.phase == .ringing(deadline: nil) else {
            return []
        }
        guard delivered else { return consultationFailed(.destinationNotFound, now: now) }
        self.consultation?.phase = .ringing(deadline: now.addingTimeInterval(TimeInterval(ringSeconds)))
        return []
    }

    mutating func consulteeAnswered(epoch: Int, now: Date) -> [CallEffect] {
        guard let consultation, consultation.epoch == epoch, case .ringing = consultation.phase else { return [] }
        let answered: [CallEffect] =
            consultation.isPhone
            ? [] : [.agentAnswered(agentId: consultation.target, assignConversation: false)]
        guard consultation.fromConnected else {
            // The agent left while the target rang: the customer is theirs at once.
            return answered + completeConsultation(now: now)
        }
        self.consultation?.phase = .talking
        return [.connectConsultee] + answered
            + (consultation.isPhone ? [] : [.notify(consultation.target, .established)])
            + [.notify(consultation.from, .transfer(.CONSULTED, nil))]
    }

    /// The consulting agent completes, cancels or merges.
    mutating func consultAction(_ action: ConsultAction, now: Date) -> [CallEffect] {
        guard let consultation else { return [] }
        switch (action, consultation.phase) {
        case (.COMPLETE, .talking), (.COMPLETE, .merged):
            return completeConsultation(now: now)
        case (.CANCEL, _):
            return consultationEnded(
                .normalHangup.withDescription("The consultation was cancelled."), state: .CONSULT_CANCELLED, now: now)
        case (.MERGE, .talking):
            self.consultation?.phase = .merged
            return [.stopPlaying(.caller), .mergeConsultee, .notify(consultation.from, .transfer(.MERGED, nil))]
        default:
            return []
        }
    }

    /// The target declined, rang out, could not be reached, hung up or lost their leg.
    mutating func consulteeLeft(_ code: HangupCode, tell: Bool, now: Date) -> [CallEffect] {
        guard let consultation else { return [] }
        let tell = tell && !consultation.isPhone
        if case .ringing = consultation.phase {
            return (tell ? [.notify(consultation.target, .hangup(code))] : []) + consultationFailed(code, now: now)
        }
        return consultationEnded(
            code, state: .CONSULT_CANCELLED, tellTarget: tell,
            reason: .normalHangup.withDescription("The consulted agent left."),
            now: now)
    }

    /// The consulting agent hung up: once the target answered, the customer is theirs (the
    /// classic way to complete); while the target rings, the customer waits for their answer.
    mutating func consultingAgentLeft(now: Date) -> [CallEffect] {
        guard let consultation, consultation.fromConnected else { return [] }
        if case .ringing = consultation.phase {
            self.consultation?.fromConnected = false
            callee = nil
            signalingLostAt[consultation.from] = nil
            return [.closeCalleeLeg(epoch: epoch), .agentCallEnded(agentId: consultation.from)]
        }
        return completeConsultation(now: now)
    }

    /// The customer goes to the target: the target's leg becomes the callee's, the consulting
    /// agent's closes.
    private mutating func completeConsultation(now: Date) -> [CallEffect] {
        guard let consultation else { return [] }
        self.consultation = nil
        epoch += 1
        callee = consultation.target
        record.updatedAt = now
        let fromQueue = record.queueId
        var effects: [CallEffect] = [.promoteConsultee(epoch: epoch)]
        if consultation.isPhone {
            // As a blind transfer to a number: the call has no agent any more.
            calleeKind = .phone
            record.agentId = nil
        } else {
            tried.insert(consultation.target)
            record.agentId = consultation.target
            effects.append(.assignConversation(consultation.target))
        }
        if let queueId = consultation.queueId, queueId != record.queueId {
            record.queueId = queueId
            effects.append(.moveConversation(toQueue: queueId))
        }
        effects.append(.recording(.transferred(from: consultation.from, fromQueue: fromQueue)))
        if consultation.fromConnected {
            let code = HangupCode.transferred.withDescription("The call was transferred to \(consultation.target).")
            effects += [
                .notify(consultation.from, .transfer(.TRANSFERRED, nil)), .notify(consultation.from, .hangup(code)),
                .agentCallEnded(agentId: consultation.from),
            ]
        }
        return effects + [.persist(record)]
    }

    /// Before the target answered: their offer is withdrawn and the agent is back with the
    /// customer, told why (or, the agent gone, the customer is routed in the queue).
    private mutating func consultationFailed(_ code: HangupCode, now: Date) -> [CallEffect] {
        guard let consultation else { return [] }
        self.consultation = nil
        var effects: [CallEffect] =
            [.closeConsultee] + (consultation.isPhone ? [] : [.releaseAgent(consultation.target)])
        guard consultation.fromConnected else {
            lastOutcome = code
            callee = nil
            tried = []
            waitingSince = nil
            wait = nil
            return effects + route(now: now)
        }
        effects += [.bridge, .stopPlaying(.caller), .notify(consultation.from, .transfer(.TRANSFER_FAILED, code))]
        return effects
    }

    /// After the target answered: the target leaves (told `code` unless they left themselves)
    /// and the agent is back with the customer.
    private mutating func consultationEnded(
        _ code: HangupCode, state: CallFrame.TransferState, tellTarget: Bool = true, reason: HangupCode? = nil,
        now: Date
    ) -> [CallEffect] {
        guard let consultation else { return [] }
        if case .ringing = consultation.phase {
            return (tellTarget ? [.notify(consultation.target, .hangup(code))] : [])
                + consultationFailed(code, now: now)
        }
        self.consultation = nil
        var effects: [CallEffect] =
            tellTarget && !consultation.isPhone ? [.notify(consultation.target, .hangup(code))] : []
        effects.append(.closeConsultee)
        if !consultation.isPhone { effects.append(.agentCallEnded(agentId: consultation.target)) }
        effects += [.bridge, .stopPlaying(.caller), .notify(consultation.from, .transfer(state, reason))]
        return effects
    }

    /// The consulted agent, when the call ends during the consultation.
    mutating func consulteeEnding(_ code: HangupCode) -> [CallEffect] {
        guard let consultation else { return [] }
        self.consultation = nil
        guard !consultation.isPhone else { return [.closeConsultee] }
        var effects: [CallEffect] = [.notify(consultation.target, .hangup(code)), .closeConsultee]
        if case .ringing = consultation.phase {
            effects.append(.releaseAgent(consultation.target))
        } else {
            effects.append(.agentCallEnded(agentId: consultation.target))
        }
        return effects
    }

    /// The consulted number answered (its leg configured with the answer, when `usable`), refused,
    /// or hung up.
    mutating func consulteePhone(_ event: ConsulteePhoneEvent, epoch: Int, now: Date) -> [CallEffect] {
        guard let consultation, consultation.isPhone, consultation.epoch == epoch else { return [] }
        switch event {
        case .answered(let usable):
            guard usable else {
                return consulteeLeft(
                    .mediaFailure.withDescription("The phone network answered with unusable SDP."), tell: false,
                    now: now)
            }
            return consulteeAnswered(epoch: epoch, now: now)
        case .failed(let code):
            return consulteeLeft(code, tell: false, now: now)
        case .ended(let reason):
            return consulteeLeft(.normalHangup.withDescription(reason), tell: false, now: now)
        }
    }

    /// The consultation's ring time, once offered.
    var consultationDeadline: Date? {
        if case .ringing(let deadline?) = consultation?.phase { return deadline }
        return nil
    }
}
