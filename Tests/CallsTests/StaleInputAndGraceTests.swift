import ContactCenter
import Foundation
import Testing

@testable import Calls

/// Results that arrive after the call moved on, and the graces of answered calls.
@Suite struct StaleInputAndGraceTests {
    @Test func anAgentReservedForAnOldAttemptIsGivenBack() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        h.handle(.declined(by: "agent-a"))
        #expect(h.handle(.agentReserved("agent-c", canWait: true, epoch: 1)) == [.releaseAgent("agent-c")])
        #expect(h.session.phase == .routing, "the stale answer changed nothing")
    }

    @Test func aLegMadeForAWithdrawnOfferIsClosed() {
        var h = Harness.inbound()
        h.handle(.start)
        h.handle(.agentReserved("agent-a", canWait: true, epoch: 1))
        // The agent's socket drops while its leg is being made: the call moves on to another agent.
        let moved = h.handle(.signalingLost("agent-a"))
        #expect(moved.last == .reserveAgent(queueId: Harness.queue, excluding: ["agent-a"], epoch: 2))
        #expect(h.handle(.calleeReady(ringSeconds: 30, epoch: 1)) == [.closeCalleeLeg(epoch: 1)])
        #expect(h.handle(.accepted(by: "agent-a", epoch: 1)) == [], "an answer for an old offer is refused")
        #expect(h.handle(.legUp(.callee, epoch: 1)) == [])
        #expect(h.handle(.legFailed(.callee, reason: "old leg", epoch: 1)) == [])
        #expect(h.session.phase == .routing)
    }

    @Test func anAnswerFromSomeoneElseOrTwiceIsRefused() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        #expect(h.handle(.accepted(by: "agent-b", epoch: 1)) == [])
        #expect(h.handle(.accepted(by: "agent-a", epoch: 1)).first == .bridge)
        #expect(h.handle(.accepted(by: "agent-a", epoch: 1)) == [])
    }

    @Test func theRingingAgentBecomingUnavailablePassesTheCallOn() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        #expect(h.handle(.agentUnavailable("agent-b")) == [], "only the agent being rung counts")
        let moved = h.handle(.agentUnavailable("agent-a"))
        #expect(moved.hangups == ["agent-a": "NO_ANSWER"])
        #expect(!moved.contains(.agentMissedOffer("agent-a")), "an agent who went away did not miss the offer")
        #expect(moved.last == .reserveAgent(queueId: Harness.queue, excluding: ["agent-a"], epoch: 2))
    }

    @Test func anAnsweredCallWaitsTheGraceForALostPartyAndEndsAfterIt() {
        var h = Harness.inbound(grace: 20)
        h.answer("agent-a")
        #expect(h.handle(.signalingLost("agent-a")) == [])
        #expect(h.session.nextDeadline == h.now.addingTimeInterval(20))
        h.advance(10)
        #expect(h.handle(.timer) == [])
        h.handle(.signalingResumed("agent-a"))
        #expect(h.session.nextDeadline == nil, "back in time: nothing is due")
        h.handle(.signalingLost("agent-a"))
        h.advance(20)
        let ended = h.handle(.timer)
        #expect(ended.hangups == ["customer-1": "SIGNALING_LOST", "agent-a": "SIGNALING_LOST"])
        #expect(ended.persistedStates == [.FINISHED])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-a")))
    }

    @Test func withoutGraceALostCallerEndsTheCallAtOnce() {
        var h = Harness.inbound(grace: 0)
        h.answer("agent-a")
        let ended = h.handle(.signalingLost("customer-1"))
        #expect(ended.hangups == ["agent-a": "NORMAL_HANGUP"])
        var agentLost = Harness.inbound(grace: 0)
        agentLost.answer("agent-a")
        #expect(agentLost.handle(.signalingLost("agent-a")).hangups == ["customer-1": "SIGNALING_LOST"])
    }

    @Test func closedMediaWaitsOneSecondForTheHangUp() {
        var h = Harness.inbound()
        h.answer("agent-a")
        #expect(h.handle(.legClosedByPeer(.caller, epoch: 0)) == [])
        h.advance(0.5)
        #expect(h.handle(.timer) == [])
        // The browser's call.hangup arrives after its close_notify: a normal hang-up.
        #expect(h.handle(.hungUp(by: "customer-1")).hangups["agent-a"] == "NORMAL_HANGUP")

        var silent = Harness.inbound()
        silent.answer("agent-a")
        silent.handle(.legClosedByPeer(.callee, epoch: 1))
        silent.advance(1)
        let ended = silent.handle(.timer)
        #expect(ended.hangups == ["customer-1": "MEDIA_FAILURE", "agent-a": "MEDIA_FAILURE"])
    }

    @Test func aFailedLegOrBridgeEndsTheCallWithMediaFailure() {
        var h = Harness.inbound()
        h.answer("agent-a")
        let ended = h.handle(.legFailed(.caller, reason: "ICE consent lost", epoch: 0))
        #expect(ended.hangups == ["customer-1": "MEDIA_FAILURE", "agent-a": "MEDIA_FAILURE"])
        #expect(h.session.record.hangupCode?.description == "ICE consent lost")

        var bridge = Harness.inbound()
        bridge.handle(.start)
        bridge.ring("agent-a")
        bridge.handle(.accepted(by: "agent-a", epoch: 1))
        #expect(bridge.handle(.bridgeFailed(reason: "no codec")).hangups.count == 2)
    }
}
