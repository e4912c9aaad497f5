import ContactCenter
import Foundation
import SignalingFrames

/// Blind transfers. To an agent: the customer hears the transfer music while the target rings;
/// the transferring agent stays on the line (hearing nothing) until the target answers, then
/// leaves into wrap-up; if the target declines, lets it ring out or cannot be reached, the
/// customer is connected to the transferring agent again, or, when that agent has left, routed
/// in the original queue. To a queue: the transferring agent leaves at once and the call is
/// routed in the queue; when nobody there could take it, it goes back to the original queue.
/// A failed transfer never drops the customer.
extension CallSession {
    /// A transfer in progress.
    public struct Transfer: Sendable, Equatable {
        public var target: TransferTarget
        /// The agent who transferred, and whether they are still on the line.
        public var from: String
        public var fromConnected: Bool
        /// The queue the call was in before the transfer.
        public var originalQueue: String?
    }

    mutating func startTransfer(to target: TransferTarget, now: Date) -> [CallEffect] {
        guard agentCanHandOn, let from = party(agentSide) else {
            if case .agent(let agent) = target { return [.releaseAgent(agent)] }
            return []
        }
        let handOver = handingOn(
            monitorsTold: .transferred.withDescription("The monitored call was transferred."))
        transfer = Transfer(target: target, from: from, fromConnected: true, originalQueue: record.queueId)
        tried.insert(from)
        record.updatedAt = now
        switch target {
        case .agent(let agent):
            epoch += 1
            tried.insert(agent)
            let effects: [CallEffect] =
                handOver + [
                    .setAsideCallee, .play(.transfer, to: .caller), .notify(from, .transfer(.TRANSFERRING, nil)),
                ]
            return effects + prepare(agent, now: now)
        case .number(let number):
            epoch += 1
            calleeKind = .phone
            let effects: [CallEffect] =
                handOver + [
                    .setAsideCallee, .play(.transfer, to: .caller), .notify(from, .transfer(.TRANSFERRING, nil)),
                ]
            return effects + prepare(number, now: now)
        case .queue(let queueId):
            var effects: [CallEffect] =
                handOver + [
                    .closeCalleeLeg(epoch: epoch), .play(.transfer, to: .caller),
                    .notify(from, .transfer(.TRANSFERRED, nil)),
                    .notify(from, .hangup(.transferred.withDescription("The call was transferred to a queue."))),
                    .agentCallEnded(agentId: from),
                ]
            transfer?.fromConnected = false
            record.queueId = queueId
            effects.append(.moveConversation(toQueue: queueId))
            waitingSince = nil
            wait = nil
            effects += route(now: now)
            return effects
        }
    }

    /// The target answered: the transferring agent leaves into wrap-up.
    mutating func completeTransfer() -> [CallEffect] {
        guard let transfer else { return [] }
        self.transfer = nil
        let recording = CallEffect.recording(.transferred(from: transfer.from, fromQueue: transfer.originalQueue))
        guard transfer.fromConnected else { return [recording] }
        let code = HangupCode.transferred.withDescription("The call was transferred to \(callee ?? "another agent").")
        return [
            .closeTransferor, recording, .notify(transfer.from, .transfer(.TRANSFERRED, nil)),
            .notify(transfer.from, .hangup(code)), .agentCallEnded(agentId: transfer.from),
        ]
    }

    /// The target could not take the call (its offer is already withdrawn): the customer goes
    /// back to the transferring agent if still on the line, else to the original queue.
    mutating func transferFailed(now: Date) -> [CallEffect] {
        guard let transfer else { return [] }
        self.transfer = nil
        let reason = lastOutcome
        if transfer.fromConnected {
            epoch += 1
            callee = transfer.from
            phase = .answered
            bridged = true
            mediaUp.insert(.callee)
            // The record said RINGING (or CALLING, for a number) while the target was tried.
            record.state = .ESTABLISHED
            record.updatedAt = now
            return [
                .restoreTransferor(epoch: epoch), .bridge, .stopPlaying(.caller), .persist(record),
                .notify(transfer.from, .transfer(.TRANSFER_FAILED, reason)),
            ]
        }
        var effects: [CallEffect] = []
        if let original = transfer.originalQueue, original != record.queueId {
            effects.append(.moveConversation(toQueue: original))
        }
        record.queueId = transfer.originalQueue
        tried = []
        waitingSince = nil
        wait = nil
        return effects + route(now: now)
    }

    /// The phone number transferred to did not answer, refused, or failed: its leg closes (the
    /// INVITE is cancelled when `cancel`) and the transfer fails as for an agent target.
    mutating func phoneTargetFailed(_ code: HangupCode, cancel: Bool, now: Date) -> [CallEffect] {
        lastOutcome = code
        var effects: [CallEffect] = cancel ? [.phone(.hangup(code, side: .callee))] : []
        effects.append(.closeCalleeLeg(epoch: epoch))
        callee = nil
        calleeKind = .browser
        return effects + transferFailed(now: now)
    }

    /// The target's leg could not be made (no free media port): the transfer fails as for a
    /// target that cannot be reached, and an agent target is given back.
    mutating func transferTargetNotMade(_ code: HangupCode, now: Date) -> [CallEffect] {
        lastOutcome = code
        var effects: [CallEffect] = []
        if calleeKind == .phone {
            calleeKind = .browser
        } else if let callee {
            effects.append(.releaseAgent(callee))
        }
        callee = nil
        return effects + transferFailed(now: now)
    }

    /// Whether routing that found nobody should fall back on the original queue.
    var transferCanFallBack: Bool {
        guard let transfer else { return false }
        if case .queue = transfer.target {} else { return true }
        return transfer.originalQueue != nil && transfer.originalQueue != record.queueId
    }

    /// The transferring agent hung up, or lost signaling, while the target rang.
    mutating func transferorLeft() -> [CallEffect] {
        guard let transfer, transfer.fromConnected else { return [] }
        self.transfer?.fromConnected = false
        return [.closeTransferor, .agentCallEnded(agentId: transfer.from)]
    }

    /// The transferring agent, when the call ends during the transfer.
    func transferorEnding(_ code: HangupCode) -> [CallEffect] {
        guard let transfer, transfer.fromConnected else { return [] }
        return [.closeTransferor, .notify(transfer.from, .hangup(code)), .agentCallEnded(agentId: transfer.from)]
    }
}
