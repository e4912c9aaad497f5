import SIPMessage
import Testing

@testable import SIP

/// Whatever arrives, the user agent and the value parsers never trap.
@Suite struct FuzzTests {
    static let invite = Array(SIPpInviteTests.invite.utf8)
    static let sources = [
        SIPAddress(transport: .udp, host: "127.0.0.1", port: 5061),
        SIPAddress(transport: .tcp, host: "127.0.0.1", port: 5061),
    ]

    /// A user agent with calls in every state, so mutated in-dialog requests reach the dialog code.
    static func busyAgent() -> (SIPUserAgent, [[UInt8]]) {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 31)
        var samples = [invite]
        let outputs = agent.receive(invite, from: sources[0], now: 0)
        if let call = outputs.events.first?.call,
            let ok = agent.respond(call, status: 200, sdp: answerSDP, now: 0).messages.first
        {
            samples.append(ok.bytes)
        }
        let (_, sent) = agent.invite(
            requestURI: uri("sip:x@127.0.0.1:5061"), from: address("<sip:a@127.0.0.1>"),
            to: address("<sip:x@127.0.0.1>"),
            destination: sources[0], sdp: offer, credentials: AuthenticationTests.credentials, extraHeaders: [], now: 0)
        if let request = sent.messages.first {
            samples.append(request.bytes)
            samples.append(reply(to: request, 180).bytes)
            samples.append(
                reply(to: request, 401, headers: [("WWW-Authenticate", AuthenticationTests.challenge)]).bytes)
            samples.append(
                reply(to: request, 200, headers: [("Contact", "<sip:x@127.0.0.1:5061>")], body: answerSDP).bytes)
        }
        _ = agent.register(
            id: "r", registrar: uri("sip:127.0.0.1:5061"), aor: address("<sip:a@127.0.0.1>"), destination: sources[0],
            credentials: nil, expires: 60, now: 0)
        _ = agent.keepalive(destination: sources[0], interval: 5, now: 0)
        return (agent, samples)
    }

    @Test func randomBytes() {
        var random = IdentifierGenerator(seed: 1)
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 32)
        for round in 0..<2000 {
            let length = Int(random.next() % 700)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 3 == 0 { bytes = Array("INVITE ".utf8) + bytes }
            _ = agent.receive(bytes, from: Self.sources[round % 2], now: Double(round))
            let text = String(decoding: bytes.prefix(80), as: UTF8.self)
            _ = SIPURI(text)
            _ = NameAddress(text)
            _ = Via(text)
            _ = NameAddress.tag(in: text)
        }
        _ = agent.handleTimeout(now: 10_000)
    }

    @Test func everyTruncationOfAnInvite() {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 33)
        var incoming = 0
        for length in 0...Self.invite.count {
            for source in Self.sources {
                let outputs = agent.receive(Array(Self.invite.prefix(length)), from: source, now: Double(length))
                incoming += outputs.events.count
            }
        }
        // Only prefixes ending inside the SDP body parse over UDP (no Content-Length check there… but
        // Content-Length here is exact, so only the whole message is a call): one call per transport.
        #expect(incoming <= 2)
        _ = agent.handleTimeout(now: 100_000)
    }

    @Test func randomMutations() {
        var random = IdentifierGenerator(seed: 2)
        let (agent, samples) = Self.busyAgent()
        let alphabet = Array(" :;,<>\"=@/\\\r\n\t\0\u{7F}0123456789abcSIPzZ-._!%*+`'~[]?&".utf8)
        var now = 0.0
        for round in 0..<6000 {
            var bytes = samples[round % samples.count]
            for _ in 0..<(1 + random.next() % 6) where !bytes.isEmpty {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 2: bytes.remove(at: position)
                case 3: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                default:
                    let end = min(bytes.count, position + Int(random.next() % 40))
                    bytes.removeSubrange(position..<end)
                }
            }
            now += 0.05
            let outputs = agent.receive(bytes, from: Self.sources[Int(random.next() % 2)], now: now)
            for output in outputs {
                if case .event(.incomingCall(let call, _, _)) = output {
                    switch random.next() % 4 {
                    case 0: _ = agent.respond(call, status: 200, sdp: answerSDP, now: now)
                    case 1: _ = agent.respond(call, status: 183, sdp: answerSDP, now: now)
                    case 2: _ = agent.hangup(call, now: now)
                    default: _ = agent.reinvite(call, sdp: offer, now: now)
                    }
                }
            }
            if round % 50 == 0 { _ = agent.handleTimeout(now: now) }
        }
        _ = agent.handleTimeout(now: now + 1000)
        _ = agent.handleTimeout(now: now + 2000)
    }

    @Test func apiMisuseIsHarmless() {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 34)
        let unknown = SIPCallID(999)
        #expect(agent.respond(unknown, status: 200, now: 0).isEmpty)
        #expect(agent.hangup(unknown, now: 0).isEmpty)
        #expect(agent.cancel(unknown, now: 0).isEmpty)
        #expect(agent.reinvite(unknown, sdp: offer, now: 0).isEmpty)
        #expect(agent.answerReoffer(unknown, sdp: offer, now: 0).isEmpty)
        #expect(agent.sendDTMF(unknown, digit: "1", now: 0).isEmpty)
        #expect(agent.unregister(id: "none", now: 0).isEmpty)
        agent.stopKeepalive(destination: udpBob)
        let call = agent.receive(Self.invite, from: Self.sources[0], now: 0).events.first?.call
        if let call {
            #expect(agent.respond(call, status: 99, now: 0).isEmpty)
            #expect(agent.respond(call, status: 700, now: 0).isEmpty)
            #expect(agent.cancel(call, now: 0).isEmpty)
            #expect(agent.reinvite(call, sdp: offer, now: 0).events.names == ["reofferFailed 481"])
            _ = agent.respond(call, status: 486, now: 0)
            #expect(agent.respond(call, status: 200, now: 0).isEmpty)
            #expect(agent.hangup(call, now: 0).isEmpty)
        }
    }
}
