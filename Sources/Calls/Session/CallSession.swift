import ContactCenter
import Foundation

/// One two-party call as a pure value: inputs and time in, effects out. It never awaits and
/// holds no leg, socket or clock; `CallCenter` carries out its effects and feeds results back.
///
/// An inbound call routes to an agent of its queue (an atomic reservation), waits in the queue
/// when every agent who could take it is busy, rings the agent it got, passes on to the next
/// agent when one declines or lets it ring out, and ends when nobody is left to try. An
/// outbound call rings one callee: an in-app identity or a phone number.
public struct CallSession: Sendable {
    /// Where the call is in its life.
    public enum Phase: Sendable, Equatable {
        /// Asking the agent registry for an agent.
        case routing
        /// In its queue: every agent who could take it is busy.
        case waiting
        /// The callee's leg is being made (or the phone dialled).
        case preparing
        /// The callee rings until `deadline`.
        case ringing(deadline: Date)
        /// A callback's customer is called until `deadline`, an agent held for them.
        case callingBack(deadline: Date)
        /// Answered: media connecting (PRE_ESTABLISHED) or up (ESTABLISHED).
        case answered
        /// Over; the driver forgets it once its effects ran.
        case ended
    }

    /// What a party is on: a signaling session (browser, app, headless agent) or a SIP trunk.
    public enum PartyKind: Sendable, Equatable {
        case browser
        case phone
    }

    /// How long a call whose party closed its media waits for that party's `call.hangup` (a
    /// browser hanging up sends it and closes its connection at once, in either order).
    public static let closedMediaGrace: TimeInterval = 1

    public let id: String
    public internal(set) var record: CallRecord
    /// An agent's outbound call that is transferred turns round: the customer becomes the
    /// caller (`turnRound`), as in an inbound call.
    public internal(set) var callerKind: PartyKind
    /// The identity on the caller side: the record's caller until the call turns round.
    public internal(set) var caller: String
    /// Whether the customer is on the caller side (inbound calls, callbacks, and outbound calls
    /// once turned round); the agent is on the other side.
    public internal(set) var customerIsCaller: Bool
    /// A transfer to a phone number makes the callee a phone.
    public internal(set) var calleeKind: PartyKind
    /// The party being rung or talking on the callee side (an agent for inbound calls).
    public internal(set) var callee: String?
    public internal(set) var phase: Phase = .routing
    /// Moves on with every new attempt to reach a callee; results of older attempts are stale.
    public internal(set) var epoch = 0
    /// Agents this call was offered to (each is offered once).
    public internal(set) var tried: Set<String> = []
    /// The caller's and callee's media are up.
    public internal(set) var mediaUp: Set<CallSide> = []
    /// The media are connected (after the answer, or before it for a phone's early media).
    public internal(set) var bridged = false
    /// When a party's last signaling session closed during the answered call.
    public internal(set) var signalingLostAt: [String: Date] = [:]
    /// The side that holds the call, while it is held.
    public internal(set) var heldBy: CallSide?
    /// When a party closed its DTLS association without hanging up (yet).
    public internal(set) var mediaClosed: (at: Date, side: CallSide)?
    /// When the call first waited in its queue.
    public internal(set) var waitingSince: Date?
    /// The waiting strategy's wait, once the driver found one.
    public internal(set) var wait: Wait?
    /// The gateway answered the phone caller before an agent did, so that it hears the wait.
    public internal(set) var callerAnswered = false
    /// A callback's call, until its customer answers: the agent held and the ring time.
    public internal(set) var callback: CallbackAttempt?
    /// A blind transfer in progress.
    public internal(set) var transfer: Transfer?
    /// An attended transfer in progress, and how many the call had.
    public internal(set) var consultation: Consultation?
    var consultations = 0
    /// Supervisors monitoring the call, by identity.
    public internal(set) var monitors: [String: Monitoring] = [:]
    /// Why the last offer did not end in an answer; what the caller hears when nobody is left.
    var lastOutcome = HangupCode.noAvailableAgent
    let signalingGrace: TimeInterval

