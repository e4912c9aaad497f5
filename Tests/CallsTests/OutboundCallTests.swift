import ContactCenter
import Foundation
import Testing

@testable import Calls

@Suite struct OutboundCallTests {
    @Test func anAgentCallsAnInAppIdentity() {
        var h = Harness.outbound(to: "customer-9", kind: .browser)
        #expect(h.handle(.start) == [.prepareCallee("customer-9", epoch: 1)])
        let ringing = h.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        #expect(ringing.first == .offer(to: "customer-9", epoch: 1))
        #expect(ringing.contains(.notify("agent-a", .ringing)))
        let answered = h.handle(.accepted(by: "customer-9", epoch: 1))
        #expect(answered.contains(.agentAnswered(agentId: "agent-a", assignConversation: false)))
        h.handle(.legUp(.caller, epoch: 0))
        h.handle(.legUp(.callee, epoch: 1))
        #expect(h.session.record.state == .ESTABLISHED)
        let ended = h.handle(.hungUp(by: "customer-9"))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP", "customer-9": "NORMAL_HANGUP"])
    }

    @Test func aDeclineOrRingOutEndsADirectCall() {
        var declined = Harness.outbound(to: "customer-9", kind: .browser)
        declined.handle(.start)
        declined.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        let refusal = declined.handle(.declined(by: "customer-9"))
        #expect(refusal.hangups == ["customer-9": "REJECTED", "agent-a": "REJECTED"])
        #expect(!refusal.contains { if case .releaseAgent = $0 { true } else { false } }, "no agent was reserved")

        var unanswered = Harness.outbound(to: "customer-9", kind: .browser)
        unanswered.handle(.start)
        unanswered.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        unanswered.advance(45)
        #expect(unanswered.handle(.timer).hangups == ["customer-9": "NO_ANSWER", "agent-a": "NO_ANSWER"])
    }

    @Test func anOfferNobodyReceivesEndsWithDestinationNotFound() {
        var h = Harness.outbound(to: "customer-9", kind: .browser)
        h.handle(.start)
        h.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        let ended = h.handle(.offerUndelivered(epoch: 1))
        #expect(ended.first == .closeCalleeLeg(epoch: 1))
        #expect(ended.hangups == ["agent-a": "DESTINATION_NOT_FOUND"])
    }

    @Test func aPhoneNumberIsDialledPlaysEarlyMediaAndAnswers() {
        var h = Harness.outbound(to: "+4930999", kind: .phone)
        h.handle(.start)
        let dial = h.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        #expect(dial.persistedStates == [.CALLING])
        #expect(dial.last == .phone(.dial))
        #expect(h.handle(.phoneProgress(earlyMedia: false)).contains(.notify("agent-a", .ringing)))
        let early = h.handle(.phoneProgress(earlyMedia: true))
        #expect(early.first == .bridge)
        #expect(early.contains(.notify("agent-a", .earlyMedia)))
        #expect(h.handle(.phoneProgress(earlyMedia: true)).first != .bridge, "one bridge for early media")
        let answered = h.handle(.phoneAnswered(usable: true))
        #expect(answered.first == .bridge, "bridged again: the 200's codec may differ from the 183's")
        #expect(answered.contains(.agentAnswered(agentId: "agent-a", assignConversation: false)))
        let up = h.handle(.legUp(.caller, epoch: 0))
        #expect(up == [.recording(.established), .persist(h.session.record), .notify("agent-a", .established)])
        let ended = h.handle(.phoneEnded(reason: "BYE from the far end", side: .callee))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP"])
        #expect(h.session.record.hangupCode?.description == "BYE from the far end")
        #expect(ended.contains(.agentCallEnded(agentId: "agent-a")))
    }

    @Test func aPhoneThatRefusesRingsOutOrAnswersBadlyEndsTheCall() {
        var busy = Harness.outbound(to: "+4930999", kind: .phone)
        busy.handle(.start)
        busy.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        let refused = busy.handle(.phoneFailed(.busy))
        #expect(refused.hangups == ["agent-a": "BUSY"])
        #expect(refused.persistedStates == [.BUSY])

        var silent = Harness.outbound(to: "+4930999", kind: .phone)
        silent.handle(.start)
        silent.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        silent.advance(45)
        #expect(silent.handle(.timer).hangups == ["agent-a": "NO_ANSWER", "callee-phone": "NO_ANSWER"])

        var garbled = Harness.outbound(to: "+4930999", kind: .phone)
        garbled.handle(.start)
        garbled.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        #expect(
            garbled.handle(.phoneAnswered(usable: false)).hangups == [
                "agent-a": "MEDIA_FAILURE", "callee-phone": "MEDIA_FAILURE",
            ])
    }

    @Test func theAgentHangingUpWhileThePhoneRingsCancelsIt() {
        var h = Harness.outbound(to: "+4930999", kind: .phone)
        h.handle(.start)
        h.handle(.calleeReady(ringSeconds: 45, epoch: 1))
        let ended = h.handle(.hungUp(by: "agent-a"))
        #expect(ended.hangups == ["agent-a": "CANCELLED", "callee-phone": "CANCELLED"])
        #expect(ended.persistedStates == [.CANCELLED])
    }

    @Test func aLegThatCannotBeMadeFailsTheCall() {
        var h = Harness.outbound(to: "customer-9", kind: .browser)
        h.handle(.start)
        #expect(h.handle(.calleeFailed(reason: "no port", epoch: 1)).hangups == ["agent-a": "MEDIA_FAILURE"])
    }
}
