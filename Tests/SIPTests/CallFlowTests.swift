import SIPMessage
import Testing

@testable import SIP

/// Two user agents calling each other through the in-memory wire.
@Suite struct CallFlowTests {
    /// Alice calls Bob; returns the wire, Alice's and Bob's handles of the call.
    static func ringing(transport: SIPTransport = .udp) -> (Wire, SIPCallID, SIPCallID?) {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        wire.add("bob", host: "10.0.0.2")
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:bob@10.0.0.2"), from: address("\"Alice\" <sip:alice@10.0.0.1>"),
            to: address("<sip:bob@10.0.0.2>"),
            destination: SIPAddress(transport: transport, host: "10.0.0.2", port: 5060),
            sdp: offer, credentials: nil, extraHeaders: [("P-Asserted-Identity", "<sip:+15551234@10.0.0.1>")],
            now: 0)
        wire.handle(outputs, from: "alice")
        let bobCall = wire.take("bob").first?.call
        return (wire, call, bobCall)
    }

    static func answered(transport: SIPTransport = .udp) throws -> (Wire, SIPCallID, SIPCallID) {
        let (wire, call, bobCall) = ringing(transport: transport)
        let incoming = try #require(bobCall)
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.respond(incoming, status: 180, now: 0.1), from: "bob")
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0.2), from: "bob")
        _ = wire.take("alice")
        _ = wire.take("bob")
        return (wire, call, incoming)
    }

    @Test func basicCallAndBYEFromCaller() throws {
        let (wire, call, bobCall) = Self.ringing()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        let incoming = try #require(bobCall)
        let invite = try #require(wire.messages(from: "alice", method: "INVITE").first)
        #expect(invite.headers["Max-Forwards"] == "70")
        #expect(invite.headers["Contact"] == "<sip:alice@10.0.0.1:5060>")
        #expect(invite.headers["P-Asserted-Identity"] == "<sip:+15551234@10.0.0.1>")
        #expect(invite.headers["Content-Type"] == "application/sdp")
        let via = try #require(invite.topVia)
        #expect(via.hasRFC3261Branch && via.hasRport)
        #expect(invite.fromTag != nil && invite.toTag == nil)
        #expect(wire.messages(from: "bob").map(\.status) == [100])

        wire.handle(bob.respond(incoming, status: 180, now: 0.1), from: "bob")
        #expect(wire.take("alice").names == ["provisional 180"])
        wire.now = 0.2
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0.2), from: "bob")
        let aliceEvents = wire.take("alice")
        #expect(aliceEvents.names == ["answered"])
        if case .answered(_, let sdp) = aliceEvents.first { #expect(sdp == answerSDP) }
        #expect(wire.take("bob").names == ["confirmed"])
        let ok = try #require(wire.messages(from: "bob", status: 200).first)
        #expect(ok.headers["Contact"] == "<sip:bob@10.0.0.2:5060>")
        let ack = try #require(wire.messages(from: "alice", method: "ACK").first)
        #expect(ack.startLine == .request(method: "ACK", uri: "sip:bob@10.0.0.2:5060"))
        #expect(ack.headers["CSeq"] == "1 ACK")
        #expect(ack.toTag == ok.toTag)
        #expect(ack.topVia?.branch != via.branch)
        #expect(alice.dialog(call)?.state == .confirmed)
        #expect(bob.dialog(incoming)?.remoteTag == invite.fromTag)

        wire.now = 5
        wire.handle(alice.hangup(call, now: 5), from: "alice")
        let bye = try #require(wire.messages(from: "alice", method: "BYE").first)
        #expect(bye.headers["CSeq"] == "2 BYE")
        #expect(wire.take("bob").names == ["ended"])
        #expect(wire.take("alice").isEmpty)
        #expect(wire.messages(from: "bob", status: 200).count == 2)
        wire.advance(by: 60)
        #expect(alice.callCount == 0 && bob.callCount == 0)
        #expect(alice.nextTimeout == nil && bob.nextTimeout == nil)
    }

    @Test func byeFromCallee() throws {
        let (wire, call, incoming) = try Self.answered()
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.hangup(incoming, now: 1), from: "bob")
        let bye = try #require(wire.messages(from: "bob", method: "BYE").first)
        #expect(bye.startLine == .request(method: "BYE", uri: "sip:alice@10.0.0.1:5060"))
        #expect(bye.headers["CSeq"] == "1 BYE")
        let events = wire.take("alice")
        #expect(events.names == ["ended"])
        #expect(events.first?.call == call)
        #expect(wire.take("bob").isEmpty)
        wire.advance(by: 60)
        #expect(wire.agents.values.allSatisfy { $0.callCount == 0 })
    }

    @Test func earlyMediaIn183() throws {
        let (wire, _, bobCall) = Self.ringing()
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.respond(try #require(bobCall), status: 183, sdp: answerSDP, now: 0.1), from: "bob")
        let events = wire.take("alice")
        guard case .provisional(_, 183, let sdp) = events.first else {
            Issue.record("no 183: \(events.names)")
            return
        }
        #expect(sdp == answerSDP)
    }

    @Test func inviteRetransmissionsNeverRaiseASecondCall() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        wire.add("bob", host: "10.0.0.2")
        // Lose Bob's 100 Trying so Alice keeps retransmitting the INVITE.
        wire.drop = { $0.message?.status == 100 }
        let (_, outputs) = alice.invite(
            requestURI: uri("sip:bob@10.0.0.2"), from: address("<sip:alice@10.0.0.1>"),
            to: address("<sip:bob@10.0.0.2>"),
            destination: udpBob, sdp: offer, credentials: nil, extraHeaders: [], now: 0)
        wire.handle(outputs, from: "alice")
        wire.advance(to: 4)
        #expect(wire.messages(from: "alice", method: "INVITE").count == 4)
        #expect(wire.take("bob").names == ["incomingCall"])
        #expect(wire.messages(from: "bob", status: 100).count == 4)
    }

    @Test func inviteTimesOutWith408() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:nobody@10.9.9.9"), from: address("<sip:alice@10.0.0.1>"),
            to: address("<sip:nobody@10.9.9.9>"),
            destination: SIPAddress(transport: .udp, host: "10.9.9.9", port: 5060),
            sdp: offer, credentials: nil, extraHeaders: [], now: 0)
        wire.handle(outputs, from: "alice")
        wire.advance(to: 40)
        let times = wire.sent.count
        #expect(times == 7)
        let events = wire.take("alice")
        #expect(events.names == ["failed 408"])
        #expect(events.first?.call == call)
        #expect(alice.nextTimeout == nil)
        #expect(alice.callCount == 0)
    }

    @Test func tcpCallHasNoRetransmissionsAndTransportContact() throws {
        let (wire, _, bobCall) = Self.ringing(transport: .tcp)
        let incoming = try #require(bobCall)
        let invite = try #require(wire.messages(from: "alice", method: "INVITE").first)
        #expect(invite.headers["Contact"] == "<sip:alice@10.0.0.1:5060;transport=tcp>")
        #expect(invite.topVia?.transport == "TCP")
        let bob = try #require(wire.agents["bob"])
        // Bob answers but the ACK is lost: over TCP the 2xx is not retransmitted.
        wire.drop = { $0.message?.method == "ACK" }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        let ok = try #require(wire.messages(from: "bob", status: 200).first)
        #expect(ok.headers["Contact"] == "<sip:bob@10.0.0.2:5060;transport=tcp>")
        wire.advance(to: 31)
        #expect(wire.messages(from: "bob", status: 200).count == 1)
        #expect(wire.messages(from: "alice", method: "INVITE").count == 1)
        #expect(wire.packets(from: "bob").allSatisfy { $0.to.transport == .tcp })
        // … and Bob gives up after 64·T1 with a BYE.
        wire.advance(to: 33)
        #expect(wire.take("bob").names == ["ended"])
        #expect(wire.messages(from: "bob", method: "BYE").count == 1)
    }

    @Test func tlsCallIsReliableAndNamesTLSWithItsPort() throws {
        let (wire, _, bobCall) = Self.ringing(transport: .tls)
        let incoming = try #require(bobCall)
        let invite = try #require(wire.messages(from: "alice", method: "INVITE").first)
        #expect(invite.headers["Contact"] == "<sip:alice@10.0.0.1:5061;transport=tls>")
        #expect(invite.topVia?.transport == "TLS" && invite.topVia?.port == 5061)
        let bob = try #require(wire.agents["bob"])
        wire.drop = { $0.message?.method == "ACK" }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        let ok = try #require(wire.messages(from: "bob", status: 200).first)
        #expect(ok.headers["Contact"] == "<sip:bob@10.0.0.2:5061;transport=tls>")
        wire.advance(to: 31)
        #expect(wire.messages(from: "bob", status: 200).count == 1, "no 2xx retransmission over TLS")
        #expect(wire.packets(from: "bob").allSatisfy { $0.to.transport == .tls })
        #expect(SIPTransport(token: "tls") == .tls && SIPTransport.tls.isReliable)
    }

    @Test func twoHundredIsRetransmittedUntilACK() throws {
        let (wire, _, bobCall) = Self.ringing()
        let incoming = try #require(bobCall)
        let bob = try #require(wire.agents["bob"])
        var acksLost = 0
        wire.drop = { packet in
            guard packet.message?.method == "ACK", acksLost < 4 else { return false }
            acksLost += 1
            return true
        }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        #expect(wire.take("alice").names == ["answered"])
        wire.advance(to: 20)
        let okTimes = wire.sent.filter { $0.agent == "bob" && $0.packet.message?.status == 200 }.count
        // Sent at 0, then 0.5, 1.5, 3.5, 7.5; the fifth ACK (answering the 7.5 s 2xx) arrives.
        #expect(okTimes == 5)
        #expect(wire.messages(from: "alice", method: "ACK").count == 5)
        #expect(wire.take("bob").names == ["confirmed"])
        #expect(wire.take("alice").isEmpty)
        #expect(bob.nextTimeout == nil)
    }

    @Test func twoHundredRetransmissionIntervalsCapAtT2AndGiveUpWithBYE() throws {
        let (wire, _, bobCall) = Self.ringing()
        let incoming = try #require(bobCall)
        let bob = try #require(wire.agents["bob"])
        wire.drop = { $0.message?.method == "ACK" }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        var times: [Double] = []
        while let next = bob.nextTimeout, next <= 40 {
            wire.now = next
            let outputs = bob.handleTimeout(now: next)
            if outputs.messages.contains(where: { $0.status == 200 }) { times.append(next) }
            wire.handle(outputs, from: "bob")
        }
        #expect(times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
        #expect(wire.take("bob").names == ["ended"])
        #expect(wire.messages(from: "bob", method: "BYE").count == 1)
        #expect(wire.take("alice").names == ["answered", "ended"])
    }

    @Test func callerCancelsAfterRinging() throws {
        let (wire, call, bobCall) = Self.ringing()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.respond(try #require(bobCall), status: 180, now: 0.1), from: "bob")
        _ = wire.take("alice")
        wire.handle(alice.cancel(call, now: 1), from: "alice")
        let cancel = try #require(wire.messages(from: "alice", method: "CANCEL").first)
        let invite = try #require(wire.messages(from: "alice", method: "INVITE").first)
        #expect(cancel.headers["Via"] == invite.headers["Via"])
        #expect(cancel.headers["CSeq"] == "1 CANCEL")
        #expect(cancel.toTag == nil)
        #expect(wire.take("bob").names == ["cancelled"])
        #expect(wire.messages(from: "bob", status: 487).count == 1)
        #expect(wire.messages(from: "bob", status: 200).first?.headers["CSeq"] == "1 CANCEL")
        #expect(wire.take("alice").names == ["failed 487"])
        #expect(wire.messages(from: "alice", method: "ACK").first?.headers["CSeq"] == "1 ACK")
        wire.advance(by: 60)
        #expect(alice.nextTimeout == nil && bob.nextTimeout == nil)
        #expect(alice.callCount == 0 && bob.callCount == 0)
    }

    @Test func cancelBeforeAnyProvisionalWaitsForOne() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        let bob = wire.add("bob", host: "10.0.0.2")
        wire.drop = { $0.message?.status == 100 }
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:bob@10.0.0.2"), from: address("<sip:alice@10.0.0.1>"),
            to: address("<sip:bob@10.0.0.2>"),
            destination: udpBob, sdp: offer, credentials: nil, extraHeaders: [], now: 0)
        wire.handle(outputs, from: "alice")
        let incoming = try #require(wire.take("bob").first?.call)
        #expect(alice.cancel(call, now: 0.1).isEmpty)
        #expect(wire.messages(from: "alice", method: "CANCEL").isEmpty)
        wire.now = 0.3
        wire.handle(bob.respond(incoming, status: 180, now: 0.3), from: "bob")
        #expect(wire.messages(from: "alice", method: "CANCEL").count == 1)
        #expect(wire.take("alice").names == ["failed 487"])
        #expect(wire.take("bob").names == ["cancelled"])
    }

    @Test func answerRacingACancelIsHungUp() throws {
        let (wire, call, bobCall) = Self.ringing()
        let alice = try #require(wire.agents["alice"])
        let bob = try #require(wire.agents["bob"])
        let incoming = try #require(bobCall)
        // Bob answers; the CANCEL crosses the 200 (Bob's answer is held back until the CANCEL left).
        wire.handle(bob.respond(incoming, status: 180, now: 0.1), from: "bob")
        wire.queueOutputs(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0.2), from: "bob")
        let pending = wire.queue
        wire.queue = []
        wire.queueOutputs(alice.cancel(call, now: 0.2), from: "alice")
        wire.queue = pending + wire.queue
        wire.run()
        #expect(wire.take("alice").names == ["provisional 180", "failed 487"])
        #expect(wire.messages(from: "alice", method: "ACK").count == 1)
        #expect(wire.messages(from: "alice", method: "BYE").count == 1)
        #expect(wire.take("bob").names == ["confirmed", "ended"])
    }

    @Test func calleeRejectsBeforeAnswer() throws {
        let (wire, call, bobCall) = Self.ringing()
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.hangup(try #require(bobCall), now: 0.1), from: "bob")
        let events = wire.take("alice")
        #expect(events.names == ["failed 480"])
        #expect(events.first?.call == call)
        wire.handle(bob.respond(try #require(bobCall), status: 486, now: 0.2), from: "bob")
        #expect(wire.messages(from: "bob", status: 486).isEmpty)
        wire.advance(by: 60)
        #expect(bob.nextTimeout == nil)
    }

    @Test func callerHangsUpWhileCalleeWaitsForACK() throws {
        let (wire, _, bobCall) = Self.ringing()
        let bob = try #require(wire.agents["bob"])
        let incoming = try #require(bobCall)
        wire.drop = { $0.message?.method == "ACK" }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        // Bob hangs up before the ACK: the BYE waits for the ACK (§15).
        #expect(bob.hangup(incoming, now: 0.1).isEmpty)
        wire.drop = { _ in false }
        wire.advance(to: 1)
        #expect(wire.messages(from: "bob", method: "BYE").count == 1)
        #expect(wire.take("bob").isEmpty)
        #expect(wire.take("alice").names == ["answered", "ended"])
    }

    @Test func delayedOfferAnswerArrivesInTheACK() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "127.0.0.1"), seed: 41)
        let sipp = SIPAddress(transport: .udp, host: "127.0.0.1", port: 5061)
        let text = SIPpInviteTests.invite.replacingOccurrences("Content-Type: application/sdp\r\n", with: "")
        let head = text.split(separator: "\r\n\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let withoutBody = (head + "\r\n\r\n")
            .replacingOccurrences("Content-Length: \(SIPpInviteTests.sdp.utf8.count)", with: "Content-Length: 0")
        let incoming = agent.receive(Array(withoutBody.utf8), from: sipp, now: 0)
        guard case .incomingCall(let call, let invite, _) = incoming.events.first else {
            Issue.record("no call")
            return
        }
        #expect(invite.body.isEmpty)
        let ok = try #require(agent.respond(call, status: 200, sdp: answerSDP, now: 0.1).messages.first)
        var ack = SIPMessage(.request(method: "ACK", uri: "sip:service@127.0.0.1:5060"), headers: SIPHeaders())
        ack.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-ack")
        ack.headers.add("Max-Forwards", "70")
        ack.headers.add("From", invite.headers["From"] ?? "")
        ack.headers.add("To", ok.headers["To"] ?? "")
        ack.headers.add("Call-ID", invite.callID ?? "")
        ack.headers.add("CSeq", "1 ACK")
        ack.headers.add("Content-Type", "application/sdp")
        ack.body = offer
        let events = agent.receive(ack.bytes, from: sipp, now: 0.2).events
        #expect(events.names == ["ackAnswer", "confirmed"])
        if case .ackAnswer(_, let sdp) = events.first { #expect(sdp == offer) }
    }

    @Test func calleeHangupBeforeACKThatNeverComes() throws {
        let (wire, _, bobCall) = Self.ringing()
        let bob = try #require(wire.agents["bob"])
        let incoming = try #require(bobCall)
        wire.drop = { $0.message?.method == "ACK" }
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0), from: "bob")
        #expect(bob.hangup(incoming, now: 0.1).isEmpty)
        wire.advance(to: 40)
        #expect(wire.messages(from: "bob", method: "BYE").count == 1)
        #expect(wire.take("bob").isEmpty)
        #expect(bob.callCount == 0)
    }

    @Test func rportAndReceivedBehindNAT() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "192.168.1.10")
        wire.add("bob", host: "10.0.0.2")
        let mapped = SIPAddress(transport: .udp, host: "203.0.113.5", port: 40000)
        wire.nat["alice"] = mapped
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:bob@10.0.0.2"), from: address("<sip:alice@192.168.1.10>"),
            to: address("<sip:bob@10.0.0.2>"), destination: udpBob, sdp: offer, credentials: nil, extraHeaders: [],
            now: 0)
        wire.handle(outputs, from: "alice")
        let events = wire.take("bob")
        guard case .incomingCall(let incoming, let invite, let source) = events.first else {
            Issue.record("no call")
            return
        }
        #expect(source == mapped)
        let via = try #require(invite.topVia)
        #expect(via.received == "203.0.113.5")
        #expect(via.rport == 40000)
        #expect(wire.packets(from: "bob").first?.to == mapped)
        let bob = try #require(wire.agents["bob"])
        wire.handle(bob.respond(incoming, status: 200, sdp: answerSDP, now: 0.1), from: "bob")
        #expect(wire.take("alice").names == ["answered"])
        #expect(wire.take("bob").names == ["confirmed"])
        let ok = try #require(wire.messages(from: "bob", status: 200).first)
        #expect(ok.topVia?.received == "203.0.113.5")
        // Bob's BYE goes where the INVITE came from, not to the private Contact.
        wire.handle(bob.hangup(incoming, now: 1), from: "bob")
        #expect(wire.packets(from: "bob").last?.to == mapped)
        #expect(wire.take("alice").map(\.call) == [call])
    }

    @Test func receivedWithoutRport() throws {
        let agent = SIPUserAgent(configuration: SIPUserAgentConfiguration(localHost: "10.0.0.2"), seed: 1)
        let text = """
            OPTIONS sip:10.0.0.2 SIP/2.0\r
            Via: SIP/2.0/UDP pbx.example.com:5080;branch=z9hG4bKopt1\r
            Max-Forwards: 70\r
            From: <sip:pbx@example.com>;tag=1\r
            To: <sip:10.0.0.2>\r
            Call-ID: opt-1\r
            CSeq: 1 OPTIONS\r
            \r

            """
        let outputs = agent.receive(
            Array(text.utf8), from: SIPAddress(transport: .udp, host: "198.51.100.9", port: 6000), now: 0)
        #expect(outputs.sends.first?.to == SIPAddress(transport: .udp, host: "198.51.100.9", port: 5080))
        let response = try #require(outputs.messages.first)
        #expect(response.headers["Via"] == "SIP/2.0/UDP pbx.example.com:5080;branch=z9hG4bKopt1;received=198.51.100.9")
        // Same host as sent-by: no received.
        let local = agent.receive(
            Array(
                text.replacingOccurrences("pbx.example.com", with: "198.51.100.9").replacingOccurrences(
                    "opt1", with: "opt2"
                ).utf8),
            from: SIPAddress(transport: .udp, host: "198.51.100.9", port: 6000), now: 0)
        #expect(local.messages.first?.topVia?.received == nil)
        #expect(local.sends.first?.to.port == 5080)
        // A received of the sender's own choosing (a broadcast address: the send would fail) is
        // not where the response goes.
        let forged = agent.receive(
            Array(
                text.replacingOccurrences(
                    "pbx.example.com:5080;branch=z9hG4bKopt1",
                    with: "198.51.100.9:5080;branch=z9hG4bKopt4;received=255.255.255.255"
                ).utf8),
            from: SIPAddress(transport: .udp, host: "198.51.100.9", port: 6000), now: 0)
        #expect(forged.sends.first?.to == SIPAddress(transport: .udp, host: "198.51.100.9", port: 5080))
        #expect(forged.messages.first?.topVia?.received == nil)
        // Over TCP responses go back to the source.
        let tcpSource = SIPAddress(transport: .tcp, host: "198.51.100.9", port: 51000)
        let overTCP = agent.receive(
            Array(text.replacingOccurrences("UDP", with: "TCP").replacingOccurrences("opt1", with: "opt3").utf8),
            from: tcpSource, now: 0)
        #expect(overTCP.sends.first?.to == tcpSource)
    }

    @Test func dtmfByInfo() throws {
        let (wire, call, incoming) = try Self.answered()
        let alice = try #require(wire.agents["alice"])
        for digit in ["5", "#", "A"] as [Character] {
            wire.handle(alice.sendDTMF(call, digit: digit, now: 1), from: "alice")
        }
        #expect(wire.take("bob").names == ["dtmf 5", "dtmf #", "dtmf A"])
        #expect(wire.take("bob").allSatisfy { $0.call == incoming })
        #expect(
            wire.messages(from: "bob", status: 200).filter { $0.headers["CSeq"]?.hasSuffix("INFO") == true }.count == 3)
        #expect(
            SIPUserAgent.dtmfDigit(in: message("INFO sip:a@b SIP/2.0\r\nContent-Type: application/dtmf\r\n\r\n11"))
                == "#")
    }

    @Test func transportErrorFailsTheCallWith503() throws {
        let wire = Wire()
        let alice = wire.add("alice", host: "10.0.0.1")
        let destination = SIPAddress(transport: .tcp, host: "10.9.9.9", port: 5060)
        let (call, outputs) = alice.invite(
            requestURI: uri("sip:x@10.9.9.9"), from: address("<sip:alice@10.0.0.1>"), to: address("<sip:x@10.9.9.9>"),
            destination: destination, sdp: offer, credentials: nil, extraHeaders: [], now: 0)
        wire.handle(outputs, from: "alice")
        let failed = alice.transportFailed(destination, now: 0.1).events
        #expect(failed.names == ["failed 503"])
        #expect(failed.first?.call == call)
        #expect(alice.nextTimeout == nil)
    }
}
