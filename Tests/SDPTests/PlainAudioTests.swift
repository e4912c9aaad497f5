import Testing

@testable import SDP

@Suite struct PlainAudioTests {
    /// What SIPp's stock UAC offers (session-level c=, PCMU only).
    static let sippOffer = """
        v=0\r
        o=user1 53655765 2353687637 IN IP4 127.0.0.1\r
        s=-\r
        c=IN IP4 127.0.0.1\r
        t=0 0\r
        m=audio 6000 RTP/AVP 0\r
        a=rtpmap:0 PCMU/8000\r

        """

    static let trunkOffer = """
        v=0\r
        o=- 1 1 IN IP4 10.0.0.5\r
        s=-\r
        t=0 0\r
        m=audio 30000 RTP/AVP 8 0 101\r
        c=IN IP4 10.0.0.5\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-16\r
        a=rtcp:30011\r
        a=ptime:20\r
        a=sendrecv\r

        """

    @Test func readsSIPpAndTrunkOffers() throws {
        let sipp = try PlainAudio.read(SessionDescription.parse(Self.sippOffer))
        #expect(sipp.address == "127.0.0.1" && sipp.port == 6000 && sipp.rtcpPort == 6001)
        #expect(sipp.codecs.map(\.name) == ["pcmu"] && !sipp.isOnHold && sipp.ptime == nil)
        let trunk = try PlainAudio.read(SessionDescription.parse(Self.trunkOffer))
        #expect(trunk.address == "10.0.0.5" && trunk.rtcpPort == 30011 && trunk.ptime == 20)
        #expect(trunk.codecs.map(\.name) == ["pcma", "pcmu", "telephone-event"])
    }

    @Test func answerFollowsTheOperatorsPreferenceAndKeepsTheOfferersPayloadTypes() throws {
        let offer = try SessionDescription.parse(Self.trunkOffer)
        let (answer, negotiation) = try PlainRTPDescriptionBuilder.answer(
            to: offer, address: "127.0.0.1", port: 40000, preference: ["pcmu", "pcma"], sessionId: 9)
        #expect(negotiation.codec.name == "pcmu" && negotiation.codec.payloadType == 0)
        #expect(negotiation.telephoneEvent?.payloadType == 101)
        let text = answer.text
        #expect(text.contains("m=audio 40000 RTP/AVP 0 101\r\n"))
        #expect(text.contains("c=IN IP4 127.0.0.1\r\n") && text.contains("a=sendrecv") && text.contains("a=ptime:20"))
        // The answer reads back as the same choice.
        let back = try PlainRTPDescriptionBuilder.readAnswer(answer, preference: ["pcmu"])
        #expect(back.codec.payloadType == 0 && back.remote.port == 40000)
    }

