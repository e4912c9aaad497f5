import Testing

@testable import SRTP

/// The OpenSSL backend must produce what libsrtp2 produces, byte for byte, and each must accept
/// the other's packets.
@Suite struct BackendEquivalenceTests {
    static let key = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 11) }

    static func packet(sequence: UInt16, ssrc: UInt32, payload: Int, csrc: Bool, extensionWords: Int) -> [UInt8] {
        var bytes: [UInt8] = [
            0x80 | (csrc ? 1 : 0) | (extensionWords > 0 ? 0x10 : 0), 111, UInt8(sequence >> 8), UInt8(sequence & 0xff),
        ]
        bytes += [
            0, 1, 2, 3, UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff),
        ]
        if csrc { bytes += [9, 9, 9, 9] }
        if extensionWords > 0 {
            bytes += [0xBE, 0xDE, 0, UInt8(extensionWords)] + [UInt8](repeating: 0x11, count: 4 * extensionWords)
        }
        return bytes + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(sequence)) }
    }

    func protect(_ session: SRTPSession, _ plain: [UInt8], rtcp: Bool = false) throws -> [UInt8] {
        var buffer = plain + [UInt8](repeating: 0, count: SRTPSession.maximumTrailer + 4)
        let length = try buffer.withUnsafeMutableBytes {
            rtcp ? try session.protectRTCP($0, length: plain.count) : try session.protect($0, length: plain.count)
        }
        return Array(buffer[0..<length])
    }

    func unprotect(_ session: SRTPSession, _ wire: [UInt8], rtcp: Bool = false) throws -> [UInt8] {
        var buffer = wire
        let length = try buffer.withUnsafeMutableBytes {
            rtcp ? try session.unprotectRTCP($0, length: wire.count) : try session.unprotect($0, length: wire.count)
        }
        return Array(buffer[0..<length])
    }

    @Test func rtpIsByteIdenticalAcrossSequenceWrapAndHeaderShapes() throws {
        let reference = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: true, preferredBackend: .libsrtp)
        let fast = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: true, preferredBackend: .openSSL)
        #expect(fast.backend == .openSSL && reference.backend == .libsrtp)
        let referenceIn = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: false, preferredBackend: .libsrtp)
        let fastIn = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: false, preferredBackend: .openSSL)
        var sequence: UInt16 = 65_500
        for i in 0..<200 {
            // Five streams: the context keeps two in itself and makes room for the rest.
            for ssrc: UInt32 in [0xCAFE_0001, 0x0000_0002, 0x0000_0003, 0xFFFF_FFFF, 0x1234_5678] {
                let plain = Self.packet(
                    sequence: sequence, ssrc: ssrc, payload: [1, 17, 160, 1000][i % 4], csrc: i % 3 == 0,
                    extensionWords: i % 5 == 0 ? 2 : 0)
                let a = try protect(reference, plain)
                let b = try protect(fast, plain)
                #expect(a == b, "packet \(i) seq \(sequence) differs")
                #expect(try unprotect(fastIn, a) == plain)
                #expect(try unprotect(referenceIn, b) == plain)
            }
            sequence &+= 1
        }
    }

    @Test func rtcpIsByteIdenticalAndInteroperates() throws {
        let reference = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: true, preferredBackend: .libsrtp)
        let fast = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: true, preferredBackend: .openSSL)
        let referenceIn = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: false, preferredBackend: .libsrtp)
        let fastIn = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: false, preferredBackend: .openSSL)
        for i in 0..<20 {
            let plain: [UInt8] =
                [0x81, 201, 0, 7, 0xCA, 0xFE, 0, 1] + (0..<24).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            let a = try protect(reference, plain, rtcp: true)
            let b = try protect(fast, plain, rtcp: true)
            #expect(a == b, "SRTCP packet \(i) differs")
            #expect(try unprotect(fastIn, a, rtcp: true) == plain)
            #expect(try unprotect(referenceIn, b, rtcp: true) == plain)
        }
    }

    @Test func fastBackendRejectsReplaysTamperingAndGarbage() throws {
        let out = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: true)
        let inbound = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: Self.key, outbound: false)
        let wires = try (0..<100).map {
            try protect(out, Self.packet(sequence: UInt16($0), ssrc: 7, payload: 160, csrc: false, extensionWords: 0))
        }
        for wire in wires.reversed().prefix(60) { _ = try unprotect(inbound, wire) }  // out of order within the window
        #expect(throws: SRTPError.replay) { try unprotect(inbound, wires[99]) }
        #expect(throws: SRTPError.replay) { try unprotect(inbound, wires[0]) }  // older than the window
        var tampered = try protect(
            out, Self.packet(sequence: 100, ssrc: 7, payload: 160, csrc: false, extensionWords: 0))
        tampered[30] ^= 4
        #expect(throws: SRTPError.authentication) { try unprotect(inbound, tampered) }
        var state: UInt64 = 17
        for _ in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let length = Int(state >> 57)
            var garbage = (0..<length).map { UInt8(truncatingIfNeeded: state >> UInt64($0 % 56)) }
            if !garbage.isEmpty { garbage[0] = 0x80 | (garbage[0] & 0x3f) }
            _ = try? unprotect(inbound, garbage)
            _ = try? unprotect(inbound, garbage, rtcp: true)
        }
    }
}

/// A context keeps up to 16 streams (SSRCs) per direction, two of them in itself: the 17th is
/// refused, and the first ones still work after it.
@Suite struct SRTPStreamTableTests {
    @Test func sixteenStreamsAreKeptAndTheSeventeenthIsRefused() throws {
        let outbound = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: BackendEquivalenceTests.key, outbound: true,
            preferredBackend: .openSSL)
        let inbound = try SRTPSession(
            profile: .aes128CmSha1_80, keyAndSalt: BackendEquivalenceTests.key, outbound: false,
            preferredBackend: .openSSL)
        let suite = BackendEquivalenceTests()
        for sequence: UInt16 in 1...3 {
            for ssrc: UInt32 in 1...16 {
                let plain = BackendEquivalenceTests.packet(
                    sequence: sequence, ssrc: ssrc, payload: 40, csrc: false, extensionWords: 0)
                #expect(try suite.unprotect(inbound, try suite.protect(outbound, plain)) == plain)
            }
        }
        let seventeenth = BackendEquivalenceTests.packet(
            sequence: 1, ssrc: 17, payload: 40, csrc: false, extensionWords: 0)
        #expect(throws: (any Error).self) { try suite.protect(outbound, seventeenth) }
        let first = BackendEquivalenceTests.packet(sequence: 4, ssrc: 1, payload: 40, csrc: false, extensionWords: 0)
        #expect(try suite.unprotect(inbound, try suite.protect(outbound, first)) == first)
    }
}
