import SIPMessage
import Testing

@testable import SIP

/// What a user agent answers to requests it cannot or will not handle.
@Suite struct BadInputTests {
    static let source = SIPAddress(transport: .udp, host: "10.0.0.30", port: 5060)

    static func request(
        _ method: String, uri: String = "sip:bob@10.0.0.2", version: String = "SIP/2.0", toTag: String? = nil,
        branch: String = "z9hG4bKbad1", cseqMethod: String? = nil, omit: Set<String> = [], extra: [String] = [],
        body: String = ""
    ) -> [UInt8] {
        var lines = ["\(method) \(uri) \(version)"]
        let headers: [(String, String)] = [
            ("Via", "SIP/2.0/UDP 10.0.0.30:5060;branch=\(branch)"), ("Max-Forwards", "70"),
            ("From", "<sip:carol@10.0.0.30>;tag=c1"), ("To", "<sip:bob@10.0.0.2>" + (toTag.map { ";tag=\($0)" } ?? "")),
            ("Call-ID", "bad-input-1"), ("CSeq", "1 \(cseqMethod ?? method)"), ("Contact", "<sip:carol@10.0.0.30>"),
        ]
        for (name, value) in headers where !omit.contains(name) { lines.append("\(name): \(value)") }
        lines += extra
        lines.append("Content-Length: \(body.utf8.count)")
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    static func answer(_ bytes: [UInt8], agent: SIPUserAgent? = nil) -> [SIPOutput] {
        let agent = agent ?? SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 21)
        return agent.receive(bytes, from: source, now: 0)
    }

    static func status(_ bytes: [UInt8]) -> (status: Int?, reason: String?) {
        guard let response = answer(bytes).messages.first, case .response(let status, let reason) = response.startLine
        else { return (nil, nil) }
        return (status, reason)
    }

    @Test func outOfDialogRequestsGet481() {
        #expect(Self.status(Self.request("BYE", toTag: "nope")).status == 481)
        #expect(Self.status(Self.request("BYE")).status == 481)
        #expect(Self.status(Self.request("INFO", toTag: "nope")).status == 481)
        #expect(Self.status(Self.request("INVITE", toTag: "nope")).status == 481)
        #expect(Self.status(Self.request("CANCEL")).status == 481)
    }

    @Test func strayACKIsDropped() {
        #expect(Self.answer(Self.request("ACK", toTag: "nope")).isEmpty)
        #expect(Self.answer(Self.request("ACK")).isEmpty)
        #expect(Self.answer(Self.request("ACK", omit: ["Call-ID"])).isEmpty)
    }

    @Test func optionsGets200WithAllow() throws {
        let response = try #require(Self.answer(Self.request("OPTIONS")).messages.first)
        #expect(response.status == 200)
        #expect(response.headers.values("Allow") == ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "REFER"])
        #expect(response.toTag != nil)
    }

    @Test func unknownMethodsGet501() throws {
        for method in ["FOO", "REGISTER", "SUBSCRIBE"] {
            let response = try #require(Self.answer(Self.request(method)).messages.first)
            #expect(response.status == 501)
            #expect(response.headers["Allow"] != nil)
        }
    }

    @Test func malformedBytesGet400WithTheReason() throws {
        let broken = Array(
            """
            INVITE sip:bob@10.0.0.2 SIP/2.0\r
            Via: SIP/2.0/UDP 10.0.0.30:5060;branch=z9hG4bKbroken;rport\r
            From: <sip:carol@10.0.0.30>;tag=c1\r
            To: <sip:bob@10.0.0.2>\r
            Call-ID: broken-1\r
            CSeq: 1 INVITE\r
            This line has no colon\r
            \r

            """.utf8)
        let outputs = Self.answer(broken)
        let response = try #require(outputs.messages.first)
        #expect(response.status == 400)
        #expect(response.startLine == .response(status: 400, reason: "Malformed header line 'This line has no colon'"))
        #expect(response.headers["Call-ID"] == "broken-1")
        #expect(response.toTag != nil)
        #expect(outputs.sends.first?.to == Self.source)
        #expect(response.topVia?.rport == 5060)
        // Bad Content-Length.
        let badLength = Self.request("OPTIONS", extra: ["Content-Length: abc"])
        #expect(Self.status(badLength).reason == "Malformed Content-Length 'abc'")
        // Not even a request line, or no Via/Call-ID/CSeq/From/To to answer with: silence.
        #expect(Self.answer(Array("HELLO WORLD\r\n\r\n".utf8)).isEmpty)
        #expect(Self.answer(Array("INVITE sip:a@b SIP/2.0\r\nBroken\r\n\r\n".utf8)).isEmpty)
        #expect(Self.answer(Array("SIP/2.0 200 OK\r\nBroken\r\n\r\n".utf8)).isEmpty)
        #expect(Self.answer([0xFF, 0xFE, 0x00, 0x13]).isEmpty)
        #expect(Self.answer(Array("\r\n\r\n".utf8)).isEmpty)
    }

