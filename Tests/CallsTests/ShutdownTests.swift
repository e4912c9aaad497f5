import ContactCenter
import Foundation
import Testing

@testable import Calls

/// A stopping gateway ends each call in progress: every party is told SERVICE_UNAVAILABLE with
/// why, and the record keeps it.
@Suite struct ShutdownTests {
    @Test func anAnsweredCallEndsFinishedWithBothPartiesTold() {
        var h = Harness.inbound()
        h.answer("agent-a")
        let ended = h.handle(.shutdown(.gatewayStopping))
        #expect(ended.hangups == ["customer-1": "SERVICE_UNAVAILABLE", "agent-a": "SERVICE_UNAVAILABLE"])
        #expect(ended.contains(.notify("agent-a", .hangup(.gatewayStopping))))
        #expect(ended.persistedStates == [.FINISHED])
        #expect(ended.contains(.agentCallEnded(agentId: "agent-a")), "the agent's wrap-up still starts")
        #expect(h.session.record.hangupCode == .gatewayStopping && h.session.phase == .ended)
        #expect(h.handle(.shutdown(.gatewayStopping)) == [], "an ended call takes no more input")
    }

    @Test func aCallStillRingingFailsAndItsAgentIsGivenBack() {
        var h = Harness.inbound()
        h.handle(.start)
        h.ring("agent-a")
        let ended = h.handle(.shutdown(.gatewayStopping))
        #expect(ended.hangups == ["customer-1": "SERVICE_UNAVAILABLE", "agent-a": "SERVICE_UNAVAILABLE"])
        #expect(ended.persistedStates == [.FAILED])
        #expect(ended.contains(.releaseAgent("agent-a")))
        #expect(!ended.contains(.agentCallEnded(agentId: "agent-a")), "no wrap-up for a call never answered")
    }

    @Test func aPhoneCallerHearsTheHangUpThroughTheTrunk() {
        var h = Harness.inbound(caller: .phone)
        h.answer("agent-a")
        let ended = h.handle(.shutdown(.gatewayStopping))
        #expect(ended.contains(.phone(.hangup(.gatewayStopping, side: .caller))))
        #expect(ended.persistedStates == [.FINISHED])
    }
}
