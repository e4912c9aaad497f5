import Foundation
import Testing

@testable import SDP

@Suite struct SDPTests {
    static let chromeOffer = """
        v=0\r
        o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE 0 1\r
        a=extmap-allow-mixed\r
        a=msid-semantic: WMS stream1\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r
        c=IN IP4 0.0.0.0\r
        a=rtcp:9 IN IP4 0.0.0.0\r
        a=candidate:1 1 udp 2122260223 127.0.0.1 54400 typ host generation 0\r
        a=ice-ufrag:Ab3x\r
        a=ice-pwd:abcdefghijklmnopqrstuvwx\r
        a=ice-options:trickle\r
        a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r
        a=setup:actpass\r
        a=mid:0\r
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r
        a=sendrecv\r
        a=msid:stream1 track1\r
        a=rtcp-mux\r
        a=rtpmap:111 opus/48000/2\r
        a=rtcp-fb:111 transport-cc\r
        a=fmtp:111 minptime=10;useinbandfec=1\r
        a=rtpmap:63 red/48000/2\r
        a=rtpmap:9 G722/8000\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:13 CN/8000\r
        a=rtpmap:110 telephone-event/48000\r
        a=rtpmap:126 telephone-event/8000\r
        a=ssrc:1001 cname:abc\r
        a=ssrc:1001 msid:stream1 track1\r
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\r
        c=IN IP4 0.0.0.0\r
        a=ice-ufrag:Ab3x\r
        a=ice-pwd:abcdefghijklmnopqrstuvwx\r
        a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r
        a=setup:actpass\r
        a=mid:1\r
        a=sendrecv\r
        a=rtcp-mux\r
        a=rtcp-rsize\r
        a=rtpmap:96 VP8/90000\r
        a=rtcp-fb:96 goog-remb\r
        a=rtcp-fb:96 nack\r
        a=rtcp-fb:96 nack pli\r
        a=rtpmap:97 rtx/90000\r
        a=fmtp:97 apt=96\r
        a=rtpmap:102 H264/90000\r
        a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r
        a=ssrc-group:FID 2001 2002\r
        a=ssrc:2001 cname:abc\r
        a=ssrc:2002 cname:abc\r

        """

    static let local = LocalParameters(
        iceUfrag: "gw01", icePwd: "0123456789abcdefghijklmn", fingerprint: "AA:BB", address: "127.0.0.1", port: 40000,
        cname: "gateway", streamId: "gw", ssrcs: ["audio": 5555, "video": 6666])

    @Test func codecNamesAreLowerCasedHoweverTheyAreSet() {
        var codec = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
        #expect(codec.name == "pcmu")
        codec.name = "Opus"
        #expect(codec.name == "opus")
    }

    @Test func parsesAndSerializesLosslessly() throws {
        let description = try SessionDescription.parse(Self.chromeOffer)
        #expect(description.media.count == 2)
        #expect(description.attribute("group") == "BUNDLE 0 1")
        #expect(try SessionDescription.parse(description.text) == description)
        #expect(description.text == Self.chromeOffer.replacingOccurrences(of: "\r\n\r\n", with: "\r\n"))
    }

