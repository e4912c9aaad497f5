import Testing

@testable import SRTP

@Suite struct SRTPTests {
    static func rtp(sequence: UInt16, payload: [UInt8] = Array(repeating: 0xAB, count: 160)) -> [UInt8] {
        [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xff), 0, 0, 3, 0xC0, 1, 2, 3, 4] + payload
    }

    static func roundTrip(_ profile: SRTPProfile) throws {
        let key = (0..<profile.keyingLength).map { UInt8($0 * 3 & 0xff) }
        let sender = try SRTPSession(profile: profile, keyAndSalt: key, outbound: true)
        let receiver = try SRTPSession(profile: profile, keyAndSalt: key, outbound: false)
        var buffer = [UInt8](repeating: 0, count: 1500)
        let plain = rtp(sequence: 1)
        buffer.replaceSubrange(0..<plain.count, with: plain)
        let protected = try buffer.withUnsafeMutableBytes { try sender.protect($0, length: plain.count) }
        #expect(protected > plain.count)
        #expect(Array(buffer[12..<plain.count]) != Array(plain[12...]))
        let wire = Array(buffer[0..<protected])
        let restored = try buffer.withUnsafeMutableBytes { try receiver.unprotect($0, length: protected) }
        #expect(Array(buffer[0..<restored]) == plain)

        // The same packet again is a replay.
        buffer.replaceSubrange(0..<wire.count, with: wire)
        #expect(throws: SRTPError.replay) {
            try buffer.withUnsafeMutableBytes { try receiver.unprotect($0, length: wire.count) }
        }
        // A flipped bit fails authentication.
        let next = rtp(sequence: 2)
        buffer.replaceSubrange(0..<next.count, with: next)
        let length = try buffer.withUnsafeMutableBytes { try sender.protect($0, length: next.count) }
        buffer[20] ^= 0x01
        #expect(throws: SRTPError.authentication) {
            try buffer.withUnsafeMutableBytes { try receiver.unprotect($0, length: length) }
        }
        // A wrong key fails authentication.
        let stranger = try SRTPSession(profile: profile, keyAndSalt: key.map { $0 ^ 0xff }, outbound: false)
        buffer.replaceSubrange(0..<wire.count, with: wire)
        #expect(throws: SRTPError.authentication) {
            try buffer.withUnsafeMutableBytes { try stranger.unprotect($0, length: wire.count) }
        }
        // RTCP.
        let rtcp: [UInt8] = [0x81, 201, 0, 7, 0, 0, 0, 9] + [UInt8](repeating: 1, count: 24)
        buffer.replaceSubrange(0..<rtcp.count, with: rtcp)
        let rtcpLength = try buffer.withUnsafeMutableBytes { try sender.protectRTCP($0, length: rtcp.count) }
        let rtcpRestored = try buffer.withUnsafeMutableBytes { try receiver.unprotectRTCP($0, length: rtcpLength) }
        #expect(Array(buffer[0..<rtcpRestored]) == rtcp)
    }

    @Test func aesCmRoundTripReplayAndTamper() throws { try Self.roundTrip(.aes128CmSha1_80) }
    @Test func aeadGcmRoundTripReplayAndTamper() throws { try Self.roundTrip(.aeadAes128Gcm) }

    @Test func refusesBadInput() throws {
        #expect(throws: SRTPError.setup(-1)) {
            try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: [1, 2], outbound: true)
        }
        let receiver = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Array(repeating: 1, count: 30), outbound: false)
        var small = [UInt8](repeating: 0x80, count: 8)
        #expect(throws: SRTPError.tooShort) {
            try small.withUnsafeMutableBytes { try receiver.unprotect($0, length: 8) }
        }
        var state: UInt64 = 3
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            var garbage = (0..<Int(state >> 58) + 12).map { i in
                UInt8(truncatingIfNeeded: (state >> UInt64(i % 56)) &+ UInt64(i))
            }
            garbage[0] = 0x80
            let count = garbage.count
            _ = try? garbage.withUnsafeMutableBytes { try receiver.unprotect($0, length: count) }
        }
    }
}
