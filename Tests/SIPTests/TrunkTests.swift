import SIPDigest
import SIPMessage
import Testing

@testable import SIP

/// A response to `request` as a simple server would build it.
func reply(
    to request: SIPMessage, _ status: Int, toTag: String? = "srv1", headers: [(String, String)] = [],
    body: [UInt8] = []
) -> SIPMessage {
    var response = SIPMessage(
        .response(status: status, reason: ReasonPhrase.phrase(for: status)), headers: SIPHeaders())
    for via in request.headers.values("Via") { response.headers.add("Via", via) }
    for name in ["From", "Call-ID", "CSeq"] { response.headers.add(name, request.headers[name] ?? "") }
    response.headers.add("To", (request.headers["To"] ?? "") + (toTag.map { ";tag=\($0)" } ?? ""))
    for (name, value) in headers { response.headers.add(name, value) }
    if !body.isEmpty { response.headers.add("Content-Type", "application/sdp") }
    response.body = body
    return response
}

@Suite struct AuthenticationTests {
    static let server = SIPAddress(transport: .udp, host: "192.0.2.10", port: 5060)
    static let credentials = DigestCredentials(username: "alice", password: "secret")
    static let challenge = #"Digest realm="trunk.example.com", nonce="dcd98b7102dd2f0e", algorithm=MD5, qop="auth""#

    static func call(credentials: DigestCredentials?) -> (SIPUserAgent, SIPCallID, SIPMessage) {
        let alice = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.1"), seed: 11)
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:+15551234@trunk.example.com"), from: address("<sip:alice@10.0.0.1>"),
            to: address("<sip:+15551234@trunk.example.com>"), destination: server, sdp: offer,
            credentials: credentials, extraHeaders: [], now: 0)
        return (alice, call, outputs.messages[0])
    }

    @Test func inviteIsRetriedOnceWithAuthorization() throws {
        let (alice, call, invite) = Self.call(credentials: Self.credentials)
        let outputs = alice.receive(
            reply(to: invite, 401, headers: [("WWW-Authenticate", Self.challenge)]).bytes, from: Self.server, now: 0.1)
        let sent = outputs.messages
        #expect(sent.map(\.method) == ["ACK", "INVITE"])
        #expect(outputs.events.isEmpty)
        let retry = sent[1]
        #expect(retry.headers["CSeq"] == "2 INVITE")
        #expect(retry.callID == invite.callID)
        #expect(retry.fromTag == invite.fromTag)
        #expect(retry.topVia?.branch != invite.topVia?.branch)
        #expect(retry.body == offer)
        let authorization = try #require(retry.headers["Authorization"])
        #expect(authorization.hasPrefix("Digest "))
        #expect(authorization.contains("username=\"alice\""))
        if let expected = DigestClient.authorization(
            challenge: Self.challenge, credentials: Self.credentials, method: "INVITE",
            uri: "sip:+15551234@trunk.example.com", body: offer, nonceCount: 1, cnonce: "x")
        {
            #expect(expected.hasPrefix("Digest "))
        }
        // Challenged again: the call fails.
        let again = alice.receive(
            reply(to: retry, 401, headers: [("WWW-Authenticate", Self.challenge)]).bytes, from: Self.server, now: 0.2)
        #expect(again.messages.map(\.method) == ["ACK"])
        #expect(again.events.names == ["failed 401"])
        #expect(again.events.first?.call == call)
        #expect(alice.callCount == 0)
    }

    @Test func digestServerAcceptsTheAnswer() throws {
        let server = DigestServer(realm: "trunk.example.com", secret: Array("0123456789abcdef0123".utf8))
        let (alice, _, invite) = Self.call(credentials: Self.credentials)
        let challenge = reply(to: invite, 401, headers: [("WWW-Authenticate", server.challenge(now: 0))])
        let retry = try #require(alice.receive(challenge.bytes, from: Self.server, now: 0.1).messages.last)
        let authorization = try #require(retry.headers["Authorization"])
        let verdict = server.verify(
            authorization, method: "INVITE", password: { $0 == "alice" ? "secret" : nil }, now: 1)
        #expect(verdict == .valid(username: "alice"))
        // A stale nonce after a right answer is answered once more, then the call fails.
        let stale = reply(to: retry, 401, headers: [("WWW-Authenticate", server.challenge(now: 1, stale: true))])
        let third = try #require(alice.receive(stale.bytes, from: Self.server, now: 0.2).messages.last)
        #expect(third.headers["CSeq"] == "3 INVITE")
        let again = reply(to: third, 401, headers: [("WWW-Authenticate", server.challenge(now: 2, stale: true))])
        #expect(alice.receive(again.bytes, from: Self.server, now: 0.3).events.names == ["failed 401"])
    }

    @Test func proxyChallengeUsesProxyAuthorization() throws {
        let (alice, _, invite) = Self.call(credentials: Self.credentials)
        let outputs = alice.receive(
            reply(to: invite, 407, headers: [("Proxy-Authenticate", Self.challenge)]).bytes, from: Self.server, now: 0.1
        )
        let retry = try #require(outputs.messages.last)
        #expect(retry.headers["Proxy-Authorization"]?.hasPrefix("Digest ") == true)
        #expect(retry.headers["Authorization"] == nil)
        // The answer's ACK carries the same credentials (§13.2.2.4).
        let ok = reply(to: retry, 200, headers: [("Contact", "<sip:gw@192.0.2.10>")], body: answerSDP)
        let answered = alice.receive(ok.bytes, from: Self.server, now: 0.3)
        #expect(answered.events.names == ["answered"])
        #expect(answered.messages.first?.headers["Proxy-Authorization"] == retry.headers["Proxy-Authorization"])
        #expect(answered.messages.first?.headers["CSeq"] == "2 ACK")
    }

    @Test func noCredentialsMeansFailure() {
        let (alice, _, invite) = Self.call(credentials: nil)
        let outputs = alice.receive(
            reply(to: invite, 401, headers: [("WWW-Authenticate", Self.challenge)]).bytes, from: Self.server, now: 0.1)
        #expect(outputs.events.names == ["failed 401"])
    }

    @Test func unanswerableChallengeMeansFailure() {
        let (alice, _, invite) = Self.call(credentials: Self.credentials)
        let outputs = alice.receive(
            reply(to: invite, 401, headers: [("WWW-Authenticate", "Basic realm=\"x\"")]).bytes, from: Self.server,
            now: 0.1)
        #expect(outputs.events.names == ["failed 401"])
    }
}