    @Test func missingMandatoryHeadersGet400() {
        for name in ["Call-ID", "From", "To", "CSeq", "Max-Forwards"] {
            let (status, reason) = Self.status(Self.request("OPTIONS", omit: [name]))
            #expect(status == 400)
            #expect(reason == "Missing header \(name)")
        }
        #expect(Self.answer(Self.request("OPTIONS", omit: ["Via"])).isEmpty)
        let (status, reason) = Self.status(Self.request("INVITE", omit: ["Contact"]))
        #expect(status == 400)
        #expect(reason == "Missing header Contact")
        #expect(Self.status(Self.request("OPTIONS", cseqMethod: "INVITE")).status == 400)
        let badHops = Self.request("OPTIONS", omit: ["Max-Forwards"], extra: ["Max-Forwards: many"])
        #expect(Self.status(badHops) == (400, "Malformed Max-Forwards"))
    }

    @Test func otherVersionsGet505() {
        #expect(Self.status(Self.request("INVITE", version: "SIP/3.0")) == (505, "Version Not Supported"))
        #expect(Self.status(Self.request("OPTIONS", version: "SIP/1.0")).status == 505)
    }

    @Test func unsupportedRequireGets420() throws {
        let response = try #require(
            Self.answer(Self.request("INVITE", extra: ["Require: 100rel, timer"])).messages.first)
        #expect(response.status == 420)
        #expect(response.headers.values("Unsupported") == ["100rel", "timer"])
        // Never for ACK or CANCEL.
        #expect(Self.status(Self.request("CANCEL", extra: ["Require: 100rel"])).status == 481)
    }

    @Test func nonSDPBodyGets415() throws {
        let text = Self.request("INVITE", extra: ["Content-Type: text/plain"], body: "hello")
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 22)
        let response = try #require(Self.answer(text, agent: agent).messages.first)
        #expect(response.status == 415)
        #expect(response.headers["Accept"] == "application/sdp")
        #expect(agent.callCount == 0)
        // The 415 is retransmitted until the ACK (Timer G), which is then absorbed.
        #expect(agent.handleTimeout(now: 0.5).messages.first?.status == 415)
        let ack = Self.request("ACK", toTag: response.toTag, cseqMethod: "ACK")
        #expect(agent.receive(ack, from: Self.source, now: 0.6).isEmpty)
        #expect(agent.handleTimeout(now: 1.5).isEmpty)
        #expect(
            Self.status(
                Self.request("INVITE", extra: ["Content-Type: application/sdp", "Content-Encoding: gzip"], body: "v=0")
            ).status == 415)
        #expect(Self.status(Self.request("INVITE", body: "v=0")).status == 415)
        #expect(
            Self.answer(Self.request("INVITE", extra: ["Content-Type: application/SDP; charset=utf-8"], body: "v=0"))
                .events.names == ["incomingCall"])
    }

    @Test func unsupportedURISchemesGet416() {
        #expect(Self.status(Self.request("INVITE", uri: "tel:+15551234")).status == 416)
        #expect(Self.status(Self.request("INVITE", uri: "sip:@:")).status == 400)
    }

    @Test func mergedRequestGets482AndRetransmissionIsAbsorbed() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 23)
        let first = agent.receive(Self.request("INVITE", body: ""), from: Self.source, now: 0)
        #expect(first.events.names == ["incomingCall"])
        let again = agent.receive(Self.request("INVITE"), from: Self.source, now: 0.5)
        #expect(again.events.isEmpty)
        #expect(again.messages.map(\.status) == [100])
        let merged = agent.receive(Self.request("INVITE", branch: "z9hG4bKother"), from: Self.source, now: 0.6)
        #expect(merged.messages.map(\.status) == [482])
        #expect(merged.events.isEmpty)
        // After the 2xx ended the transaction, a late retransmission gets the 2xx again.
        let call = try #require(first.events.first?.call)
        let ok = agent.respond(call, status: 200, sdp: answerSDP, now: 1).messages
        let late = agent.receive(Self.request("INVITE"), from: Self.source, now: 1.2)
        #expect(late.events.isEmpty)
        #expect(late.messages.map(\.status) == [200])
        #expect(late.messages.first?.toTag == ok.first?.toTag)
    }

    @Test func unmatchedResponsesAreDropped() {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 24)
        let response = reply(to: message(String(decoding: Self.request("INVITE"), as: UTF8.self)), 200)
        #expect(agent.receive(response.bytes, from: Self.source, now: 0).isEmpty)
        #expect(agent.receive(Array("SIP/2.0 200 OK\r\nVia: x\r\n\r\n".utf8), from: Self.source, now: 0).isEmpty)
    }

    @Test func inDialogCancelAfterAnswerGets481AndOutOfOrderCSeq500() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 25)
        let call = try #require(agent.receive(Self.request("INVITE"), from: Self.source, now: 0).events.first?.call)
        let ok = try #require(agent.respond(call, status: 200, sdp: answerSDP, now: 0.1).messages.first)
        // The INVITE transaction ended with the 2xx: a late CANCEL matches nothing.
        #expect(Self.status(Self.request("CANCEL")).status == 481)
        let cancel = agent.receive(Self.request("CANCEL"), from: Self.source, now: 0.2).messages
        #expect(cancel.map(\.status) == [481])
        let bye = Self.request("BYE", toTag: ok.toTag, branch: "z9hG4bKbye")
        let outputs = agent.receive(bye, from: Self.source, now: 0.3)
        #expect(outputs.messages.map(\.status) == [200])
        #expect(outputs.events.names == ["ended"])
        #expect(agent.receive(bye, from: Self.source, now: 0.4).messages.map(\.status) == [200])
    }
}
