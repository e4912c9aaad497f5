import SIPMessage
import Testing

@testable import SIP

@Suite struct ReinviteTests {
    static let hold = offer + Array("a=sendonly\r\n".utf8)
    static let held = answerSDP + Array("a=recvonly\r\n".utf8)

    @Test func callerPutsCalleeOnHoldAndBack() throws {
        let (wire, call, incoming) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        wire.handle(alice.reinvite(call, sdp: Self.hold, now: 1), from: "alice")
        let reinvite = try #require(wire.messages(from: "alice", method: "INVITE").last)
        #expect(reinvite.headers["CSeq"] == "2 INVITE")
        #expect(reinvite.toTag != nil)
        #expect(reinvite.headers["Contact"] == "<sip:alice@10.0.0.1:5060>")
        let events = wire.take("bob")
        guard case .reoffer(let id, let sdp) = events.first else {
            Issue.record("no reoffer: \(events.names)")
            return
        }
        #expect(id == incoming)
        #expect(sdp == Self.hold)
        wire.handle(bob.answerReoffer(incoming, sdp: Self.held, now: 1.1), from: "bob")
        let answered = wire.take("alice")
        guard case .reofferAnswered(_, let answer) = answered.first else {
            Issue.record("no answer: \(answered.names)")
            return
        }
        #expect(answer == Self.held)
        let ack = try #require(wire.messages(from: "alice", method: "ACK").last)
        #expect(ack.headers["CSeq"] == "2 ACK")
        #expect(wire.take("bob").isEmpty)
        wire.advance(by: 40)
        #expect(wire.messages(from: "bob", status: 200).filter { $0.headers["CSeq"] == "2 INVITE" }.count == 1)
        // Unhold.
        wire.handle(alice.reinvite(call, sdp: offer, now: 50), from: "alice")
        #expect(wire.take("bob").names == ["reoffer"])
        wire.handle(bob.answerReoffer(incoming, sdp: answerSDP, now: 50), from: "bob")
        #expect(wire.take("alice").names == ["reofferAnswered"])
    }

    @Test func calleePutsCallerOnHold() throws {
        let (wire, call, incoming) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.reinvite(incoming, sdp: Self.hold, now: 1), from: "bob")
        let reinvite = try #require(wire.messages(from: "bob", method: "INVITE").first)
        #expect(reinvite.startLine == .request(method: "INVITE", uri: "sip:alice@10.0.0.1:5060"))
        #expect(reinvite.headers["CSeq"] == "1 INVITE")
        #expect(wire.take("alice").map(\.name) == ["reoffer"])
        wire.handle(alice.answerReoffer(call, sdp: Self.held, now: 1.1), from: "alice")
        #expect(wire.take("bob").names == ["reofferAnswered"])
        // A rejected re-offer keeps the call.
        wire.handle(bob.reinvite(incoming, sdp: offer, now: 2), from: "bob")
        _ = wire.take("alice")
        wire.handle(alice.answerReoffer(call, sdp: nil, now: 2.1), from: "alice")
        #expect(wire.take("bob").names == ["reofferFailed 488"])
        wire.handle(alice.hangup(call, now: 3), from: "alice")
        #expect(wire.take("bob").names == ["ended"])
    }

    @Test func glareIsAnswered491AndRetried() throws {
        let (wire, call, incoming) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        // Both send a re-INVITE before seeing the other's.
        wire.queueOutputs(alice.reinvite(call, sdp: Self.hold, now: 1), from: "alice")
        wire.queueOutputs(bob.reinvite(incoming, sdp: Self.hold, now: 1), from: "bob")
        wire.run()
        #expect(wire.messages(from: "alice", status: 491).count == 1)
        #expect(wire.messages(from: "bob", status: 491).count == 1)
        #expect(wire.take("alice").isEmpty)
        #expect(wire.take("bob").isEmpty)
        // Bob (not the Call-ID owner) retries within 0-2 s, Alice after 2.1-4 s.
        wire.advance(to: 3.05)
        #expect(wire.take("bob").isEmpty)
        #expect(wire.take("alice").names == ["reoffer"])
        #expect(wire.messages(from: "alice", method: "INVITE").count == 2)
        wire.handle(alice.answerReoffer(call, sdp: Self.held, now: wire.now), from: "alice")
        #expect(wire.take("bob").names == ["reofferAnswered"])
        wire.advance(to: 5.1)
        #expect(wire.take("bob").names == ["reoffer"])
        wire.handle(bob.answerReoffer(incoming, sdp: Self.held, now: wire.now), from: "bob")
        #expect(wire.take("alice").names == ["reofferAnswered"])
        #expect(wire.messages(from: "alice", method: "INVITE").count == 3)
    }

    @Test func reofferWhileOneIsPendingFailsLocally() throws {
        let (wire, call, _) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        wire.handle(alice.reinvite(call, sdp: Self.hold, now: 1), from: "alice")
        #expect(alice.reinvite(call, sdp: offer, now: 1).events.names == ["reofferFailed 491"])
    }

    @Test func reinviteTimeoutEndsTheCall() throws {
        let (wire, call, _) = try CallFlowTests.answered()
        let alice = try #require(wire.agents["alice"])
        wire.drop = { $0.message?.method == "INVITE" }
        wire.handle(alice.reinvite(call, sdp: Self.hold, now: 1), from: "alice")
        wire.advance(to: 40)
        #expect(wire.take("alice").names == ["reofferFailed 408", "ended"])
        #expect(wire.take("bob").names == ["ended"])
    }
}