    /// A call whose caller's leg is ready. `callee` is set for outbound calls (the identity
    /// or number called) and nil for inbound calls, which route to an agent.
    /// A `callback` call starts by calling its customer (the caller), an agent held meanwhile.
    public init(
        record: CallRecord, callerKind: PartyKind, calleeKind: PartyKind, callee: String?,
        signalingGraceSeconds: Int, callback: CallbackAttempt? = nil
    ) {
        self.callback = callback
        self.id = record.id
        self.record = record
        self.callerKind = callerKind
        self.calleeKind = calleeKind
        self.callee = callee
        self.caller = record.caller
        self.customerIsCaller = record.direction == "INBOUND"
        self.signalingGrace = TimeInterval(signalingGraceSeconds)
        if callerKind == .phone { mediaUp.insert(.caller) }
    }

    public var isInbound: Bool { record.direction == "INBOUND" }
    public var isAnswered: Bool { phase == .answered }

    /// The identity of `side`, when it has one.
    public func party(_ side: CallSide) -> String? { side == .caller ? caller : callee }

    /// The side `identity` is on, when it is a signaling party of this call (phones have none).
    public func side(of identity: String) -> CallSide? {
        if callerKind == .browser, identity == caller { return .caller }
        if calleeKind == .browser, identity == callee { return .callee }
        return nil
    }

    /// The earliest time at which `.timer` has something to do.
    public var nextDeadline: Date? {
        var deadlines: [Date] = []
        if case .ringing(let deadline) = phase { deadlines.append(deadline) }
        if case .callingBack(let deadline) = phase { deadlines.append(deadline) }
        if let closed = mediaClosed { deadlines.append(closed.at.addingTimeInterval(Self.closedMediaGrace)) }
        if let lost = signalingLostAt.values.min() { deadlines.append(lost.addingTimeInterval(signalingGrace)) }
        if let waitDeadline { deadlines.append(waitDeadline) }
        if let consultationDeadline { deadlines.append(consultationDeadline) }
        return deadlines.min()
    }

