import ContactCenter
import Foundation
import Testing

@testable import Calls

/// Callbacks on a fake clock: the key during the announcement, the confirmation and the end of
/// the call; then the callback's own call, which reaches the customer before an agent rings.
@Suite struct CallbackTests {
    static var limits: WaitingLimits {
        var limits = WaitingLimits(maximumWaitSeconds: 300, maximumWaitMessageSeconds: 0)
        limits.callbackCodes = ["1", "*2"]
        limits.collectSeconds = 5
        limits.callbackConfirmationSeconds = 2
        return limits
    }

    /// A phone caller waiting with a strategy that takes callback keys, hearing it.
    static func waiting(_ limits: WaitingLimits = limits) -> Harness {
        var h = Harness.inbound(caller: .phone)
        h.handle(.start)
        h.handle(.agentReserved(nil, canWait: true, epoch: 1))
        h.handle(.waitingReady(limits))
        return h
    }

    @Test func aKeyDuringTheAnnouncementPlaysTheConfirmationThenEndsTheCallKeepingThePlace() {
        var h = Self.waiting()
        #expect(h.handle(.dtmf(from: .caller, digit: "1")) == [], "before any announcement the key is not taken")
        h.advance(10)
        h.handle(.announcement(playing: true))
        h.advance(1)
        let asked = h.handle(.dtmf(from: .caller, digit: "1"))
        guard case .requestCallback(let record, let keys) = asked.first else {
            Issue.record("no callback requested: \(asked)")
            return
        }
        #expect(record.conversationId == "conv-1" && keys == "1")
        #expect(asked.last == .play(.callbackConfirmation, to: .caller))
        #expect(h.handle(.retryRouting) == [], "it no longer asks for agents")
        #expect(h.handle(.dtmf(from: .caller, digit: "1")) == [], "asked once")
        h.advance(2)
        let ended = h.handle(.timer)
        #expect(ended.hangups == ["phone": "CALLBACK_REQUESTED"], "the phone gets a BYE")
        #expect(ended.persistedStates == [.NO_ANSWER] && h.session.record.hangupCode?.id == 10209)
    }

