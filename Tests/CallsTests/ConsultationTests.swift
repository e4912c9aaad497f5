import ContactCenter
import Foundation
import Testing

@testable import Calls

/// Attended transfers on a fake clock: agent A consults agent B while the customer is on hold,
/// then completes, cancels or merges; B declining, ringing out or leaving, A leaving, and the
/// customer hanging up each end it without dropping anyone who should stay.
@Suite struct ConsultationTests {
    /// A customer talking to agent A, who consults agent B (held for the call).
    static func consulting() -> (Harness, [CallEffect]) {
        var h = Harness.inbound()
        h.answer("agent-a")
        let effects = h.handle(.consult(agent: "agent-b", queueId: nil))
        return (h, effects)
    }

    /// B was offered the consultation and answered.
    static func talking() -> Harness {
        var (h, _) = consulting()
        let epoch = h.session.consultation!.epoch
        h.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: epoch))
        h.handle(.consulteeAnswered(epoch: epoch))
        return h
    }

    @Test func theCustomerIsHeldWhileTheTargetRingsThenTheAgentsTalk() {
        let (h, started) = Self.consulting()
        let epoch = h.session.consultation!.epoch
        #expect(
            started == [
                .holdMedia(true), .play(.hold, to: .caller), .prepareConsultee("agent-b", epoch: epoch),
                .notify("agent-a", .transfer(.CONSULTING, nil)),
            ])
        var again = h
        #expect(again.handle(.consult(agent: "agent-c", queueId: nil)) == [.releaseAgent("agent-c")], "one at a time")
        #expect(again.handle(.transfer(.agent("agent-c"))) == [.releaseAgent("agent-c")], "no blind transfer meanwhile")
        #expect(again.handle(.hold(by: .callee, held: false)) == [], "no hold meanwhile")
        #expect(again.handle(.consultAction(.COMPLETE)) == [], "nothing to complete before the answer")
        var offered = h
        offered.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: epoch))
        #expect(offered.session.nextDeadline == offered.now.addingTimeInterval(30))
        #expect(offered.handle(.consulteeAnswered(epoch: epoch + 1)) == [], "a stale answer")
        let answered = offered.handle(.consulteeAnswered(epoch: epoch))
        #expect(
            answered == [
                .connectConsultee, .agentAnswered(agentId: "agent-b", assignConversation: false),
                .notify("agent-b", .established), .notify("agent-a", .transfer(.CONSULTED, nil)),
            ])
    }

    @Test func completingGivesTheCustomerToTheTarget() {
        var h = Self.talking()
        let completed = h.handle(.consultAction(.COMPLETE))
        let epoch = h.session.epoch
        #expect(Array(completed.prefix(2)) == [.promoteConsultee(epoch: epoch), .assignConversation("agent-b")])
        #expect(completed.contains(.recording(.transferred(from: "agent-a", fromQueue: Harness.queue))))
        #expect(completed.hangups == ["agent-a": "TRANSFERRED"])
        #expect(completed.contains(.agentCallEnded(agentId: "agent-a")))
        #expect(h.session.callee == "agent-b" && h.session.record.agentId == "agent-b" && h.session.consultation == nil)
        let ended = h.handle(.hungUp(by: "agent-b"))
        #expect(ended.hangups == ["customer-1": "NORMAL_HANGUP", "agent-b": "NORMAL_HANGUP"])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-b")))
    }

    @Test func theAgentHangingUpCompletesOnceTheTargetAnsweredAndWaitsForTheAnswerBefore() {
        var h = Self.talking()
        #expect(h.handle(.hungUp(by: "agent-a")).contains(.promoteConsultee(epoch: h.session.epoch)))
        #expect(h.session.callee == "agent-b" && h.session.isAnswered)

        var (r, _) = Self.consulting()
        let epoch = r.session.consultation!.epoch
        r.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: epoch))
        let left = r.handle(.hungUp(by: "agent-a"))
        #expect(left.contains(.agentCallEnded(agentId: "agent-a")) && r.session.isAnswered)
        let answered = r.handle(.consulteeAnswered(epoch: epoch))
        #expect(answered.contains(.promoteConsultee(epoch: r.session.epoch)))
        #expect(answered.hangups.isEmpty, "the agent who left is not told again")
        #expect(r.session.callee == "agent-b")

        var (d, _) = Self.consulting()
        let dEpoch = d.session.consultation!.epoch
        d.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: dEpoch))
        d.handle(.hungUp(by: "agent-a"))
        let declined = d.handle(.declined(by: "agent-b"))
        #expect(declined.contains(.releaseAgent("agent-b")) && declined.contains(.closeConsultee))
        #expect(declined.contains(.reserveAgent(queueId: Harness.queue, excluding: [], epoch: d.session.epoch)))
        #expect(!declined.contains(.finish), "the customer goes back to the queue")
    }

    @Test func cancellingOrTheTargetFailingBringsTheAgentBackToTheCustomer() {
        var h = Self.talking()
        let cancelled = h.handle(.consultAction(.CANCEL))
        #expect(cancelled.hangups == ["agent-b": "NORMAL_HANGUP"])
        #expect(
            Array(cancelled.dropFirst()) == [
                .closeConsultee, .agentCallEnded(agentId: "agent-b"), .bridge, .stopPlaying(.caller),
                .notify("agent-a", .transfer(.CONSULT_CANCELLED, nil)),
            ])
        #expect(h.session.consultation == nil && h.session.callee == "agent-a")

        for (failing, reason): (CallInput, String) in [
            (.declined(by: "agent-b"), "REJECTED"), (.timer, "NO_ANSWER"), (.hungUp(by: "agent-b"), "REJECTED"),
        ] {
            var (f, _) = Self.consulting()
            let epoch = f.session.consultation!.epoch
            f.handle(.consulteeOffered(ringSeconds: 30, delivered: true, epoch: epoch))
            if failing == .timer { f.advance(30) }
            let failed = f.handle(failing)
            #expect(failed.contains(.releaseAgent("agent-b")) && failed.contains(.bridge), "\(failing)")
            let told = failed.compactMap { effect -> String? in
                if case .notify("agent-a", .transfer(.TRANSFER_FAILED, let code?)) = effect { return code.name }
                return nil
            }
            #expect(told == [reason], "\(failing)")
        }
        var (u, _) = Self.consulting()
        let undelivered = u.handle(
            .consulteeOffered(ringSeconds: 30, delivered: false, epoch: u.session.consultation!.epoch))
        #expect(undelivered.contains(.bridge) && u.session.consultation == nil)

        var t = Self.talking()
        let left = t.handle(.hungUp(by: "agent-b"))
        #expect(
            left.contains(
                .notify(
                    "agent-a",
                    .transfer(.CONSULT_CANCELLED, HangupCode.normalHangup.withDescription("The consulted agent left.")))
            ))
        #expect(left.contains(.agentCallEnded(agentId: "agent-b")) && left.hangups.isEmpty)
    }

    @Test func mergingMakesAThreeWayCallThatEndsForEveryone() {
        var h = Self.talking()
        #expect(
            h.handle(.consultAction(.MERGE)) == [
                .stopPlaying(.caller), .mergeConsultee, .notify("agent-a", .transfer(.MERGED, nil)),
            ])
        #expect(h.handle(.consultAction(.MERGE)) == [], "merged once")
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(
            ended.hangups == ["customer-1": "NORMAL_HANGUP", "agent-a": "NORMAL_HANGUP", "agent-b": "NORMAL_HANGUP"])
        #expect(
            ended.contains(.agentCallEnded(agentId: "agent-a")) && ended.contains(.agentCallEnded(agentId: "agent-b")))
        #expect(ended.contains(.closeConsultee) && ended.last != .closeConsultee)
    }

    @Test func aConsultedNumberIsDialledAndTakesTheCallAsABlindTransferWould() {
        var h = Harness.inbound()
        h.answer("agent-a")
        let started = h.handle(.consult(agent: "+15557000", queueId: nil, phone: true))
        let epoch = h.session.consultation!.epoch
        #expect(started.contains(.prepareConsultee("+15557000", epoch: epoch)))
        var busy = h
        busy.handle(.consulteeOffered(ringSeconds: 45, delivered: true, epoch: epoch))
        let failed = busy.handle(.consulteePhone(.failed(.busy), epoch: epoch))
        #expect(
            failed == [
                .closeConsultee, .bridge, .stopPlaying(.caller), .notify("agent-a", .transfer(.TRANSFER_FAILED, .busy)),
            ], "no agent to release, nobody on signaling to tell")
        h.handle(.consulteeOffered(ringSeconds: 45, delivered: true, epoch: epoch))
        #expect(h.handle(.consulteePhone(.answered(usable: true), epoch: epoch + 1)) == [], "another consultation's")
        #expect(
            h.handle(.consulteePhone(.answered(usable: true), epoch: epoch)) == [
                .connectConsultee, .notify("agent-a", .transfer(.CONSULTED, nil)),
            ])
        let completed = h.handle(.consultAction(.COMPLETE))
        #expect(completed.first == .promoteConsultee(epoch: h.session.epoch))
        #expect(!completed.contains { if case .assignConversation = $0 { true } else { false } })
        #expect(completed.hangups == ["agent-a": "TRANSFERRED"])
        #expect(h.session.calleeKind == .phone && h.session.callee == "+15557000" && h.session.record.agentId == nil)
        let ended = h.handle(.phoneEnded(reason: "BYE", side: .callee))
        #expect(ended.contains(.finish) && ended.hangups == ["customer-1": "NORMAL_HANGUP"])
    }
}
