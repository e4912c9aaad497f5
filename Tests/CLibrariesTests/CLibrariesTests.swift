import COpenSSL
import COpus
import CSRTP
import Foundation
import SRTP
import Testing

/// Proves the system C libraries install, link and work from Swift.
@Suite struct CLibrariesTests {
    @Test func openSSLSHA256MatchesKnownVector() {
        let input = Array("abc".utf8)
        var digest = [UInt8](repeating: 0, count: 32)
        #expect(copenssl_sha256(input, input.count, &digest) == 1)
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func openSSLHMACMatchesRFC4231Case2() {
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        var mac = [UInt8](repeating: 0, count: 32)
        #expect(copenssl_hmac_sha256(key, key.count, data, data.count, &mac) == 1)
        let hex = mac.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func openSSLMakesDTLS12Context() {
        let ctx = SSL_CTX_new(DTLS_method())
        #expect(ctx != nil)
        #expect(copenssl_ctx_set_dtls12_only(ctx) == 1)
        // 0 means success for this one call in OpenSSL.
        #expect(SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80") == 0)
        SSL_CTX_free(ctx)
    }

    @Test func srtpProtectThenUnprotectRestoresPacket() throws {
        // srtp_init() must run once per process and never beside live sessions, so it goes through
        // the SRTP target's one-time initialisation; the calls below are straight into libsrtp2.
        SRTPSession.initializeLibrary()
        var key = [UInt8](repeating: 0, count: 30)
        for i in key.indices { key[i] = UInt8(i &* 7 &+ 1) }
        func makeSession(_ direction: srtp_ssrc_type_t) -> srtp_t? {
            var policy = srtp_policy_t()
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
            policy.ssrc.type = direction
            policy.window_size = 1024
            var session: srtp_t?
            let status = key.withUnsafeMutableBufferPointer { buffer -> srtp_err_status_t in
                policy.key = buffer.baseAddress
                return srtp_create(&session, &policy)
            }
            return status == srtp_err_status_ok ? session : nil
        }
        let sender = try #require(makeSession(ssrc_any_outbound))
        let receiver = try #require(makeSession(ssrc_any_inbound))
        defer {
            srtp_dealloc(sender)
            srtp_dealloc(receiver)
        }
        // RTP header: V=2, PT=111, seq=1, ts=160, ssrc=0x01020304, then 160 bytes payload.
        let header: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4]
        let payload = (0..<160).map { UInt8($0 & 0xff) }
        let plain = header + payload
        var buffer = plain + [UInt8](repeating: 0, count: Int(SRTP_MAX_TRAILER_LEN))
        var length = Int32(plain.count)
        #expect(srtp_protect(sender, &buffer, &length) == srtp_err_status_ok)
        #expect(Int(length) == plain.count + 10)
        #expect(Array(buffer[12..<Int(length - 10)]) != payload)
        #expect(srtp_unprotect(receiver, &buffer, &length) == srtp_err_status_ok)
        #expect(Array(buffer[0..<Int(length)]) == plain)
    }

    @Test func opusEncodesAndDecodesATone() throws {
        var error: Int32 = 0
        let encoder = try #require(opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error))
        defer { opus_encoder_destroy(encoder) }
        #expect(error == OPUS_OK)
        #expect(copus_encoder_set_complexity(encoder, 5) == OPUS_OK)
        var complexity: Int32 = -1
        #expect(copus_encoder_get_complexity(encoder, &complexity) == OPUS_OK)
        #expect(complexity == 5)
        let decoder = try #require(opus_decoder_create(8000, 1, &error))
        defer { opus_decoder_destroy(decoder) }

        let samples = (0..<960).map { i in
            Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / 48000))
        }
        var packet = [UInt8](repeating: 0, count: 1500)
        let bytes = opus_encode(encoder, samples, 960, &packet, 1500)
        #expect(bytes > 0)
        var decoded = [Int16](repeating: 0, count: 160)
        // Decoded straight to 8 kHz: 20 ms is 160 samples.
        #expect(opus_decode(decoder, packet, bytes, &decoded, 160, 0) == 160)
    }
}