    @Test func holdAndNoCommonCodec() throws {
        let hold = try SessionDescription.parse(
            Self.trunkOffer.replacingOccurrences(of: "a=sendrecv", with: "a=sendonly"))
        let (answer, negotiation) = try PlainRTPDescriptionBuilder.answer(
            to: hold, address: "127.0.0.1", port: 40000, preference: ["pcma"], sessionId: 1)
        #expect(negotiation.remote.isOnHold && answer.text.contains("a=recvonly"))
        let old = try SessionDescription.parse(
            Self.sippOffer.replacingOccurrences(of: "IN IP4 127.0.0.1\r\nt", with: "IN IP4 0.0.0.0\r\nt"))
        #expect(try PlainAudio.read(old).isOnHold)
        #expect(throws: WebRTCSDPError.self) {
            try PlainRTPDescriptionBuilder.answer(
                to: try SessionDescription.parse(Self.sippOffer), address: "127.0.0.1", port: 1,
                preference: ["pcma", "opus"],
                sessionId: 1)
        }
        let offer = PlainRTPDescriptionBuilder.offer(
            address: "127.0.0.1", port: 41000, preference: ["pcma", "opus"], sessionId: 3)
        let read = try PlainAudio.read(offer)
        #expect(read.codecs.map(\.payloadType) == [8, 111, 101, 110])
    }

    @Test func holdDecidesWhoSends() throws {
        func answer(_ direction: String) throws -> PlainNegotiation {
            let offer = try SessionDescription.parse(
                Self.trunkOffer.replacingOccurrences(of: "a=sendrecv", with: "a=\(direction)"))
            return try PlainRTPDescriptionBuilder.answer(
                to: offer, address: "127.0.0.1", port: 1, preference: ["pcma"], sessionId: 1
            ).1
        }
        let normal = try answer("sendrecv")
        #expect(normal.localSends && normal.remoteSends && normal.localDirection == "sendrecv")
        let heldByTrunk = try answer("sendonly")
        #expect(!heldByTrunk.localSends && heldByTrunk.remoteSends && heldByTrunk.localDirection == "recvonly")
        let inactive = try answer("inactive")
        #expect(!inactive.localSends && !inactive.remoteSends)
        // The gateway's own hold: it offered sendonly, the trunk answered recvonly; the gateway
        // sends (hold music), the trunk does not.
        let ours = try PlainRTPDescriptionBuilder.readAnswer(
            try SessionDescription.parse(Self.trunkOffer.replacingOccurrences(of: "a=sendrecv", with: "a=recvonly")),
            preference: ["pcma"], offeredDirection: "sendonly")
        #expect(ours.localSends && !ours.remoteSends)
        // A trunk that answers a hold with inactive hears nothing.
        let refused = try PlainRTPDescriptionBuilder.readAnswer(
            try SessionDescription.parse(Self.trunkOffer.replacingOccurrences(of: "a=sendrecv", with: "a=inactive")),
            preference: ["pcma"], offeredDirection: "sendonly")
        #expect(!refused.localSends && !refused.remoteSends)
    }

    @Test func garbageNeverTraps() {
        let inputs = [
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n", "v=0\r\nc=IN IP4\r\nm=audio 1 RTP/AVP 0\r\n",
            "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 UDP/TLS/RTP/SAVPF 111\r\n",
            "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n",
            "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 96\r\na=rtpmap:96 x\r\n",
        ]
        for text in inputs {
            #expect(throws: (any Error).self) { try PlainAudio.read(try SessionDescription.parse(text)) }
        }
        let valid = Array(Self.trunkOffer.utf8)
        for cut in 0..<valid.count {
            if let description = try? SessionDescription.parse(String(decoding: valid[0..<cut], as: UTF8.self)) {
                _ = try? PlainAudio.read(description)
            }
        }
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<4 { bytes[Int.random(in: 0..<bytes.count)] = UInt8.random(in: 0...127) }
            if let description = try? SessionDescription.parse(String(decoding: bytes, as: UTF8.self)) {
                _ = try? PlainRTPDescriptionBuilder.answer(
                    to: description, address: "127.0.0.1", port: 2, preference: ["pcmu", "pcma", "opus"], sessionId: 1)
            }
        }
    }
}

@Suite struct NarrowbandOpusTests {
    @Test func phoneCallsAskBrowsersForNarrowbandOpus() throws {
        let local = LocalParameters(
            iceUfrag: "abcd", icePwd: String(repeating: "p", count: 24), fingerprint: "AA:BB", address: "127.0.0.1",
            port: 40000, cname: "c", streamId: "s", ssrcs: ["audio": 1])
        let offer = WebRTCDescriptionBuilder.offer(local: local, sessionId: 1, video: false, narrowbandOpus: true).text
        #expect(offer.contains("a=fmtp:111 minptime=10;useinbandfec=1;maxplaybackrate=8000;sprop-maxcapturerate=8000"))
        #expect(offer.contains("a=rtpmap:0 PCMU/8000"), "other codecs unchanged")
        let plain = WebRTCDescriptionBuilder.offer(local: local, sessionId: 1, video: false).text
        #expect(!plain.contains("maxplaybackrate"))
        // Answering a browser's offer that already names a rate replaces it.
        let browser = try SessionDescription.parse(
            offer.replacingOccurrences(of: "maxplaybackrate=8000", with: "maxplaybackrate=48000"))
        let (answer, negotiated, _) = try WebRTCDescriptionBuilder.answer(
            to: browser, local: local, sessionId: 2, narrowbandOpus: true)
        #expect(answer.text.contains("maxplaybackrate=8000;sprop-maxcapturerate=8000"))
        #expect(!answer.text.contains("maxplaybackrate=48000"))
        #expect(negotiated[0].codecs.first?.name == "opus")
    }
}
