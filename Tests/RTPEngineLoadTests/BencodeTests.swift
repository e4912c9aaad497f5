import NIOCore
import Testing

@testable import RTPEngineLoad

@Suite struct BencodeTests {
    @Test func aMessageRoundTripsWithItsKeysSorted() throws {
        let message = Bencode.dictionary([
            "sdp": .text("v=0\r\n"), "command": .text("offer"), "flags": .list([.text("trust-address")]),
            "id": .integer(-7),
        ])
        let bytes = message.bytes
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "d7:command5:offer5:flagsl13:trust-addresse2:idi-7e3:sdp5:v=0\r\ne")
        #expect(Bencode.parse(bytes[...]) == message)
        #expect(message["command"]?.text == "offer" && message["missing"] == nil)
    }

    /// What comes back over the network is never trusted: every malformed reply is nil.
    @Test func malformedRepliesAreRefusedWithoutTrapping() {
        let bad = [
            "", "d", "d3:sdp", "d3:sdpi1e", "i12", "ie", "i1x2e", "5:abc", "99999999999999999999:x", "l", "x",
            "d1:ai1ee trailing", "di1ei2ee", String(repeating: "l", count: 100) + String(repeating: "e", count: 100),
        ]
        for text in bad { #expect(Bencode.parse(Array(text.utf8)[...]) == nil, "\(text)") }
        for length in 0..<40 {
            let random = (0..<length).map { _ in UInt8.random(in: 0...255) }
            _ = Bencode.parse(random[...])
        }
    }

    @Test func rtpenginesAnswerGivesItsAddressAndKey() throws {
        let sdp = """
            v=0\r
            o=- 1 1 IN IP4 127.0.0.1\r
            s=-\r
            c=IN IP4 127.0.0.1\r
            t=0 0\r
            m=audio 41000 RTP/SAVP 111\r
            a=rtpmap:111 opus/48000/2\r
            a=crypto:2 AEAD_AES_256_GCM inline:vLxwEwq3iIjMPjg0byXgSefYsK1yWYheDeGb1Fnp074Q0cE7H8UkYtV7Jos\r
            a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB|2^31\r

            """
        let endpoint = try Endpoint(sdp)
        #expect(endpoint.address == (try SocketAddress(ipAddress: "127.0.0.1", port: 41000)))
        #expect(endpoint.key == Array(repeating: UInt8(ascii: "A"), count: 30) && endpoint.cryptoTag == "3")
        #expect(throws: NGClient.Failure.self) {
            try Endpoint(sdp.replacingOccurrences(of: "a=crypto:3", with: "a=x:3"))
        }
        #expect(throws: NGClient.Failure.self) { try Endpoint(nil) }
    }
}
