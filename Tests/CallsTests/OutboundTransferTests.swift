import ContactCenter
import Foundation
import Testing

@testable import Calls

/// An agent's outbound call handed on: the call turns round (the customer becomes the caller,
/// the agent the callee) before the transfer or consultation, which then runs as for an inbound
/// call; the record keeps its direction, caller and callee.
@Suite struct OutboundTransferTests {
    /// Agent A called `customer` (a phone number or an in-app identity), who answered.
    static func talking(to customer: String = "+4930999", kind: CallSession.PartyKind = .phone) -> Harness {
        var h = Harness.outbound(to: customer, kind: kind)
        h.handle(.start)
        h.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        if kind == .phone {
            h.handle(.phoneAnswered(usable: true))
        } else {
            h.handle(.accepted(by: customer, epoch: 1))
        }
        h.handle(.legUp(.caller, epoch: 0))
        h.handle(.legUp(.callee, epoch: 1))
        return h
    }

    @Test func theCallTurnsRoundThenTheTargetRingsAndTakesTheCustomer() {
        var h = Self.talking()
        #expect(h.session.record.state == .ESTABLISHED && h.session.agentSide == .caller)
        let started = h.handle(.transfer(.agent("agent-b")))
        let epoch = h.session.epoch
        #expect(
            started == [
                .exchangeSides(epoch: epoch - 1), .setAsideCallee, .play(.transfer, to: .caller),
                .notify("agent-a", .transfer(.TRANSFERRING, nil)), .prepareCallee("agent-b", epoch: epoch),
            ])
        #expect(h.session.caller == "+4930999" && h.session.callerKind == .phone && h.session.customerIsCaller)
        #expect(h.session.callee == "agent-b" && h.session.agentSide == .callee)
        #expect(h.session.record.caller == "agent-a" && h.session.record.direction == "OUTBOUND", "the record stays")
        #expect(h.session.mediaUp == [.caller], "the customer's media stay up; the target's leg is new")

