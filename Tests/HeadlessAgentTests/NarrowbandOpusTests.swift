import SDP
import Testing

@testable import ClientMedia
@testable import Media

/// A client leg told `maxplaybackrate=8000` sends narrowband Opus, as browsers do.
@Suite struct NarrowbandOpusTests {
    static func description(fmtp: String?) throws -> SessionDescription {
        var lines = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111 101",
            "c=IN IP4 127.0.0.1", "a=rtpmap:111 opus/48000/2", "a=rtpmap:101 telephone-event/8000",
        ]
        if let fmtp { lines.append("a=fmtp:\(fmtp)") }
        return try SessionDescription.parse(lines.joined(separator: "\r\n") + "\r\n")
    }

    @Test func maxplaybackrateOnTheOpusPayloadTypeAsksForNarrowband() throws {
        let asks = { (fmtp: String?) in
            ClientLeg.asksNarrowband(try Self.description(fmtp: fmtp), opusPayloadType: 111)
        }
        #expect(try asks("111 minptime=10;useinbandfec=1;maxplaybackrate=8000;sprop-maxcapturerate=8000"))
        #expect(try asks("111 maxplaybackrate = 8000"))
        #expect(try !asks("111 minptime=10;useinbandfec=1"))
        #expect(try !asks("111 maxplaybackrate=16000"))
        #expect(try !asks("101 maxplaybackrate=8000"))
        #expect(try !asks("111 maxplaybackrate=eight"))
        #expect(try !asks(nil))
    }

    /// The TOC byte's configuration (RFC 6716 §3.1): 0–3 SILK narrowband, 16–19 CELT narrowband.
    static func isNarrowband(_ frame: [UInt8]) -> Bool {
        let configuration = frame[0] >> 3
        return configuration < 4 || (16...19).contains(configuration)
    }

    @Test func aToneCanCarryNarrowbandOpusFramesBesideItsFullbandOnes() throws {
        let plain = try EncodedAudio.tone(frequency: 440)
        #expect(plain.narrowbandOpus == nil)
        let both = try EncodedAudio.tone(frequency: 440, narrowbandOpus: true)
        let narrow = try #require(both.narrowbandOpus)
        #expect(narrow.count == both.frames.count && narrow.count == 50)
        #expect(narrow.allSatisfy(Self.isNarrowband))
        #expect(!both.frames.contains(where: Self.isNarrowband))
    }
}