    /// Handles one input at `now`; returns what the driver must do, in order.
    public mutating func handle(_ input: CallInput, now: Date) -> [CallEffect] {
        guard phase != .ended else { return [] }
        switch input {
        case .start:
            if let callback { return startCallback(callback, now: now) }
            return isInbound ? route(now: now) : prepare(callee ?? "", now: now)
        case .agentReserved(let agent, let canWait, let epoch):
            return agentReserved(agent, canWait: canWait, epoch: epoch, now: now)
        case .queueClosed(let epoch, let seconds):
            guard epoch == self.epoch, phase == .routing else { return [] }
            return queueClosed(awayMessageSeconds: seconds, now: now)
        case .retryRouting:
            guard phase == .waiting, !isLeaving, let queueId = record.queueId else { return [] }
            return [.reserveAgent(queueId: queueId, excluding: tried, epoch: epoch)]
        case .calleeReady(let seconds, let epoch):
            return calleeReady(ringSeconds: seconds, epoch: epoch, now: now)
        case .calleeFailed(let reason, let epoch):
            guard epoch == self.epoch, phase == .preparing else { return [] }
            let code = HangupCode.mediaFailure.withDescription(reason)
            if transfer != nil { return transferTargetNotMade(code, now: now) }
            return end(caller: code, callee: nil, now: now)
        case .offerUndelivered(let epoch):
            if isCallingBack, epoch == self.epoch {
                return callbackFailed(.destinationNotFound, tell: false, now: now)
            }
            guard epoch == self.epoch, case .ringing = phase, let callee else { return [] }
            var effects = withdrawOffer(from: callee)
            if customerIsCaller { return effects + route(now: now) }
            effects += end(caller: .destinationNotFound, callee: nil, now: now)
            return effects
        case .accepted(let identity, let epoch):
            if isCallingBack, identity == caller, epoch == self.epoch { return callerReached(now: now) }
            return accepted(by: identity, epoch: epoch, now: now)
        case .declined(let identity):
            if isCallingBack, identity == caller { return callbackFailed(.rejected, tell: false, now: now) }
            return declined(by: identity, now: now)
        case .hungUp(let identity):
            return hungUp(by: identity, now: now)
        case .shutdown(let code):
            return end(caller: code, callee: callee == nil ? nil : code, now: now)
        case .bridgeFailed(let reason):
            let code = HangupCode.mediaFailure.withDescription(reason)
            return end(caller: code, callee: .mediaFailure, now: now)
        case .waitingReady(let limits):
            return waitingReady(limits, now: now)
        case .legUp(let side, let epoch):
            guard side == .caller || epoch == self.epoch else { return [] }
            mediaUp.insert(side)
            return (side == .caller ? playWaiting(now: now) : []) + establishIfReady(now: now)
        case .legClosedByPeer(let side, let epoch):
            guard side == .caller || epoch == self.epoch, mediaClosed == nil else { return [] }
            mediaClosed = (now, side)
            return []
        case .legFailed(let side, let reason, let epoch):
            guard side == .caller || epoch == self.epoch else { return [] }
            let code = HangupCode.mediaFailure.withDescription(reason)
            return end(caller: code, callee: callee == nil ? nil : code, now: now)
        case .signalingLost(let identity):
            return signalingLost(identity, now: now)
        case .signalingResumed(let identity):
            signalingLostAt[identity] = nil
            return []
        case .agentUnavailable(let agent):
            guard customerIsCaller, calleeKind == .browser, case .ringing = phase, callee == agent else { return [] }
            lastOutcome = .noAnswer
            let code = HangupCode.noAnswer.withDescription("The agent became unavailable while the call was ringing.")
            return [.notify(callee!, .hangup(code))] + withdrawOffer(from: agent) + route(now: now)
        case .phoneProgress(let early):
            return phoneProgress(earlyMedia: early, now: now)
        case .phoneAnswered(let usable):
            if isCallingBack, callerKind == .phone {
                guard usable else {
                    let code = HangupCode.mediaFailure.withDescription("The phone network answered with unusable SDP.")
                    return callbackFailed(code, tell: true, now: now)
                }
                return callerReached(now: now)
            }
            return phoneAnswered(usable: usable, now: now)
        case .phoneFailed(let code):
            if isCallingBack, callerKind == .phone { return callbackFailed(code, tell: false, now: now) }
            guard calleeKind == .phone, !isAnswered else { return [] }
            if transfer != nil { return phoneTargetFailed(code, cancel: false, now: now) }
            return end(caller: code, callee: nil, now: now)
        case .phoneEnded(let reason, let side):
            let code = HangupCode.normalHangup.withDescription(reason)
            if side == .callee {
                guard calleeKind == .phone else { return [] }
                if transfer != nil, !isAnswered { return phoneTargetFailed(code, cancel: false, now: now) }
                return end(caller: code, callee: nil, now: now)
            }
            guard callerKind == .phone else { return [] }
            return end(caller: nil, callee: isAnswered ? code : .cancelled, now: now)
        case .phoneCancelled:
            guard callerKind == .phone, !isAnswered else { return [] }
            return end(caller: nil, callee: .cancelled, now: now)
        case .hold(let side, let held):
            guard consultation == nil else { return [] }
            return hold(by: side, held: held)
        case .dtmf(let from, let digit):
            if from == .caller, let effects = collect(digit, now: now) { return effects }
            let to = from.other
            guard (to == .caller ? callerKind : calleeKind) == .browser, let identity = party(to) else { return [] }
            return [.notify(identity, .dtmf(digit))]
        case .announcement(let playing):
            return announcement(playing: playing, now: now)
        case .transfer(let target):
            return startTransfer(to: target, now: now)
        case .consult(let agent, let queueId, let phone):
            return startConsultation(with: agent, queueId: queueId, phone: phone, now: now)
        case .consulteePhone(let event, let epoch):
            return consulteePhone(event, epoch: epoch, now: now)
        case .consulteeOffered(let seconds, let delivered, let epoch):
            return consulteeOffered(ringSeconds: seconds, delivered: delivered, epoch: epoch, now: now)
        case .consulteeAnswered(let epoch):
            return consulteeAnswered(epoch: epoch, now: now)
        case .consultAction(let action):
            return consultAction(action, now: now)
        case .consulteeLegFailed(let reason, let epoch):
            guard consultation?.epoch == epoch else { return [] }
            return consulteeLeft(.mediaFailure.withDescription(reason), tell: true, now: now)
        case .monitor(let supervisor, let mode):
            return monitor(supervisor, mode: mode)
        case .monitorAnswered(let supervisor):
            return monitorAnswered(supervisor)
        case .stopMonitoring(let supervisor):
            return monitorEnded(supervisor, code: .normalHangup.withDescription("Monitoring stopped."))
        case .monitorLegEnded(let supervisor, let reason):
            return monitorEnded(supervisor, code: .mediaFailure.withDescription(reason))
        case .timer:
            return timer(now: now)
        }
    }
}