@Suite struct RegistrationTests {
    static let registrar = SIPAddress(transport: .udp, host: "192.0.2.20", port: 5060)

    static func start(expires: Int = 120) -> (SIPUserAgent, SIPMessage) {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.1"), seed: 12)
        let outputs = agent.register(
            id: "trunk", registrar: uri("sip:trunk.example.com"), aor: address("<sip:alice@trunk.example.com>"),
            destination: registrar, credentials: AuthenticationTests.credentials, expires: expires, now: 0)
        return (agent, outputs.messages[0])
    }

    @Test func registersWithAuthAndRefreshesBeforeExpiry() throws {
        let (agent, register) = Self.start()
        #expect(register.startLine == .request(method: "REGISTER", uri: "sip:trunk.example.com"))
        #expect(register.headers["Expires"] == "120")
        #expect(register.headers["Contact"] == "<sip:alice@10.0.0.1:5060>")
        #expect(register.headers["To"] == "<sip:alice@trunk.example.com>")
        #expect(register.fromTag != nil)
        #expect(register.headers["CSeq"] == "1 REGISTER")
        let challenged = agent.receive(
            reply(to: register, 401, toTag: nil, headers: [("WWW-Authenticate", AuthenticationTests.challenge)]).bytes,
            from: Self.registrar, now: 0.1)
        let second = try #require(challenged.messages.first)
        #expect(second.headers["CSeq"] == "2 REGISTER")
        #expect(second.callID == register.callID)
        #expect(second.headers["Authorization"] != nil)
        let ok = reply(to: second, 200, headers: [("Contact", "<sip:alice@10.0.0.1:5060>;expires=60")])
        #expect(agent.receive(ok.bytes, from: Self.registrar, now: 0.2).events.names == ["registration true 200 60"])
        #expect(agent.registrations["trunk"]?.refreshAt == 30.2)
        let refresh = try #require(agent.handleTimeout(now: 30.2).messages.first)
        #expect(refresh.headers["CSeq"] == "3 REGISTER")
        #expect(refresh.callID == register.callID)
        #expect(refresh.headers["Authorization"] == nil)
        let longer = reply(to: refresh, 200, headers: [("Expires", "3600")])
        #expect(
            agent.receive(longer.bytes, from: Self.registrar, now: 30.3).events.names == ["registration true 200 3600"])
        #expect(agent.registrations["trunk"]?.refreshAt == 30.3 + 3540)
        // Unregister.
        let remove = try #require(agent.unregister(id: "trunk", now: 40).messages.first)
        #expect(remove.headers["Expires"] == "0")
        let done = agent.receive(reply(to: remove, 200).bytes, from: Self.registrar, now: 40.1)
        #expect(done.events.names == ["registration true 200 0"])
        #expect(agent.registrations.isEmpty)
        _ = agent.handleTimeout(now: 50)
        #expect(agent.nextTimeout == nil)
    }

    @Test func failureIsReportedAndRetried() throws {
        let (agent, register) = Self.start()
        let refused = agent.receive(reply(to: register, 403).bytes, from: Self.registrar, now: 0.1)
        #expect(refused.events.names == ["registration false 403 0"])
        #expect(agent.registrations["trunk"]?.refreshAt == 30.1)
        let retry = try #require(agent.handleTimeout(now: 30.1).messages.first)
        #expect(retry.method == "REGISTER")
        // Challenged twice in a row: failure, retried later.
        let first = agent.receive(
            reply(to: retry, 401, headers: [("WWW-Authenticate", AuthenticationTests.challenge)]).bytes,
            from: Self.registrar, now: 30.2)
        let authorized = try #require(first.messages.first)
        let second = agent.receive(
            reply(to: authorized, 401, headers: [("WWW-Authenticate", AuthenticationTests.challenge)]).bytes,
            from: Self.registrar, now: 30.3)
        #expect(second.events.names == ["registration false 401 0"])
    }

    @Test func timeoutIsReportedAs408() {
        let (agent, _) = Self.start()
        var events: [SIPEvent] = []
        var sent = 0
        while let next = agent.nextTimeout, next <= 40 {
            let outputs = agent.handleTimeout(now: next)
            events += outputs.events
            sent += outputs.sends.count
        }
        #expect(events.names == ["registration false 408 0"])
        #expect(sent == 10)
        #expect(agent.nextTimeout == 62)
    }

    @Test func intervalTooBriefRaisesExpires() throws {
        let (agent, register) = Self.start(expires: 30)
        let outputs = agent.receive(
            reply(to: register, 423, headers: [("Min-Expires", "300")]).bytes, from: Self.registrar, now: 0.1)
        let retry = try #require(outputs.messages.first)
        #expect(retry.headers["Expires"] == "300")
        #expect(outputs.events.isEmpty)
    }
}

