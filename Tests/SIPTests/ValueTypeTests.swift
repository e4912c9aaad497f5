import SIPMessage
import Testing

@testable import SIP

@Suite struct SIPURITests {
    @Test func parsesAndRoundTrips() throws {
        let samples = [
            "sip:alice@atlanta.com",
            "sip:alice@atlanta.com:5070;transport=tcp;lr",
            "sips:+4420123456@gw.example.com;user=phone",
            "sip:atlanta.com",
            "sip:[2001:db8::1]:5061;transport=udp",
            "sip:bob@192.0.2.4?subject=project&priority=urgent",
            "sip:+1;npdi=yes@10.0.0.1;user=phone",
        ]
        for text in samples {
            let parsed = try #require(SIPURI(text), "\(text)")
            #expect(parsed.description == text)
            #expect(SIPURI(parsed.description) == parsed)
        }
        let uri = try #require(SIPURI("SIP:alice@[2001:db8::1]:5070;transport=TCP;lr;maddr=239.255.255.1?x=y"))
        #expect(uri.scheme == "sip")
        #expect(uri.user == "alice")
        #expect(uri.host == "[2001:db8::1]")
        #expect(uri.bareHost == "2001:db8::1")
        #expect(uri.port == 5070)
        #expect(uri.transport == "tcp")
        #expect(uri.isLooseRouter)
        #expect(uri.parameters["maddr"] == "239.255.255.1")
        #expect(uri.headers == [SIPURI.Header(name: "x", value: "y")])
        #expect(uri.hostIsIPAddress)
        #expect(SIPURI("sip:gw.example.com")?.hostIsIPAddress == false)
        #expect(SIPURI("sip:10.1.2.3")?.hostIsIPAddress == true)
        #expect(SIPURI(host: "::1", port: 5060).description == "sip:[::1]:5060")
    }

    @Test func refusesMalformed() {
        let bad = [
            "", "sip:", "tel:+123", "http://x", "sip:alice@", "sip:@host", "sip:host:0", "sip:host:70000",
            "sip:host:port", "sip:[::1", "sip:[zz]", "sip:host;", "sip:ho st", "sip:host;=x", "sip:a b@host",
            "sip:host?x", "sip:<host>", "sip:host:5060:5060", "sip:[::1]x",
        ]
        for text in bad { #expect(SIPURI(text) == nil, "\(text)") }
    }
}

@Suite struct NameAddressTests {
    @Test func parsesForms() throws {
        let quoted = try #require(
            NameAddress(#""Alice \"A\" Smith" <sip:alice@atlanta.com;transport=tcp>;tag=1928301774"#))
        #expect(quoted.displayName == #"Alice "A" Smith"#)
        #expect(quoted.uri.transport == "tcp")
        #expect(quoted.tag == "1928301774")
        #expect(NameAddress(quoted.description) == quoted)
        #expect(quoted.description == #""Alice \"A\" Smith" <sip:alice@atlanta.com;transport=tcp>;tag=1928301774"#)

        let tokens = try #require(NameAddress("Bob Jones <sip:bob@biloxi.com>"))
        #expect(tokens.displayName == "Bob Jones")
        #expect(tokens.tag == nil)

        let bare = try #require(NameAddress("sip:carol@chicago.com;tag=887s"))
        #expect(bare.displayName == nil)
        #expect(bare.uri.parameters.isEmpty)
        #expect(bare.tag == "887s")
        #expect(bare.description == "<sip:carol@chicago.com>;tag=887s")

        let route = try #require(NameAddress("<sip:p1.example.com;lr>"))
        #expect(route.uri.isLooseRouter)

        let contact = try #require(NameAddress(#"<sip:a@10.0.0.1>;expires=60;+sip.instance="<urn:uuid:1>""#))
        #expect(contact.parameters["expires"] == "60")
        #expect(contact.parameters["+sip.instance"] == #""<urn:uuid:1>""#)

        var changed = tokens
        changed.tag = "abc"
        #expect(changed.description == #""Bob Jones" <sip:bob@biloxi.com>;tag=abc"#)
        changed.tag = nil
        #expect(changed.parameters.isEmpty)
    }

    @Test func refusesMalformed() {
        for text in [
            "", "<sip:a@b", "\"unterminated <sip:a@b>", "<http://a>", "Bad\u{1}Name <sip:a@b>", "<sip:a@b> x",
            "<sip:a@b>;", "sip:a@b c",
        ] {
            #expect(NameAddress(text) == nil, "\(text)")
        }
    }

    @Test func findsTagsLeniently() {
        #expect(NameAddress.tag(in: "<tel:+123>;tag=abc") == "abc")
        #expect(NameAddress.tag(in: #""a;tag=no" <sip:a@b;tag=no>;tag=yes"#) == "yes")
        #expect(NameAddress.tag(in: "sip:a@b;tag=bare") == "bare")
        #expect(NameAddress.tag(in: "<sip:a@b>") == nil)
        #expect(NameAddress.tag(in: "<sip:a@b>;TAG = x ") == "x")
    }
}

@Suite struct ViaTests {
    @Test func parsesAndSerializes() throws {
        let via = try #require(Via("SIP / 2.0 / udp 192.0.2.1:5060 ; branch=z9hG4bK776 ;rport;received=198.51.100.7"))
        #expect(via.transport == "UDP")
        #expect(via.host == "192.0.2.1")
        #expect(via.port == 5060)
        #expect(via.branch == "z9hG4bK776")
        #expect(via.hasRport)
        #expect(via.rport == nil)
        #expect(via.received == "198.51.100.7")
        #expect(via.hasRFC3261Branch)
        #expect(via.description == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=198.51.100.7")

        var stamped = via
        stamped.rport = 40000
        #expect(stamped.description == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport=40000;received=198.51.100.7")
        #expect(Via(stamped.description)?.rport == 40000)

        let v6 = try #require(Via("SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKx;maddr=224.0.1.75"))
        #expect(v6.host == "[2001:db8::9]")
        #expect(v6.maddr == "224.0.1.75")
        #expect(v6.sentBy == "[2001:db8::9]:5070")
        #expect(Via("SIP/2.0/TLS host.example.com;branch=1")?.sentBy == "host.example.com:5061")
        #expect(Via("SIP/2.0/UDP h;branch=old")?.hasRFC3261Branch == false)

        let made = Via(transport: "tcp", host: "::1", port: 5060, branch: "z9hG4bKabc")
        #expect(made.description == "SIP/2.0/TCP [::1]:5060;branch=z9hG4bKabc")
    }

