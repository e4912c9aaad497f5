import ContactCenter
import Foundation
import Testing

@testable import Calls

@Suite struct InboundCallTests {
    @Test func aCustomerReachesAnAgentTalksAndHangsUp() {
        var h = Harness.inbound()
        #expect(h.handle(.start) == [.reserveAgent(queueId: Harness.queue, excluding: [], epoch: 1)])
        #expect(h.handle(.agentReserved("agent-a", canWait: true, epoch: 1)) == [.prepareCallee("agent-a", epoch: 1)])
        let ringing = h.handle(.calleeReady(ringSeconds: 30, epoch: 1))
        #expect(Array(ringing.prefix(2)) == [.offer(to: "agent-a", epoch: 1), .notify("customer-1", .ringing)])
        #expect(ringing.persistedStates == [.RINGING])
        #expect(h.session.nextDeadline == h.now.addingTimeInterval(30))

        h.advance(4)
        let answered = h.handle(.accepted(by: "agent-a", epoch: 1))
        #expect(answered.first == .bridge)
        #expect(answered.contains(.agentAnswered(agentId: "agent-a", assignConversation: true)))
        #expect(answered.persistedStates == [.PRE_ESTABLISHED])
        #expect(h.session.record.agentId == "agent-a")
        #expect(h.session.record.answeredAt == h.now)
        #expect(h.session.nextDeadline == nil, "an answered call has no ring deadline")

        #expect(h.handle(.legUp(.caller, epoch: 0)) == [])
        let up = h.handle(.legUp(.callee, epoch: 1))
        #expect(up.persistedStates == [.ESTABLISHED])
        #expect(up.contains(.notify("customer-1", .established)) && up.contains(.notify("agent-a", .established)))

        h.advance(60)
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.first == .finish)
        #expect(ended.hangups == ["customer-1": "NORMAL_HANGUP", "agent-a": "NORMAL_HANGUP"])
        #expect(ended.persistedStates == [.FINISHED])
        let wrapUp = ended.firstIndex(of: .agentCallEnded(agentId: "agent-a"))
        let told = ended.firstIndex(of: .notify("agent-a", .hangup(.normalHangup)))
        #expect(wrapUp != nil && told != nil && wrapUp! < told!, "wrap-up runs before the agent hears the hang-up")
        #expect(h.session.phase == .ended)
        #expect(h.handle(.hungUp(by: "agent-a")) == [], "an ended call takes no more input")
    }

    @Test func aDeclinePassesTheCallOnAndTheLastOneRejectsIt() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        let declined = h.handle(.declined(by: "agent-a"))
        #expect(
            declined == [
                .notify("agent-a", .hangup(.rejected)), .closeCalleeLeg(epoch: 1), .releaseAgent("agent-a"),
                .reserveAgent(queueId: Harness.queue, excluding: ["agent-a"], epoch: 2),
            ])
        h.ring("agent-b")
        let second = h.handle(.hungUp(by: "agent-b"))
        #expect(second.last == .reserveAgent(queueId: Harness.queue, excluding: ["agent-a", "agent-b"], epoch: 3))
        let ended = h.handle(.agentReserved(nil, canWait: false, epoch: 3))
        #expect(ended.hangups == ["customer-1": "REJECTED"])
        #expect(ended.persistedStates == [.FAILED])
    }

    @Test func aRingOutPassesTheCallOnAtTheDeadlineOnly() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a", ringSeconds: 10)
        h.advance(9.9)
        #expect(h.handle(.timer) == [])
        h.advance(0.1)
        let rangOut = h.handle(.timer)
        #expect(rangOut.hangups == ["agent-a": "NO_ANSWER"])
        #expect(rangOut.contains(.releaseAgent("agent-a")))
        #expect(rangOut.contains(.agentMissedOffer("agent-a")), "counted towards the agent's missed offers")
        #expect(rangOut.last == .reserveAgent(queueId: Harness.queue, excluding: ["agent-a"], epoch: 2))
        // Nobody else is signed in: the caller hears why the last offer failed.
        let ended = h.handle(.agentReserved(nil, canWait: false, epoch: 2))
        #expect(ended.hangups == ["customer-1": "NO_ANSWER"])
        #expect(ended.persistedStates == [.NO_ANSWER])
    }

    @Test func withNobodySignedInTheCallEndsAtOnce() {
        var h = Harness.inbound()
        h.handle(.start)
        let ended = h.handle(.agentReserved(nil, canWait: false, epoch: 1))
        #expect(ended.hangups == ["customer-1": "NO_AVAILABLE_AGENT"])
        #expect(ended.persistedStates == [.NO_ANSWER])
    }

    @Test func withEveryAgentBusyTheCallerWaitsUntilOneIsFree() {
        var h = Harness.inbound()
        h.handle(.start)
        #expect(h.handle(.agentReserved(nil, canWait: true, epoch: 1)) == [.prepareWaiting])
        #expect(h.handle(.waitingReady(nil)) == [], "no waiting strategy applies: silence")
        #expect(h.session.phase == .waiting)
        #expect(h.session.nextDeadline == nil)
        h.advance(120)
        #expect(h.handle(.timer) == [], "waiting has no deadline of its own")
        #expect(h.handle(.retryRouting) == [.reserveAgent(queueId: Harness.queue, excluding: [], epoch: 1)])
        #expect(h.handle(.agentReserved(nil, canWait: true, epoch: 1)) == [], "still nobody free: it keeps waiting")
        #expect(h.handle(.agentReserved("agent-b", canWait: true, epoch: 1)) == [.prepareCallee("agent-b", epoch: 1)])
        #expect(h.handle(.retryRouting) == [], "only a waiting call asks again")
    }

    @Test func aWaitingCallEndsWhenItsLastSignedInAgentLeaves() {
        var h = Harness.inbound()
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        h.handle(.retryRouting)
        let ended = h.handle(.agentReserved(nil, canWait: false, epoch: 1))
        #expect(ended.hangups == ["customer-1": "NO_AVAILABLE_AGENT"])
    }

    @Test func aPhoneCallerHearsRingbackWhileWaitingAndIsAnsweredWithA200() {
        var h = Harness.inbound(caller: .phone)
        h.handle(.start)
        #expect(h.handle(.agentReserved(nil, canWait: true, epoch: 1)) == [.phone(.ringing), .prepareWaiting])
        #expect(h.handle(.waitingReady(nil)) == [], "without a strategy the phone keeps hearing ringback")
        h.handle(.retryRouting)
        h.handle(.agentReserved("agent-a", canWait: true, epoch: 1))
        let ringing = h.handle(.calleeReady(ringSeconds: 30, epoch: 1))
        #expect(ringing.contains(.phone(.ringing)) && !ringing.contains(.notify("+4930123", .ringing)))
        let answered = h.handle(.accepted(by: "agent-a", epoch: 1))
        #expect(answered.contains(.phone(.answer)))
        let up = h.handle(.legUp(.callee, epoch: 1))
        #expect(up.persistedStates == [.ESTABLISHED], "a phone caller's media is up from the start")
        #expect(up.contains(.notify("agent-a", .established)) && up.count == 3)
        #expect(up.first == .recording(.established), "the recording starts first once the call is established")
        // The phone sends a digit in an INFO or RFC 4733: the agent is told; the agent's digit
        // is heard by the phone in its media, not told.
        #expect(h.handle(.dtmf(from: .caller, digit: "5")) == [.notify("agent-a", .dtmf("5"))])
        #expect(h.handle(.dtmf(from: .callee, digit: "7")) == [])
        let ended = h.handle(.phoneEnded(reason: "BYE", side: .caller))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP"])
    }

    @Test func aPhoneCallerRefusedBeforeAnAnswerGetsASIPStatus() {
        var h = Harness.inbound(caller: .phone)
        h.handle(.start)
        let ended = h.handle(.agentReserved(nil, canWait: false, epoch: 1))
        #expect(ended.hangups == ["phone": "SIP 480"])
        var cancelled = Harness.inbound(caller: .phone)
        cancelled.handle(.start)
        cancelled.ring("agent-a")
        let cancel = cancelled.handle(.phoneCancelled)
        #expect(cancel.hangups == ["agent-a": "CANCELLED"])
        #expect(cancel.contains(.releaseAgent("agent-a")))
        #expect(cancel.persistedStates == [.CANCELLED])
    }

    @Test func theCallerHangingUpWhileAnAgentRingsCancelsTheOffer() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.hangups == ["customer-1": "CANCELLED", "agent-a": "CANCELLED"])
        #expect(ended.contains(.releaseAgent("agent-a")))
        #expect(
            ended.persistedStates == [.CANCELLED] && h.session.record.hangupCode?.id == 10202, "record and frames agree"
        )
        #expect(!ended.contains(.agentCallEnded(agentId: "agent-a")), "the agent never had the call")
    }

    @Test func aWaitingCallerWhoHangsUpTellsNoAgent() {
        var h = Harness.inbound()
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.hangups == ["customer-1": "CANCELLED"])
        #expect(!ended.contains { if case .releaseAgent = $0 { true } else { false } })
    }
}

@Suite struct ClosedQueueTests {
    @Test func aCallArrivingOutsideWorkingHoursEndsWithItsOwnCode() {
        var h = Harness.inbound(caller: .phone)
        h.handle(.start)
        #expect(h.handle(.queueClosed(epoch: 2, awayMessageSeconds: 0)) == [], "a stale answer changes nothing")
        let ended = h.handle(.queueClosed(epoch: 1, awayMessageSeconds: 0))
        #expect(ended.hangups == ["phone": "SIP 480"])
        #expect(h.session.record.hangupCode == .outsideWorkingHours)
        #expect(ended.persistedStates == [.NO_ANSWER])
    }
}