@Suite struct RouteSetTests {
    /// An INVITE from a peer through two record-routing proxies.
    static let invite = """
        INVITE sip:bob@10.0.0.2 SIP/2.0\r
        Via: SIP/2.0/UDP 10.0.0.50:5060;branch=z9hG4bKproxy2\r
        Via: SIP/2.0/UDP 10.0.0.40:5060;branch=z9hG4bKproxy1\r
        Via: SIP/2.0/UDP 10.0.0.30:5060;branch=z9hG4bKcaller\r
        Record-Route: <sip:10.0.0.50;lr>\r
        Record-Route: <sip:10.0.0.40;lr>\r
        Max-Forwards: 68\r
        From: <sip:carol@10.0.0.30>;tag=carol1\r
        To: <sip:bob@10.0.0.2>\r
        Call-ID: rr-1\r
        CSeq: 10 INVITE\r
        Contact: <sip:carol@10.0.0.30:5060>\r
        \r

        """

    @Test func uasKeepsTheRouteSetInOrder() throws {
        let bob = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 3)
        let proxy = SIPAddress(transport: .udp, host: "10.0.0.50", port: 5060)
        let outputs = bob.receive(Array(Self.invite.utf8), from: proxy, now: 0)
        let call = try #require(outputs.events.first?.call)
        let ok = try #require(bob.respond(call, status: 200, sdp: answerSDP, now: 0.1).messages.first)
        #expect(ok.headers.values("Record-Route") == ["<sip:10.0.0.50;lr>", "<sip:10.0.0.40;lr>"])
        #expect(ok.headers.values("Via").count == 3)
        let dialog = try #require(bob.dialog(call))
        #expect(dialog.routeSet.map(\.description) == ["<sip:10.0.0.50;lr>", "<sip:10.0.0.40;lr>"])
        #expect(dialog.remoteTarget == SIPURI("sip:carol@10.0.0.30:5060"))
        #expect(dialog.remoteSequence == 10)
        let ack = Self.invite.replacingOccurrences("INVITE sip", with: "ACK sip")
            .replacingOccurrences("10 INVITE", with: "10 ACK")
            .replacingOccurrences("To: <sip:bob@10.0.0.2>", with: "To: <sip:bob@10.0.0.2>;tag=\(ok.toTag ?? "")")
            .replacingOccurrences("z9hG4bKproxy2", with: "z9hG4bKproxy2ack")
        #expect(bob.receive(Array(ack.utf8), from: proxy, now: 0.2).events.names == ["confirmed"])
        let bye = try #require(bob.hangup(call, now: 1).messages.first)
        #expect(bye.startLine == .request(method: "BYE", uri: "sip:carol@10.0.0.30:5060"))
        #expect(bye.headers.values("Route") == ["<sip:10.0.0.50;lr>", "<sip:10.0.0.40;lr>"])
        #expect(bye.headers["To"] == "<sip:carol@10.0.0.30>;tag=carol1")
        #expect(bye.headers["From"] == "<sip:bob@10.0.0.2>;tag=\(ok.toTag ?? "")")
        #expect(bye.headers["Max-Forwards"] == "70")
        // An in-dialog request with an older CSeq is out of order.
        let old = Self.invite.replacingOccurrences("INVITE sip", with: "INFO sip").replacingOccurrences(
            "10 INVITE", with: "9 INFO"
        )
        .replacingOccurrences("To: <sip:bob@10.0.0.2>", with: "To: <sip:bob@10.0.0.2>;tag=\(ok.toTag ?? "")")
        #expect(bob.receive(Array(old.utf8), from: proxy, now: 1.1).messages.first?.status == 500)
    }

    @Test func uacReversesRecordRouteAndRoutesLoosely() throws {
        let alice = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.1"), seed: 4)
        let proxy = SIPAddress(transport: .udp, host: "10.0.0.40", port: 5060)
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:carol@example.com"), from: address("<sip:alice@10.0.0.1>"),
            to: address("<sip:carol@example.com>"), destination: proxy, sdp: offer, credentials: nil, extraHeaders: [],
            now: 0)
        let invite = try #require(outputs.messages.first)
        var ok = SIPMessage(.response(status: 200, reason: "OK"), headers: SIPHeaders())
        for name in ["Via", "From", "Call-ID", "CSeq"] { ok.headers.add(name, invite.headers[name] ?? "") }
        ok.headers.add("To", (invite.headers["To"] ?? "") + ";tag=carol9")
        ok.headers.add("Record-Route", "<sip:10.0.0.50;lr>, <sip:10.0.0.40;lr>")
        ok.headers.add("Contact", "<sip:carol@10.0.0.30:5062>")
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = answerSDP
        let answered = alice.receive(ok.bytes, from: proxy, now: 0.5)
        #expect(answered.events.names == ["answered"])
        let ack = try #require(answered.messages.first)
        #expect(ack.startLine == .request(method: "ACK", uri: "sip:carol@10.0.0.30:5062"))
        #expect(ack.headers.values("Route") == ["<sip:10.0.0.40;lr>", "<sip:10.0.0.50;lr>"])
        #expect(answered.sends.first?.to == proxy)
        // A retransmitted 2xx gets the same ACK again.
        let again = alice.receive(ok.bytes, from: proxy, now: 1)
        #expect(again.sends.map(\.bytes) == answered.sends.map(\.bytes))
        #expect(again.events.isEmpty)
        // A 2xx from another fork is acknowledged and hung up.
        var fork = ok
        fork.headers.set("To", (invite.headers["To"] ?? "") + ";tag=other")
        let forked = alice.receive(fork.bytes, from: proxy, now: 1.5).messages
        #expect(forked.map(\.method) == ["ACK", "BYE"])
        #expect(forked.allSatisfy { $0.toTag == "other" })
        let bye = try #require(alice.hangup(call, now: 2).messages.first)
        #expect(bye.headers.values("Route") == ["<sip:10.0.0.40;lr>", "<sip:10.0.0.50;lr>"])
        #expect(bye.headers["CSeq"] == "2 BYE")
    }

    @Test func strictRouterFallback() throws {
        var invite = message(Self.invite)
        invite.headers.set("Record-Route", "<sip:10.0.0.50>, <sip:10.0.0.40;lr>")
        var dialog = try #require(Dialog(request: invite, localTag: "bobtag"))
        let target = dialog.requestTarget
        #expect(target.uri == SIPURI("sip:10.0.0.50"))
        #expect(target.routes.map(\.description) == ["<sip:10.0.0.40;lr>", "<sip:carol@10.0.0.30:5060>"])
        let bye = dialog.makeRequest(
            method: "BYE", via: Via(transport: "UDP", host: "10.0.0.2", port: 5060, branch: "z9hG4bKx"), maxForwards: 70
        )
        #expect(bye.startLine == .request(method: "BYE", uri: "sip:10.0.0.50"))
        #expect(bye.headers.values("Route") == ["<sip:10.0.0.40;lr>", "<sip:carol@10.0.0.30:5060>"])
        #expect(bye.headers["CSeq"] == "1 BYE")
        #expect(dialog.nextHop == SIPURI("sip:10.0.0.50"))
    }

    @Test func followRemoteTargetSendsInDialogRequestsToTheRoute() throws {
        let configuration = SIPUserAgentConfiguration(localHost: "10.0.0.2", followRemoteTarget: true)
        let bob = SIPUserAgent(configuration: configuration, seed: 5)
        let source = SIPAddress(transport: .udp, host: "10.0.0.99", port: 5070)
        let call = try #require(bob.receive(Array(Self.invite.utf8), from: source, now: 0).events.first?.call)
        let ok = try #require(bob.respond(call, status: 200, sdp: answerSDP, now: 0.1).messages.first)
        let ack = Self.invite.replacingOccurrences("INVITE sip", with: "ACK sip")
            .replacingOccurrences("10 INVITE", with: "10 ACK")
            .replacingOccurrences("To: <sip:bob@10.0.0.2>", with: "To: <sip:bob@10.0.0.2>;tag=\(ok.toTag ?? "")")
            .replacingOccurrences("z9hG4bKproxy2", with: "z9hG4bKproxy2ack")
        #expect(bob.receive(Array(ack.utf8), from: source, now: 0.2).events.names == ["confirmed"])
        let bye = bob.hangup(call, now: 1).sends
        #expect(bye.first?.to == SIPAddress(transport: .udp, host: "10.0.0.50", port: 5060))
    }
}
