import Testing

@testable import SIPMessage

@Suite struct SIPMessageTests {
    static let invite = Array(
        """
        INVITE sip:+4420123456@gateway.example.com;user=phone SIP/2.0\r
        v: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKnashds8\r
        Max-Forwards: 70\r
        f: "Alice, Inc." <sip:alice@198.51.100.7>;tag=1928301774\r
        t: <sip:+4420123456@gateway.example.com>\r
        i: a84b4c76e66710@pc33.atlanta.com\r
        CSeq: 314159 INVITE\r
        m: <sip:alice@198.51.100.7:5060>\r
        Subject: a subject that is\r
         folded onto two lines\r
        c: application/sdp\r
        l: 12\r
        \r
        v=0\r
        o=- 1 1\r\nIGNORED-AFTER-CONTENT-LENGTH
        """.utf8)

    @Test func parsesCompactFoldedAndMultiValueHeaders() throws {
        let message = try SIPMessage.parse(Self.invite)
        #expect(message.method == "INVITE")
        #expect(message.startLine == .request(method: "INVITE", uri: "sip:+4420123456@gateway.example.com;user=phone"))
        #expect(message.headers.values("Via").count == 2)
        #expect(message.headers["via"] == "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport")
        #expect(message.headers["From"] == #""Alice, Inc." <sip:alice@198.51.100.7>;tag=1928301774"#)
        #expect(message.headers["Call-ID"] == "a84b4c76e66710@pc33.atlanta.com")
        #expect(message.headers["Subject"] == "a subject that is folded onto two lines")
        #expect(message.body == Array("v=0\r\no=- 1 1".utf8))
        #expect(try message.cseq() == (314159, "INVITE"))
        try message.validate()
    }

    @Test func serializesAndParsesBack() throws {
        let message = try SIPMessage.parse(Self.invite)
        let again = try SIPMessage.parse(message.bytes, stream: true)
        #expect(again == message)
        let response = SIPMessage(
            .response(status: 180, reason: "Ringing"),
            headers: SIPHeaders([
                ("Via", "SIP/2.0/UDP 1.2.3.4"), ("CSeq", "1 INVITE"), ("Call-ID", "x"), ("From", "<sip:a@b>;tag=1"),
                ("To", "<sip:c@d>"),
            ]))
        let parsed = try SIPMessage.parse(response.bytes)
        #expect(parsed.status == 180)
        #expect(parsed.headers["Content-Length"] == "0")
        try parsed.validate()
    }

    @Test func refusesWhatAServerMustAnswerWithAnError() {
        func parse(_ text: String, stream: Bool = false) throws -> SIPMessage {
            try SIPMessage.parse(Array(text.utf8), stream: stream)
        }
        #expect(throws: SIPParseError.badStartLine("HELLO")) { try parse("HELLO\r\n\r\n") }
        #expect(throws: SIPParseError.badStartLine("SIP/2.0 999 Nope")) { try parse("SIP/2.0 999 Nope\r\n\r\n") }
        #expect(throws: SIPParseError.badStartLine("invite sip:a@b SIP/2.0")) {
            try parse("invite sip:a@b SIP/2.0\r\n\r\n")
        }
        #expect(throws: SIPParseError.badHeader("NoColonHere")) {
            try parse("OPTIONS sip:a@b SIP/2.0\r\nNoColonHere\r\n\r\n")
        }
        #expect(throws: SIPParseError.truncated) {
            try parse("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 50\r\n\r\nshort")
        }
        #expect(throws: SIPParseError.badContentLength("-1")) {
            try parse("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n")
        }
        #expect(throws: SIPParseError.missingHeader("Content-Length")) {
            try parse("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", stream: true)
        }
        #expect(throws: SIPParseError.truncated) { try parse("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n") }
        let noCallID = try? parse(
            "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCSeq: 2 BYE\r\n\r\n"
        )
        #expect(throws: SIPParseError.missingHeader("Call-ID")) { try noCallID?.validate() }
        let badCSeq = try? parse(
            "BYE sip:a@b SIP/2.0\r\nVia: v\r\nMax-Forwards: 70\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\nCSeq: two BYE\r\n\r\n"
        )
        #expect(throws: SIPParseError.badCSeq("two BYE")) { try badCSeq?.validate() }
        let mismatch = try? parse(
            "BYE sip:a@b SIP/2.0\r\nVia: v\r\nMax-Forwards: 70\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\n\r\n"
        )
        #expect(throws: SIPParseError.self) { try mismatch?.validate() }
    }

    @Test func framesATCPStream() throws {
        let one = try SIPMessage.parse(Self.invite).bytes
        let two = SIPMessage(.request(method: "OPTIONS", uri: "sip:gw"), headers: SIPHeaders([("Call-ID", "o")])).bytes
        var framer = SIPStreamFramer()
        let stream = Array("\r\n\r\n".utf8) + one + two
        var received: [SIPMessage] = []
        for chunk in stride(from: 0, to: stream.count, by: 37) {
            received += try framer.append(Array(stream[chunk..<min(stream.count, chunk + 37)]))
        }
        #expect(received.map(\.method) == ["INVITE", "OPTIONS"])
        #expect(received[0].body == Array("v=0\r\no=- 1 1".utf8))
        var bad = SIPStreamFramer()
        #expect(throws: SIPParseError.missingHeader("Content-Length")) {
            try bad.append(Array("OPTIONS sip:a SIP/2.0\r\n\r\n".utf8))
        }
    }

    @Test func neverTrapsOnRandomOrTruncatedInput() {
        for length in 0...Self.invite.count {
            let prefix = Array(Self.invite.prefix(length))
            if let message = try? SIPMessage.parse(prefix) { _ = try? message.validate() }
            var framer = SIPStreamFramer()
            _ = try? framer.append(prefix)
        }
        var state: UInt64 = 41
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<3000 {
            var bytes = Self.invite
            for _ in 0..<(1 + Int(next() % 6)) { bytes[Int(next() % UInt64(bytes.count))] = UInt8(next() & 0xff) }
            if let message = try? SIPMessage.parse(bytes) {
                _ = try? message.validate()
                _ = message.bytes
            }
            var framer = SIPStreamFramer()
            _ = try? framer.append(bytes)
        }
    }
}
