import ContactCenter
import Foundation
import Testing

@testable import Calls

/// Supervisor monitoring on a fake clock: offered once the call is answered, joined when the
/// supervisor answers, re-moded in place, and ended for the supervisor (told why) when they
/// leave, the call ends or the call is transferred. The call's own parties never notice.
@Suite struct MonitoringTests {
    @Test func aSupervisorIsOfferedALegOnceTheCallIsAnsweredAndJoinsWhenTheyAnswer() {
        var h = Harness.inbound()
        h.handle(.start)
        #expect(h.handle(.monitor(supervisor: "sam", mode: .LISTEN)) == [], "nothing to monitor before the answer")
        h.ring("agent-a")
        h.handle(.accepted(by: "agent-a", epoch: h.session.epoch))
        #expect(h.handle(.monitor(supervisor: "agent-a", mode: .LISTEN)) == [], "not a call's own party")
        #expect(h.handle(.monitor(supervisor: "sam", mode: .LISTEN)) == [.prepareMonitor("sam")])
        #expect(h.handle(.monitor(supervisor: "sam", mode: .WHISPER)) == [], "the mode waits for the answer")
        #expect(
            h.handle(.monitorAnswered("sam")) == [
                .joinMonitor("sam", .WHISPER, agent: .callee), .notify("sam", .established),
            ])
        #expect(h.handle(.monitorAnswered("sam")) == [], "joined once")
        #expect(h.handle(.monitor(supervisor: "sam", mode: .BARGE)) == [.joinMonitor("sam", .BARGE, agent: .callee)])
        #expect(h.session.monitors == ["sam": Monitoring(mode: .BARGE, joined: true)])
    }

    @Test func theAgentOfAnOutboundCallIsTheCaller() {
        var h = Harness.outbound(to: "customer-9", kind: .browser)
        h.handle(.start)
        h.handle(.calleeReady(ringSeconds: 30, epoch: h.session.epoch))
        h.handle(.accepted(by: "customer-9", epoch: h.session.epoch))
        h.handle(.monitor(supervisor: "sam", mode: .WHISPER))
        #expect(h.handle(.monitorAnswered("sam")).first == .joinMonitor("sam", .WHISPER, agent: .caller))
    }

    @Test func theSupervisorLeavingEndsOnlyTheMonitoring() {
        for leaving: CallInput in [.hungUp(by: "sam"), .declined(by: "sam"), .signalingLost("sam")] {
            var h = Harness.inbound()
            h.answer("agent-a")
            h.handle(.monitor(supervisor: "sam", mode: .LISTEN))
            #expect(h.handle(leaving) == [.dropMonitor("sam")], "\(leaving)")
            #expect(h.session.monitors.isEmpty && h.session.isAnswered, "the call goes on")
        }
        var h = Harness.inbound()
        h.answer("agent-a")
        h.handle(.monitor(supervisor: "sam", mode: .LISTEN))
        let failed = h.handle(.monitorLegEnded("sam", reason: "DTLS failed"))
        #expect(failed.hangups == ["sam": "MEDIA_FAILURE"] && failed.last == .dropMonitor("sam"))
        h.handle(.monitor(supervisor: "sam", mode: .LISTEN))
        #expect(h.handle(.stopMonitoring("sam")).hangups == ["sam": "NORMAL_HANGUP"])
        #expect(h.handle(.stopMonitoring("sam")) == [])
    }

    @Test func monitorsAreToldWhenTheCallEndsOrIsTransferred() {
        var h = Harness.inbound()
        h.answer("agent-a")
        h.handle(.monitor(supervisor: "sam", mode: .BARGE))
        h.handle(.monitorAnswered("sam"))
        let ended = h.handle(.hungUp(by: "customer-1"))
        #expect(ended.hangups == ["sam": "NORMAL_HANGUP", "agent-a": "NORMAL_HANGUP", "customer-1": "NORMAL_HANGUP"])
        #expect(ended.firstIndex(of: .dropMonitor("sam"))! < ended.firstIndex(of: .finish)!)

        var t = Harness.inbound()
        t.answer("agent-a")
        t.handle(.monitor(supervisor: "sam", mode: .LISTEN))
        let transferred = t.handle(.transfer(.agent("agent-b")))
        #expect(transferred.hangups["sam"] == "TRANSFERRED" && transferred.contains(.dropMonitor("sam")))
        #expect(t.session.monitors.isEmpty)
        #expect(t.handle(.monitor(supervisor: "sam", mode: .LISTEN)) == [], "not while the transfer's target rings")
    }
}