@Suite struct KeepaliveTests {
    @Test func reportsUpAndDownChanges() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        wire.add("bob", host: "10.0.0.2")
        wire.handle(alice.keepalive(destination: udpBob, interval: 10, now: 0), from: "alice")
        let ping = try #require(wire.messages(from: "alice", method: "OPTIONS").first)
        #expect(ping.startLine == .request(method: "OPTIONS", uri: "sip:10.0.0.2:5060"))
        #expect(ping.headers["Max-Forwards"] == "70")
        let pong = try #require(wire.messages(from: "bob", status: 200).first)
        #expect(pong.headers["Allow"]?.contains("INVITE") == true)
        #expect(wire.take("alice").names == ["keepalive true"])
        wire.advance(to: 25)
        #expect(wire.messages(from: "alice", method: "OPTIONS").count == 3)
        #expect(wire.take("alice").isEmpty)
        // Bob goes away: the ping at 30 s times out at 62 s.
        wire.drop = { $0.to == udpBob }
        wire.advance(to: 61)
        #expect(wire.take("alice").isEmpty)
        wire.advance(to: 63)
        #expect(wire.take("alice").names == ["keepalive false"])
        wire.drop = { _ in false }
        wire.advance(to: 71)
        #expect(wire.take("alice").names == ["keepalive true"])
        alice.stopKeepalive(destination: udpBob)
        #expect(alice.nextTimeout == nil || (alice.nextTimeout ?? 0) > 71)
        wire.advance(to: 200)
        #expect(alice.nextTimeout == nil)
    }

    @Test func serverErrorsCountAsDown() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.1"), seed: 13)
        let peer = SIPAddress(transport: .tcp, host: "192.0.2.30", port: 5060)
        let ping = try #require(agent.keepalive(destination: peer, interval: 5, now: 0).messages.first)
        #expect(ping.startLine == .request(method: "OPTIONS", uri: "sip:192.0.2.30:5060;transport=tcp"))
        #expect(agent.receive(reply(to: ping, 503).bytes, from: peer, now: 0.1).events.names == ["keepalive false"])
        let next = try #require(agent.handleTimeout(now: 5).messages.first)
        #expect(agent.receive(reply(to: next, 404).bytes, from: peer, now: 5.1).events.names == ["keepalive true"])
    }
}