        let ringing = h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        #expect(ringing.contains(.offer(to: "agent-b", epoch: epoch)))
        #expect(!ringing.contains(.phone(.ringing)), "the phone answered long ago: no 180 in its dialog")
        let answered = h.handle(.accepted(by: "agent-b", epoch: epoch))
        #expect(
            Array(answered.prefix(4)) == [
                .bridge, .stopPlaying(.caller), .closeTransferor,
                .recording(.transferred(from: "agent-a", fromQueue: Harness.queue)),
            ])
        #expect(answered.hangups == ["agent-a": "TRANSFERRED"])
        #expect(answered.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(answered.contains(.agentAnswered(agentId: "agent-b", assignConversation: true)))
        #expect(!answered.contains(.phone(.answer)), "the phone is not answered twice")
        #expect(h.session.record.agentId == "agent-b")

        let ended = h.handle(.phoneEnded(reason: "BYE", side: .caller))
        #expect(ended.hangups == ["agent-b": "NORMAL_HANGUP"])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-b")))
        #expect(ended.persistedStates == [.FINISHED])
    }

    @Test func aDeclineBringsTheCustomerBackToTheAgentWhoPlacedTheCall() {
        var h = Self.talking()
        h.handle(.transfer(.agent("agent-b")))
        let epoch = h.session.epoch
        h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        let declined = h.handle(.declined(by: "agent-b"))
        #expect(declined.contains(.releaseAgent("agent-b")), "the target was held for the call")
        #expect(declined.contains(.restoreTransferor(epoch: epoch + 1)))
        #expect(declined.contains(.notify("agent-a", .transfer(.TRANSFER_FAILED, .rejected))))
        #expect(h.session.callee == "agent-a" && h.session.isAnswered && h.session.transfer == nil)

        // The call stays turned round: A holds it from the callee side and hangs up from there.
        #expect(h.handle(.hold(by: .callee, held: true)).contains(.phone(.hold(true))))
        h.handle(.hold(by: .callee, held: false))
        let ended = h.handle(.hungUp(by: "agent-a"))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP", "phone": "NORMAL_HANGUP"])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-a")))
    }

    @Test func toAQueueTheCustomerIsRoutedThere() {
        var h = Self.talking(to: "customer-9", kind: .browser)
        let before = h.session.epoch
        let moved = h.handle(.transfer(.queue("queue-2")))
        #expect(moved.first == .exchangeSides(epoch: before + 1))
        #expect(moved.contains(.closeCalleeLeg(epoch: before + 1)), "the agent's leg, under its new epoch")
        #expect(moved.hangups == ["agent-a": "TRANSFERRED"])
        #expect(moved.last == .reserveAgent(queueId: "queue-2", excluding: ["agent-a"], epoch: before + 2))
        h.handle(.agentReserved("agent-c", canWait: true, epoch: before + 2))
        h.handle(.calleeReady(ringSeconds: 30, epoch: before + 2))
        let answered = h.handle(.accepted(by: "agent-c", epoch: before + 2))
        #expect(answered.contains(.agentAnswered(agentId: "agent-c", assignConversation: true)))
        let ended = h.handle(.hungUp(by: "customer-9"))
        #expect(ended.hangups == ["agent-c": "NORMAL_HANGUP", "customer-9": "NORMAL_HANGUP"])
    }

    @Test func aConsultationTurnsTheCallRoundAndCompletes() {
        var h = Self.talking(to: "customer-9", kind: .browser)
        let started = h.handle(.consult(agent: "agent-b", queueId: nil))
        let consultation = h.session.consultation!.epoch
        #expect(
            started == [
                .exchangeSides(epoch: h.session.epoch), .holdMedia(true), .play(.hold, to: .caller),
                .prepareConsultee("agent-b", epoch: consultation), .notify("agent-a", .transfer(.CONSULTING, nil)),
            ])
        h.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: consultation))
        h.handle(.consulteeAnswered(epoch: consultation))
        let completed = h.handle(.consultAction(.COMPLETE))
        #expect(completed.contains(.assignConversation("agent-b")))
        #expect(completed.hangups == ["agent-a": "TRANSFERRED"])
        #expect(h.session.callee == "agent-b" && h.session.caller == "customer-9")
    }

    @Test func nothingTurnsRoundBeforeTheAnswerOrTwice() {
        var ringing = Harness.outbound(to: "+4930999", kind: .phone)
        ringing.handle(.start)
        ringing.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        #expect(ringing.handle(.transfer(.agent("agent-b"))) == [.releaseAgent("agent-b")])
        #expect(!ringing.session.customerIsCaller)

        var h = Self.talking()
        h.handle(.transfer(.agent("agent-b")))
        let epoch = h.session.epoch
        h.handle(.calleeReady(ringSeconds: 30, epoch: epoch))
        h.handle(.declined(by: "agent-b"))
        let again = h.handle(.transfer(.agent("agent-c")))
        #expect(!again.contains { if case .exchangeSides = $0 { true } else { false } }, "turned round once")
        #expect(again.first == .setAsideCallee)
    }

    @Test func aHeldPhoneIsResumedBeforeItIsHandedOn() {
        var h = Self.talking()
        #expect(h.handle(.hold(by: .caller, held: true)).contains(.phone(.hold(true))))
        let started = h.handle(.transfer(.agent("agent-b")))
        let epoch = h.session.epoch
        #expect(
            Array(started.prefix(5)) == [
                .exchangeSides(epoch: epoch - 1), .holdMedia(false), .phone(.hold(false)), .stopPlaying(.caller),
                .setAsideCallee,
            ], "turned round, then resumed: the phone would not send to the target while held")
        #expect(h.session.heldBy == nil)

        var inbound = Harness.inbound(caller: .phone)
        inbound.answer("agent-a")
        inbound.handle(.hold(by: .callee, held: true))
        let consulting = inbound.handle(.consult(agent: "agent-b", queueId: nil))
        #expect(Array(consulting.prefix(3)) == [.holdMedia(false), .phone(.hold(false)), .stopPlaying(.caller)])
        #expect(consulting.contains(.play(.hold, to: .caller)), "the gateway's hold music while consulting")
    }
}
