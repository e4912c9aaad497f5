import ContactCenter
import Foundation
import Testing

@testable import Calls

@Suite struct HoldTests {
    @Test func eitherSideHoldsAndOnlyTheHolderResumes() {
        var h = Harness.inbound()
        h.answer("agent-a")
        #expect(
            h.handle(.hold(by: .callee, held: true)) == [
                .holdMedia(true), .play(.hold, to: .caller), .notify("customer-1", .held(true)),
            ])
        #expect(h.session.heldBy == .callee)
        #expect(h.handle(.hold(by: .callee, held: true)) == [], "holding a held call changes nothing")
        #expect(h.handle(.hold(by: .caller, held: false)) == [], "the held party cannot resume it")
        #expect(
            h.handle(.hold(by: .callee, held: false)) == [
                .holdMedia(false), .stopPlaying(.caller), .notify("customer-1", .held(false)),
            ])
        #expect(h.session.heldBy == nil)
        #expect(
            h.handle(.hold(by: .caller, held: true)) == [
                .holdMedia(true), .play(.hold, to: .callee), .notify("agent-a", .held(true)),
            ])
        // A held call still ends normally.
        #expect(
            h.handle(.hungUp(by: "agent-a")).hangups == ["customer-1": "NORMAL_HANGUP", "agent-a": "NORMAL_HANGUP"])
    }

    @Test func onlyAnsweredCallsAreHeldAndAPhoneIsHeldByReInviteWithMusic() {
        var ringing = Harness.inbound()
        ringing.handle(.start)
        ringing.ring("agent-a")
        #expect(ringing.handle(.hold(by: .callee, held: true)) == [])
        var phone = Harness.inbound(caller: .phone)
        phone.answer("agent-a")
        #expect(
            phone.handle(.hold(by: .callee, held: true)) == [
                .holdMedia(true), .phone(.hold(true)), .play(.hold, to: .caller),
            ], "the phone is told by re-INVITE and hears the hold music")
        #expect(phone.handle(.hold(by: .caller, held: false)) == [], "a phone holds by re-INVITE, not here")
        #expect(
            phone.handle(.hold(by: .callee, held: false)) == [
                .holdMedia(false), .phone(.hold(false)), .stopPlaying(.caller),
            ])
    }
}