    @Test func keysAreTakenUntilTheCollectDurationAfterTheAnnouncementAndMayBeSeveral() {
        var h = Self.waiting()
        h.handle(.announcement(playing: true))
        h.advance(3)
        h.handle(.announcement(playing: false))
        h.advance(4.5)
        #expect(h.handle(.dtmf(from: .caller, digit: "*")) == [], "within the collect duration: kept")
        let asked = h.handle(.dtmf(from: .caller, digit: "2"))
        #expect(asked.contains(.requestCallback(h.session.record, keys: "*2")))

        var late = Self.waiting()
        late.handle(.announcement(playing: true))
        late.handle(.announcement(playing: false))
        late.advance(5.5)
        #expect(late.handle(.dtmf(from: .caller, digit: "1")) == [], "after the collect duration: ignored")
        late.handle(.announcement(playing: true))
        #expect(
            late.handle(.dtmf(from: .caller, digit: "1")).contains {
                if case .requestCallback = $0 { true } else { false }
            })
    }

    @Test func anOfferRingingWhenTheCallerAsksIsWithdrawnAndWithoutAConfirmationTheCallEndsAtOnce() {
        var limits = Self.limits
        limits.callbackConfirmationSeconds = 0
        limits.collectsFromStart = true
        var h = Self.waiting(limits)
        h.handle(.retryRouting)
        h.ring("agent-a")
        let asked = h.handle(.dtmf(from: .caller, digit: "1"))
        #expect(asked.hangups == ["agent-a": "CANCELLED", "phone": "CALLBACK_REQUESTED"])
        #expect(asked.contains(.releaseAgent("agent-a")))
        let request = asked.firstIndex { if case .requestCallback = $0 { true } else { false } }
        #expect(request != nil && request! < asked.firstIndex(of: .finish)!, "stored before the call is forgotten")
    }

    @Test func digitsOfAnAnsweredCallStillReachTheAgent() {
        var h = Self.waiting()
        h.handle(.retryRouting)
        h.ring("agent-a")
        h.handle(.accepted(by: "agent-a", epoch: h.session.epoch))
        #expect(h.handle(.dtmf(from: .caller, digit: "1")) == [.notify("agent-a", .dtmf("1"))])
    }

    // MARK: - The callback's call

    static func callback(to kind: CallSession.PartyKind) -> Harness {
        let record = CallRecord(
            id: "call-9", conversationId: "conv-1", direction: "INBOUND",
            caller: kind == .phone ? "+4930123" : "customer-1", callee: nil, agentId: nil, queueId: Harness.queue,
            state: .CALLING, video: false, createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
        return Harness(
            session: CallSession(
                record: record, callerKind: kind, calleeKind: .browser, callee: nil, signalingGraceSeconds: 20,
                callback: CallbackAttempt(agent: "agent-a", ringSeconds: 40)))
    }

    @Test func theCustomerIsCalledFirstThenTheHeldAgentRings() {
        var h = Self.callback(to: .phone)
        let start = h.handle(.start)
        #expect(start.last == .callCallerBack(epoch: 0))
        #expect(h.session.nextDeadline == Date(timeIntervalSince1970: 1_800_000_040))
        #expect(h.handle(.retryRouting) == [] && h.handle(.phoneProgress(earlyMedia: true)) == [])
        let reached = h.handle(.phoneAnswered(usable: true))
        #expect(reached == [.callbackAttempted(reached: true, code: nil), .prepareCallee("agent-a", epoch: 0)])
        h.handle(.calleeReady(ringSeconds: 30, epoch: 0))
        let answered = h.handle(.accepted(by: "agent-a", epoch: 0))
        #expect(answered.first == .bridge && !answered.contains(.phone(.answer)), "the gateway's own call: no 200")
        #expect(answered.contains(.agentAnswered(agentId: "agent-a", assignConversation: true)))
        let up = h.handle(.legUp(.callee, epoch: 0))
        #expect(up.persistedStates == [.ESTABLISHED], "the phone's media is up since it answered")
    }

    @Test func aCustomerNotReachedGivesTheAgentBack() {
        var busy = Self.callback(to: .phone)
        busy.handle(.start)
        let failed = busy.handle(.phoneFailed(.busy))
        #expect(failed.contains(.callbackAttempted(reached: false, code: .busy)))
        #expect(failed.contains(.releaseAgent("agent-a")) && failed.hangups.isEmpty, "the failed dialog gets nothing")
        #expect(busy.session.record.state == .BUSY)

        var silent = Self.callback(to: .phone)
        silent.handle(.start)
        silent.advance(40)
        let rangOut = silent.handle(.timer)
        #expect(rangOut.hangups == ["phone": "NO_ANSWER"], "the INVITE is cancelled")
        #expect(rangOut.contains(.callbackAttempted(reached: false, code: .noAnswer)))

        var app = Self.callback(to: .browser)
        app.handle(.start)
        let declined = app.handle(.declined(by: "customer-1"))
        #expect(declined.contains(.callbackAttempted(reached: false, code: .rejected)))
        #expect(declined.contains(.releaseAgent("agent-a")))
    }

    @Test func anInAppCustomerAcceptsThenTheAgentRings() {
        var h = Self.callback(to: .browser)
        h.handle(.start)
        #expect(h.handle(.accepted(by: "agent-a", epoch: 0)) == [], "the agent is not rung yet")
        let reached = h.handle(.accepted(by: "customer-1", epoch: 0))
        #expect(reached.last == .prepareCallee("agent-a", epoch: 0))
        #expect(h.handle(.legUp(.caller, epoch: 0)) == [])
        // The agent declines: the call goes on like any inbound call, to the queue.
        h.handle(.calleeReady(ringSeconds: 30, epoch: 0))
        let passed = h.handle(.declined(by: "agent-a"))
        #expect(passed.last == .reserveAgent(queueId: Harness.queue, excluding: ["agent-a"], epoch: 1))
        #expect(!passed.contains { if case .callbackAttempted = $0 { true } else { false } }, "already reached")
    }
}
