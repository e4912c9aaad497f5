import ContactCenter
import Foundation
import Testing

@testable import Calls

/// What a waiting caller hears, on a fake clock: the strategy plays from the first wait until an
/// agent answers; at the maximum wait its message plays and the call ends.
@Suite struct WaitingStrategyTests {
    static let limits = WaitingLimits(maximumWaitSeconds: 60, maximumWaitMessageSeconds: 3)

    /// An inbound call that found every agent busy and learned its strategy.
    static func waiting(caller: CallSession.PartyKind) -> (Harness, [CallEffect]) {
        var h = Harness.inbound(caller: caller)
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        h.advance(0.2)
        let effects = h.handle(.waitingReady(limits))
        return (h, effects)
    }

    @Test func aBrowserCallerIsToldItIsQueuedAndHearsTheWaitOnceItsMediaIsUp() {
        var (h, ready) = Self.waiting(caller: .browser)
        #expect(ready == [.notify("customer-1", .queued)], "its media is not up yet: nothing plays")
        #expect(h.handle(.legUp(.caller, epoch: 0)) == [.play(.waiting, to: .caller)])
        #expect(h.handle(.legUp(.caller, epoch: 0)) == [], "played once")
        // An agent frees up, rings and answers: the wait stops right after the media connect.
        h.handle(.retryRouting)
        h.ring("agent-a")
        let answered = h.handle(.accepted(by: "agent-a", epoch: h.session.epoch))
        #expect(Array(answered.prefix(2)) == [.bridge, .stopPlaying(.caller)])
        #expect(h.session.nextDeadline == nil, "an answered call has no waiting deadline")
    }

    @Test func aPhoneCallerIsAnsweredToHearTheWaitAndNotAnsweredAgain() {
        var (h, ready) = Self.waiting(caller: .phone)
        #expect(ready == [.phone(.answer), .play(.waiting, to: .caller)], "a trunk's media is up from the start")
        h.handle(.retryRouting)
        h.handle(.agentReserved("agent-a", canWait: true, epoch: 1))
        let ringing = h.handle(.calleeReady(ringSeconds: 30, epoch: 1))
        #expect(!ringing.contains(.phone(.ringing)), "no 180 after the 200")
        let answered = h.handle(.accepted(by: "agent-a", epoch: 1))
        #expect(answered.contains(.stopPlaying(.caller)) && !answered.contains(.phone(.answer)))
    }

    @Test func atTheMaximumWaitTheMessagePlaysThenTheCallEnds() {
        var (h, _) = Self.waiting(caller: .phone)
        #expect(h.session.nextDeadline == Date(timeIntervalSince1970: 1_800_000_060), "from the first wait")
        h.advance(59.7)
        #expect(h.handle(.timer) == [])
        // An agent rings when the time is up: the offer is withdrawn.
        h.handle(.retryRouting)
        h.handle(.agentReserved("agent-a", canWait: true, epoch: 1))
        h.handle(.calleeReady(ringSeconds: 30, epoch: 1))
        h.advance(0.1)
        let leaving = h.handle(.timer)
        #expect(leaving.hangups == ["agent-a": "CANCELLED"])
        #expect(leaving.contains(.releaseAgent("agent-a")) && leaving.contains(.closeCalleeLeg(epoch: 1)))
        #expect(leaving.last == .play(.maximumWaitMessage, to: .caller))
        #expect(h.handle(.retryRouting) == [], "no more agents are asked")
        #expect(h.handle(.agentReserved("agent-b", canWait: true, epoch: 1)) == [.releaseAgent("agent-b")])
        #expect(h.handle(.accepted(by: "agent-a", epoch: 1)) == [], "the withdrawn offer cannot be answered")
        h.advance(2.9)
        #expect(h.handle(.timer) == [])
        h.advance(0.1)
        let ended = h.handle(.timer)
        #expect(ended.hangups == ["phone": "MAXIMUM_WAIT_TIME_REACHED"], "a BYE: the phone was answered")
        #expect(ended.persistedStates == [.NO_ANSWER] && ended.first == .finish)
    }

    @Test func withoutAMessageTheCallEndsAtTheMaximumWait() {
        var h = Harness.inbound()
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        h.handle(.waitingReady(WaitingLimits(maximumWaitSeconds: 30, maximumWaitMessageSeconds: 0)))
        h.advance(30)
        #expect(h.handle(.timer).hangups == ["customer-1": "MAXIMUM_WAIT_TIME_REACHED"])
    }

    @Test func aStrategyLearnedAfterTheAnswerOrTwiceChangesNothing() {
        var h = Harness.inbound()
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        h.handle(.retryRouting)
        h.ring("agent-a")
        h.handle(.accepted(by: "agent-a", epoch: h.session.epoch))
        #expect(h.handle(.waitingReady(Self.limits)) == [])
        var (w, _) = Self.waiting(caller: .browser)
        #expect(w.handle(.waitingReady(Self.limits)) == [])
        // A call that never waited asks for no strategy.
        var direct = Harness.inbound()
        direct.handle(.start)
        #expect(!direct.handle(.agentReserved("agent-a", canWait: true, epoch: 1)).contains(.prepareWaiting))
    }

    @Test func outsideWorkingHoursAPhoneIsAnsweredToHearTheAwayMessageThenGetsABye() {
        var h = Harness.inbound(caller: .phone)
        h.handle(.start)
        let closed = h.handle(.queueClosed(epoch: 1, awayMessageSeconds: 2.5))
        #expect(closed == [.phone(.answer), .play(.awayMessage, to: .caller)])
        #expect(h.handle(.agentReserved("agent-a", canWait: true, epoch: 1)) == [.releaseAgent("agent-a")])
        h.advance(2.4)
        #expect(h.handle(.timer) == [])
        h.advance(0.1)
        let ended = h.handle(.timer)
        #expect(ended.hangups == ["phone": "OUTSIDE_WORKING_HOURS"], "a BYE: the phone was answered")
        #expect(ended.persistedStates == [.NO_ANSWER])
    }

    @Test func aBrowserCallerHearsTheAwayMessageOnceItsMediaIsUpOrTheCallEndsAnyway() {
        var h = Harness.inbound()
        h.handle(.start)
        #expect(h.handle(.queueClosed(epoch: 1, awayMessageSeconds: 2)) == [], "its media is not up yet")
        h.advance(1)
        #expect(h.handle(.legUp(.caller, epoch: 0)) == [.play(.awayMessage, to: .caller)])
        h.advance(1.9)
        #expect(h.handle(.timer) == [])
        h.advance(0.1)
        #expect(h.handle(.timer).hangups == ["customer-1": "OUTSIDE_WORKING_HOURS"])
        // Media that never come up: the call ends after the message's length and the grace.
        var stuck = Harness.inbound()
        stuck.handle(.start)
        stuck.handle(.queueClosed(epoch: 1, awayMessageSeconds: 2))
        stuck.advance(2 + CallSession.farewellMediaGrace)
        #expect(stuck.handle(.timer).hangups == ["customer-1": "OUTSIDE_WORKING_HOURS"])
    }
}
