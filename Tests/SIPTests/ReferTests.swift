import SIPMessage
import Testing

@testable import SIP

/// REFER (RFC 3515) received in a confirmed dialog: held for the transaction user's answer, then
/// 202 with NOTIFYs of the transfer's progress as sipfrag, or a clear refusal.
@Suite struct ReferTests {
    /// Alice sends Bob a REFER in their call, with `referTo` headers.
    static func refer(_ referTo: [String]) throws -> (Wire, SIPCallID, SIPCallID) {
        let (wire, call, incoming) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        let state = try #require(alice.calls[call])
        var dialog = try #require(state.dialog)
        var request = dialog.makeRequest(method: "REFER", via: alice.makeVia(.udp), maxForwards: 70)
        state.dialog = dialog
        for value in referTo { request.headers.add("Refer-To", value) }
        wire.handle(
            alice.startClient(request, to: alice.destination(of: state), owner: .inDialog(call), now: 1).1,
            from: "alice")
        return (wire, call, incoming)
    }

    static func referResponses(_ wire: Wire) -> [Int] {
        wire.messages(from: "bob").filter { $0.headers["CSeq"]?.hasSuffix("REFER") == true }.compactMap(\.status)
    }

    @Test func anAcceptedReferIsAnsweredThenNotifiedUntilItsOutcome() throws {
        let (wire, _, incoming) = try Self.refer(["<sip:queue-7@10.0.0.2>"])
        #expect(wire.take("bob").names == ["refer queue-7"])
        #expect(Self.referResponses(wire).isEmpty, "held for the answer")
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.answerRefer(incoming, status: 202, now: 1.1), from: "bob")
        #expect(Self.referResponses(wire) == [202])
        wire.handle(bob.notifyRefer(incoming, status: 180, final: false, now: 2), from: "bob")
        wire.handle(bob.notifyRefer(incoming, status: 200, final: true, now: 3), from: "bob")
        let notifies = wire.messages(from: "bob", method: "NOTIFY")
        #expect(
            notifies.map { String(decoding: $0.body, as: UTF8.self) } == [
                "SIP/2.0 100 Trying\r\n", "SIP/2.0 180 Ringing\r\n", "SIP/2.0 200 OK\r\n",
            ])
        #expect(notifies.allSatisfy { $0.headers["Event"] == "refer" })
        #expect(notifies.allSatisfy { $0.headers["Content-Type"] == "message/sipfrag;version=2.0" })
        #expect(
            notifies.map { $0.headers["Subscription-State"] ?? "" } == [
                "active;expires=60", "active;expires=60", "terminated;reason=noresource",
            ])
        #expect(Set(notifies.map { $0.headers["Call-ID"] ?? "" }).count == 1 && notifies.allSatisfy { $0.toTag != nil })
        wire.handle(bob.notifyRefer(incoming, status: 200, final: true, now: 4), from: "bob")
        #expect(wire.messages(from: "bob", method: "NOTIFY").count == 3, "nothing after the final NOTIFY")
    }

    @Test func aRefusedReferGetsItsStatusAndNoNotify() throws {
        let (wire, _, incoming) = try Self.refer(["<sip:nobody@10.0.0.2>"])
        _ = wire.take("bob")
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.answerRefer(incoming, status: 404, reason: "Unknown Refer-To target", now: 1.1), from: "bob")
        let refusal = try #require(wire.messages(from: "bob").last { $0.headers["CSeq"]?.hasSuffix("REFER") == true })
        #expect(refusal.startLine == .response(status: 404, reason: "Unknown Refer-To target"))
        wire.handle(bob.notifyRefer(incoming, status: 200, final: true, now: 2), from: "bob")
        #expect(wire.messages(from: "bob", method: "NOTIFY").isEmpty)
    }

    @Test func malformedRefersAreRefusedAtOnce() throws {
        for (values, status) in [
            ([], 400), (["<sip:a@h>", "<sip:b@h>"], 400), (["not a uri"], 400),
            (["<sip:a@h?Replaces=abc%3Bto-tag%3D1>"], 501),
        ] as [([String], Int)] {
            let (wire, _, _) = try Self.refer(values)
            #expect(wire.take("bob").isEmpty, "\(values)")
            #expect(Self.referResponses(wire) == [status], "\(values)")
        }
    }
}
