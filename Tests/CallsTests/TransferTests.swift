import ContactCenter
import Foundation
import Testing

@testable import Calls

/// Blind transfers on a fake clock: to an agent (who answers, declines or rings out) and to a
/// queue; the customer is never dropped, and the transferring agent leaves into wrap-up only
/// once someone has the call.
@Suite struct TransferTests {
    /// A customer talking to agent A.
    static func talking() -> Harness {
        var h = Harness.inbound()
        h.answer("agent-a")
        return h
    }

    static func transferring(to target: String = "agent-b") -> (Harness, [CallEffect]) {
        var h = talking()
        let effects = h.handle(.transfer(.agent(target)))
        return (h, effects)
    }

    @Test func theTargetRingsWhileTheCustomerHearsTheTransferMusic() {
        let before = Self.talking().session.epoch
        let (h, started) = Self.transferring()
        let epoch = h.session.epoch
        #expect(
            started == [
                .setAsideCallee, .play(.transfer, to: .caller), .notify("agent-a", .transfer(.TRANSFERRING, nil)),
                .prepareCallee("agent-b", epoch: epoch),
            ])
        #expect(epoch == before + 1 && h.session.callee == "agent-b" && h.session.transfer?.from == "agent-a")
        var again = h
        #expect(again.handle(.transfer(.agent("agent-c"))) == [.releaseAgent("agent-c")], "one transfer at a time")
        #expect(again.handle(.hold(by: .caller, held: true)) == [], "no hold while the target rings")
    }

    @Test func theTargetAnswersAndTheTransferringAgentLeavesIntoWrapUp() {
        var (h, _) = Self.transferring()
        let epoch = h.session.epoch
        let ringing = h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        #expect(ringing.contains(.offer(to: "agent-b", epoch: epoch)))
        let answered = h.handle(.accepted(by: "agent-b", epoch: epoch))
        #expect(
            Array(answered.prefix(4)) == [
                .bridge, .stopPlaying(.caller), .closeTransferor,
                .recording(.transferred(from: "agent-a", fromQueue: Harness.queue)),
            ], "the recording moves to the new agent once they are bridged")
        #expect(answered.hangups == ["agent-a": "TRANSFERRED"])
        #expect(answered.contains(.notify("agent-a", .transfer(.TRANSFERRED, nil))))
        #expect(answered.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(answered.contains(.agentAnswered(agentId: "agent-b", assignConversation: true)))
        #expect(h.session.record.agentId == "agent-b" && h.session.transfer == nil)
        #expect(h.session.record.answeredAt == Date(timeIntervalSince1970: 1_800_000_000), "the first answer")
        let up = h.handle(.legUp(.callee, epoch: epoch))
        #expect(up.persistedStates == [.ESTABLISHED])
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.hangups == ["agent-b": "NORMAL_HANGUP", "customer-1": "NORMAL_HANGUP"])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-b")) && !ended.contains(.closeTransferor))
    }

    @Test func aDeclineOrARingOutBringsTheCustomerBackToTheTransferringAgent() {
        var (h, _) = Self.transferring()
        let epoch = h.session.epoch
        h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        let declined = h.handle(.declined(by: "agent-b"))
        #expect(declined.contains(.releaseAgent("agent-b")) && declined.contains(.closeCalleeLeg(epoch: epoch)))
        let back = Array(declined.suffix(5))
        #expect(
            back == [
                .restoreTransferor(epoch: epoch + 1), .bridge, .stopPlaying(.caller), .persist(h.session.record),
                .notify("agent-a", .transfer(.TRANSFER_FAILED, .rejected)),
            ])
        #expect(h.session.record.state == .ESTABLISHED, "no longer RINGING for the target")
        #expect(h.session.isAnswered && h.session.callee == "agent-a" && h.session.transfer == nil)

        // Again, to agent C, who lets it ring out.
        h.handle(.transfer(.agent("agent-c")))
        h.handle(.calleeReady(ringSeconds: 30, epoch: h.session.epoch))
        h.advance(30)
        let rangOut = h.handle(.timer)
        #expect(rangOut.contains(.notify("agent-a", .transfer(.TRANSFER_FAILED, .noAnswer))))
        #expect(h.session.callee == "agent-a" && h.session.isAnswered)
    }

    @Test func whenTheTransferringAgentLeftAFailedTransferGoesBackToTheQueue() {
        var (h, _) = Self.transferring()
        let epoch = h.session.epoch
        h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        let left = h.handle(.hungUp(by: "agent-a"))
        #expect(left == [.closeTransferor, .agentCallEnded(agentId: "agent-a")])
        let declined = h.handle(.declined(by: "agent-b"))
        #expect(declined.last == .reserveAgent(queueId: Harness.queue, excluding: [], epoch: epoch + 1))
        #expect(h.session.transfer == nil)
    }

    @Test func theCustomerHangingUpDuringATransferEndsItForEveryone() {
        var (h, _) = Self.transferring()
        h.handle(.calleeReady(ringSeconds: 30, epoch: h.session.epoch))
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP", "agent-b": "CANCELLED", "customer-1": "NORMAL_HANGUP"])
        #expect(ended.contains(.closeTransferor) && ended.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(ended.contains(.releaseAgent("agent-b")))
        #expect(ended.persistedStates == [.FINISHED], "the call was answered")
    }

    @Test func toAQueueTheAgentLeavesAtOnceAndAnEmptyQueueFallsBackToTheOriginal() {
        var h = Self.talking()
        let epoch = h.session.epoch
        let moved = h.handle(.transfer(.queue("queue-2")))
        #expect(
            Array(moved.prefix(3)) == [
                .closeCalleeLeg(epoch: epoch), .play(.transfer, to: .caller),
                .notify("agent-a", .transfer(.TRANSFERRED, nil)),
            ])
        #expect(moved.hangups == ["agent-a": "TRANSFERRED"] && moved.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(moved.last == .reserveAgent(queueId: "queue-2", excluding: ["agent-a"], epoch: epoch + 1))
        #expect(moved.contains(.moveConversation(toQueue: "queue-2")))
        let nobody = h.handle(.agentReserved(nil, canWait: false, epoch: epoch + 1))
        #expect(nobody.first == .moveConversation(toQueue: Harness.queue), "the conversation goes back too")
        #expect(nobody.last == .reserveAgent(queueId: Harness.queue, excluding: [], epoch: epoch + 2))
        #expect(h.session.record.queueId == Harness.queue)
        // There, an agent takes it.
        h.handle(.agentReserved("agent-c", canWait: true, epoch: epoch + 2))
        h.handle(.calleeReady(ringSeconds: 30, epoch: epoch + 2))
        let answered = h.handle(.accepted(by: "agent-c", epoch: epoch + 2))
        #expect(answered.contains(.agentAnswered(agentId: "agent-c", assignConversation: true)))
        #expect(!answered.contains(.closeTransferor))
    }

    @Test func aPhoneCustomerIsNotAnsweredTwiceAndGetsAByeAtTheEnd() {
        var h = Harness.inbound(caller: .phone)
        h.answer("agent-a")
        h.handle(.transfer(.agent("agent-b")))
        h.handle(.calleeReady(ringSeconds: 30, epoch: h.session.epoch))
        let answered = h.handle(.accepted(by: "agent-b", epoch: h.session.epoch))
        #expect(!answered.contains(.phone(.answer)) && !answered.contains(.phone(.ringing)))
        let ended = h.handle(.phoneEnded(reason: "BYE", side: .caller))
        #expect(ended.hangups == ["agent-b": "NORMAL_HANGUP"])
    }

    // MARK: - To a phone number

    static func transferringToNumber(caller: CallSession.PartyKind = .browser) -> Harness {
        var h = Harness.inbound(caller: caller)
        h.answer("agent-a")
        h.handle(.transfer(.number("+15557000")))
        h.handle(.calleeReady(ringSeconds: 45, epoch: h.session.epoch))
        return h
    }

    @Test func aNumberIsDialledAndWhenItAnswersTheAgentLeaves() {
        var h = Harness.inbound()
        h.answer("agent-a")
        let started = h.handle(.transfer(.number("+15557000")))
        #expect(started.last == .prepareCallee("+15557000", epoch: h.session.epoch))
        #expect(h.session.calleeKind == .phone && started.first == .setAsideCallee)
        let ringing = h.handle(.calleeReady(ringSeconds: 45, epoch: h.session.epoch))
        #expect(ringing.last == .phone(.dial))
        #expect(h.handle(.agentUnavailable("+15557000")) == [], "a number is no agent")
        let answered = h.handle(.phoneAnswered(usable: true))
        #expect(
            Array(answered.prefix(4)) == [
                .bridge, .stopPlaying(.caller), .closeTransferor,
                .recording(.transferred(from: "agent-a", fromQueue: Harness.queue)),
            ], "the recording moves to the new agent once they are bridged")
        #expect(
            answered.hangups == ["agent-a": "TRANSFERRED"] && answered.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(!answered.contains { if case .agentAnswered = $0 { true } else { false } })
        #expect(h.session.record.agentId == nil && h.session.transfer == nil)
        let ended = h.handle(.phoneEnded(reason: "BYE", side: .callee))
        #expect(ended.hangups == ["customer-1": "NORMAL_HANGUP"])
        #expect(!ended.contains { if case .agentCallEnded = $0 { true } else { false } }, "the agent left already")
    }

    @Test func aBusyOrSilentNumberBringsTheCustomerBackToTheAgent() {
        var busy = Self.transferringToNumber()
        let refused = busy.handle(.phoneFailed(.busy))
        #expect(refused.first == .closeCalleeLeg(epoch: busy.session.epoch - 1))
        #expect(refused.contains(.notify("agent-a", .transfer(.TRANSFER_FAILED, .busy))))
        #expect(refused.contains(.restoreTransferor(epoch: busy.session.epoch)) && refused.hangups.isEmpty)
        #expect(busy.session.calleeKind == .browser && busy.session.callee == "agent-a" && busy.session.isAnswered)

        var silent = Self.transferringToNumber()
        silent.advance(45)
        let rangOut = silent.handle(.timer)
        #expect(rangOut.hangups == ["callee-phone": "NO_ANSWER"], "the INVITE is cancelled")
        #expect(rangOut.contains(.notify("agent-a", .transfer(.TRANSFER_FAILED, .noAnswer))))
        #expect(silent.session.callee == "agent-a")
    }

    @Test func aTargetWhoseLegCannotBeMadeBringsTheCustomerBackToTheAgent() {
        var number = Harness.inbound()
        number.answer("agent-a")
        number.handle(.transfer(.number("+15557000")))
        let failed = number.handle(.calleeFailed(reason: "no free UDP port", epoch: number.session.epoch))
        #expect(failed.hangups.isEmpty, "the customer is not dropped: \(failed)")
        #expect(failed.contains(.restoreTransferor(epoch: number.session.epoch)) && failed.contains(.bridge))
        #expect(
            failed.contains(
                .notify("agent-a", .transfer(.TRANSFER_FAILED, .mediaFailure.withDescription("no free UDP port")))))
        #expect(
            number.session.callee == "agent-a" && number.session.calleeKind == .browser && number.session.isAnswered)

        var (agent, _) = Self.transferring()
        let refused = agent.handle(.calleeFailed(reason: "no free UDP port", epoch: agent.session.epoch))
        #expect(refused.hangups.isEmpty && refused.contains(.releaseAgent("agent-b")), "\(refused)")
        #expect(agent.session.callee == "agent-a" && agent.session.isAnswered)
    }

    @Test func twoPhonesInOneCallAreToldApart() {
        var h = Self.transferringToNumber(caller: .phone)
        h.handle(.phoneAnswered(usable: true))
        // The phone caller's BYE ends the call for the number (a BYE on the other dialog).
        let ended = h.handle(.phoneEnded(reason: "BYE", side: .caller))
        #expect(ended.hangups == ["callee-phone": "NORMAL_HANGUP"])
        #expect(h.session.phase == .ended)
        // The number's dialog is its own and is forgotten with the call's media state: its BYE
        // must go before `.finish`.
        let bye = ended.firstIndex(of: .phone(.hangup(.normalHangup.withDescription("BYE"), side: .callee)))
        #expect(bye != nil && bye! < ended.firstIndex(of: .finish)!, "\(ended)")
    }
}