    @Test func readsTheWebRTCParameters() throws {
        let description = try SessionDescription.parse(Self.chromeOffer)
        let audio = try WebRTCMedia.read(description, index: 0)
        #expect(audio.iceUfrag == "Ab3x")
        #expect(audio.fingerprint.hasPrefix("7B:8B"))
        #expect(audio.setup == .actpass)
        #expect(audio.rtcpMux)
        #expect(
            audio.codecs.first
                == Codec(
                    payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: "minptime=10;useinbandfec=1",
                    feedback: ["transport-cc"]))
        #expect(audio.ssrcs == [1001])
        #expect(audio.candidates.first?.port == 54400)
        let video = try WebRTCMedia.read(description, index: 1)
        #expect(video.ssrcs == [2001, 2002])
        #expect(video.codecs.map(\.name) == ["vp8", "rtx", "h264"])
    }

    @Test func answersWithOpusTelephoneEventAndVP8() throws {
        let offer = try SessionDescription.parse(Self.chromeOffer)
        let (answer, negotiated, setup) = try WebRTCDescriptionBuilder.answer(
            to: offer, local: Self.local, sessionId: 1)
        #expect(setup == .passive)
        #expect(negotiated[0].codecs.map(\.payloadType) == [111, 110])
        #expect(negotiated[1].codecs.map(\.name) == ["vp8"])
        #expect(negotiated[1].codecs[0].feedback == ["nack", "nack pli"])
        #expect(answer.attribute("group") == "BUNDLE 0 1")
        #expect(answer.attributes.contains(SDPAttribute("ice-lite")))
        let audio = try WebRTCMedia.read(try SessionDescription.parse(answer.text), index: 0)
        #expect(audio.setup == .passive)
        #expect(audio.ssrcs == [5555])
        #expect(
            audio.candidates == [
                Candidate(
                    foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431, address: "127.0.0.1",
                    port: 40000, type: "host")
            ])
        #expect(answer.media[0].formats == ["111", "110"])

        let audioOnly = try WebRTCDescriptionBuilder.answer(
            to: offer, local: Self.local, sessionId: 1, allowVideo: false)
        #expect(audioOnly.0.media[1].port == 0)
        #expect(audioOnly.0.attribute("group") == "BUNDLE 0")
    }

    @Test func refusesOffersItCannotUse() throws {
        func answer(_ text: String) throws -> SessionDescription {
            try WebRTCDescriptionBuilder.answer(to: try SessionDescription.parse(text), local: Self.local, sessionId: 1)
                .0
        }
        let noFingerprint = Self.chromeOffer.split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(
            separator: "\r\n")
        #expect(throws: WebRTCSDPError.missing("a=fingerprint")) { try answer(noFingerprint) }
        let noOpus = Self.chromeOffer.replacingOccurrences(
            of: "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", with: "m=audio 9 UDP/TLS/RTP/SAVPF 9 13")
        #expect(throws: WebRTCSDPError.noCommonCodec("audio")) { try answer(noOpus) }
        let noMux = Self.chromeOffer.replacingOccurrences(of: "a=rtcp-mux\r\n", with: "")
        #expect(throws: WebRTCSDPError.unsupported("media without a=rtcp-mux")) { try answer(noMux) }
        #expect(throws: SDPError.missingVersion) { try SessionDescription.parse("o=- 1 1 IN IP4 1.2.3.4\r\n") }
        #expect(throws: SDPError.badMediaLine(2)) { try SessionDescription.parse("v=0\r\nm=audio\r\n") }
        #expect(throws: SDPError.badLine(2, "expected '<letter>=<value>'")) {
            try SessionDescription.parse("v=0\r\ngarbage\r\n")
        }
        #expect(throws: SDPError.empty) { try SessionDescription.parse("\r\n") }
    }

    @Test func offersActpassWithAllCodecs() throws {
        let offer = WebRTCDescriptionBuilder.offer(local: Self.local, sessionId: 9, video: true)
        let reparsed = try SessionDescription.parse(offer.text)
        let audio = try WebRTCMedia.read(reparsed, index: 0)
        #expect(audio.setup == .actpass)
        #expect(audio.codecs.map(\.name) == ["opus", "pcmu", "pcma", "telephone-event", "telephone-event"])
        // Events at 48 kHz (beside Opus, as Chromium sends them) and at 8 kHz (Firefox's only).
        #expect(audio.codecs.filter { $0.name == "telephone-event" }.map(\.clockRate) == [48000, 8000])
        #expect(try WebRTCMedia.read(reparsed, index: 1).codecs.map(\.name) == ["vp8", "h264"])
    }

    @Test func codecsTakeEachFormatsFirstRtpmapAndFmtpAndEveryFeedbackLine() throws {
        let description = try SessionDescription.parse(
            """
            v=0\r
            m=audio 9 RTP/AVP 96 0 8 97 200\r
            a=rtcp-fb:96 nack\r
            a=rtpmap:96 opus/48000/2\r
            a=fmtp:96 useinbandfec=1\r
            a=rtpmap:96 speex/16000\r
            a=fmtp:96 ignored\r
            a=rtcp-fb:96 transport-cc\r
            a=rtpmap:8 PCMA/8000\r
            a=rtpmap:970 other/8000\r
            a=rtpmap:97\r
            a=rtcp-fb:97 nack\r

            """)
        let codecs = try Codec.list(in: description.media[0])
        #expect(
            codecs == [
                Codec(
                    payloadType: 96, name: "opus", clockRate: 48000, channels: 2, fmtp: "useinbandfec=1",
                    feedback: ["nack", "transport-cc"]),
                Codec(payloadType: 0, name: "pcmu", clockRate: 8000),
                Codec(payloadType: 8, name: "pcma", clockRate: 8000),
            ])
    }

    /// A section may list thousands of formats and attributes (an SDP may be 64 KiB): each is
    /// looked at once, and every one of them is read.
    @Test func readsASectionOfThousandsOfFormatsAndAttributes() throws {
        var text = "v=0\r\nm=audio 9 RTP/AVP " + (0..<2000).map { String($0 % 128) }.joined(separator: " ") + "\r\n"
        for pt in 0..<2000 { text += "a=rtpmap:\(pt % 128) c\(pt)/8000\r\n" }
        let description = try SessionDescription.parse(text)
        let codecs = try Codec.list(in: description.media[0])
        #expect(text.utf8.count > 50_000)
        #expect(codecs.count == 2000)
        #expect(codecs[129].payloadType == 1 && codecs[129].name == "c1")
    }

    /// Lines end in CRLF, LF or a lone CR, and only ASCII bytes separate anything: a combining mark
    /// after `=`, `:` or a space belongs to the value, and prints back the same.
    @Test func separatorsAreASCIIBytes() throws {
        let text = "v=0\rs=\u{301}x\n\na=tool:\u{301}y\r\nm=audio 9 RTP/AVP 0 \u{301}8\r\n"
        let description = try SessionDescription.parse(text)
        #expect(description.lines.map(\.value) == ["0", "\u{301}x"])
        #expect(description.attribute("tool") == "\u{301}y")
        #expect(description.media.first?.formats == ["0", "\u{301}8"])
        #expect(try SessionDescription.parse(description.text) == description)
        #expect(throws: SDPError.missingVersion) { try SessionDescription.parse("v=0\u{301}\r\n") }
        #expect(throws: SDPError.badLine(2, "expected '<letter>=<value>'")) {
            try SessionDescription.parse("v=0\r\n\u{e9}=1\r\n")
        }
        #expect(throws: SDPError.empty) { try SessionDescription.parse("\r\n\n\r") }
    }

    @Test func neverTrapsOnRandomOrTruncatedInput() {
        let bytes = Array(Self.chromeOffer.utf8)
        for length in stride(from: 0, through: bytes.count, by: 3) {
            if let d = try? SessionDescription.parse(String(decoding: bytes.prefix(length), as: UTF8.self)) {
                _ = try? WebRTCDescriptionBuilder.answer(to: d, local: Self.local, sessionId: 1)
            }
        }
        var state: UInt64 = 5
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<1500 {
            var mutated = bytes
            for _ in 0..<(1 + Int(next() % 8)) { mutated[Int(next() % UInt64(mutated.count))] = UInt8(next() % 128) }
            if let d = try? SessionDescription.parse(String(decoding: mutated, as: UTF8.self)) {
                for i in d.media.indices { _ = try? WebRTCMedia.read(d, index: i) }
                _ = try? WebRTCDescriptionBuilder.answer(to: d, local: Self.local, sessionId: 1)
            }
            _ = Candidate.parse(String(decoding: mutated.prefix(Int(next() % 80)), as: UTF8.self))
        }
    }
}