    @Test func refusesMalformed() {
        for text in [
            "", "SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/2.0/UDP host:99999", "SIP/2.0/UDP host;branch",
            "SIP/2.0/UDP ;x",
            "SIP/2.0/UDP host;rport=abc", "SIP/2.0/UDP ho st", "/2.0/UDP host",
        ] {
            #expect(Via(text) == nil || text == "SIP/2.0/UDP host;branch", "\(text)")
        }
        #expect(Via("SIP/2.0/UDP host;branch")?.branch == nil)
    }
}

@Suite struct SIPpInviteTests {
    static let sdp = """
        v=0\r
        o=user1 53655765 2353687637 IN IP4 127.0.0.1\r
        s=-\r
        c=IN IP4 127.0.0.1\r
        t=0 0\r
        m=audio 6000 RTP/AVP 0\r
        a=rtpmap:0 PCMU/8000\r

        """

    /// The INVITE of the stock `sipp -sn uac` scenario, as SIPp sends it.
    static let invite = """
        INVITE sip:service@127.0.0.1:5060 SIP/2.0\r
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1234-1-0\r
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=1234SIPpTag001\r
        To: <sip:service@127.0.0.1:5060>\r
        Call-ID: 1-1234@127.0.0.1\r
        CSeq: 1 INVITE\r
        Contact: sip:sipp@127.0.0.1:5061\r
        Max-Forwards: 70\r
        Subject: Performance Test\r
        Content-Type: application/sdp\r
        Content-Length: \(sdp.utf8.count)\r
        \r
        \(sdp)
        """

    @Test func parsesTheSIPpInvite() throws {
        let message = try SIPMessage.parse(Array(Self.invite.utf8))
        try message.validate()
        #expect(message.method == "INVITE")
        let via = try #require(message.topVia)
        #expect(via.branch == "z9hG4bK-1234-1-0")
        #expect(via.hasRFC3261Branch)
        #expect(via.sentBy == "127.0.0.1:5061")
        let from = try #require(NameAddress(message.headers["From"] ?? ""))
        #expect(from.displayName == "sipp")
        #expect(from.tag == "1234SIPpTag001")
        #expect(message.toTag == nil)
        #expect(NameAddress(message.headers["Contact"] ?? "")?.uri == SIPURI("sip:sipp@127.0.0.1:5061"))
        #expect(message.contentType == "application/sdp")
        #expect(message.body == Array(Self.sdp.utf8))
    }

    @Test func answersTheSIPpInvite() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 7)
        let sipp = SIPAddress(transport: .udp, host: "127.0.0.1", port: 5061)
        let outputs = agent.receive(Array(Self.invite.utf8), from: sipp, now: 0)
        #expect(outputs.messages.map(\.status) == [100])
        #expect(outputs.sends.first?.to == sipp)
        guard case .incomingCall(let call, let invite, let source) = outputs.events.first else {
            Issue.record("no incoming call")
            return
        }
        #expect(source == sipp)
        #expect(invite.headers["Subject"] == "Performance Test")
        let ringing = agent.respond(call, status: 180, now: 0.1).messages
        #expect(ringing.first?.status == 180)
        let answer = agent.respond(call, status: 200, sdp: answerSDP, now: 0.2).messages
        let ok = try #require(answer.first)
        #expect(ok.status == 200)
        #expect(ok.headers["Via"] == "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1234-1-0")
        #expect(ok.headers["From"] == "sipp <sip:sipp@127.0.0.1:5061>;tag=1234SIPpTag001")
        #expect(ok.toTag != nil)
        #expect(ok.toTag == ringing.first?.toTag)
        #expect(ok.headers["Contact"] == "<sip:service@127.0.0.1:5060>")
        #expect(ok.body == answerSDP)
        let ack = """
            ACK sip:service@127.0.0.1:5060 SIP/2.0\r
            Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1234-1-5\r
            From: sipp <sip:sipp@127.0.0.1:5061>;tag=1234SIPpTag001\r
            To: <sip:service@127.0.0.1:5060>;tag=\(ok.toTag ?? "")\r
            Call-ID: 1-1234@127.0.0.1\r
            CSeq: 1 ACK\r
            Contact: sip:sipp@127.0.0.1:5061\r
            Max-Forwards: 70\r
            Subject: Performance Test\r
            Content-Length: 0\r
            \r

            """
        #expect(agent.receive(Array(ack.utf8), from: sipp, now: 0.3).events.names == ["confirmed"])
        #expect(agent.nextTimeout == nil)
    }
}
