import HTTPRange
import Testing
@testable import GatewayServer

/// The `Range` header of recording downloads, and the signed links of the supervisor page.
@Suite struct ByteRangeTests {
    @Test func oneRangeOfBytesIsServedPartially() {
        #expect(ByteRange.parse(nil, size: 1000) == .whole)
        #expect(ByteRange.parse("bytes=0-99", size: 1000) == .part(0...99))
        #expect(ByteRange.parse("bytes=900-", size: 1000) == .part(900...999))
        #expect(ByteRange.parse("bytes=-100", size: 1000) == .part(900...999))
        #expect(ByteRange.parse("bytes=-5000", size: 1000) == .part(0...999), "a suffix longer than the file")
        #expect(ByteRange.parse("bytes=500-5000", size: 1000) == .part(500...999), "an end past the file")
        #expect(ByteRange.parse(" bytes = 1-2 ", size: 1000) == .part(1...2))
    }

    @Test func whatCannotBeServedOrReadIsToldApart() {
        #expect(ByteRange.parse("bytes=1000-", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1", size: 0) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-9", size: 1000) == .whole, "several ranges: the whole file")
        #expect(ByteRange.parse("items=0-1", size: 1000) == .whole, "another unit: the whole file")
        for bad in [
            "bytes=abc", "bytes=5-1", "bytes=-", "bytes", "=0-1", "bytes=1-2-3", "bytes=+1-2", "bytes=0x1-2",
            "bytes=99999999999999999999-", "bytes=0-1,x",
        ] {
            #expect(ByteRange.parse(bad, size: 1000) == .invalid, "\(bad)")
        }
    }

    @Test func anyHeaderIsReadWithoutTrapping() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("bytes=-0123456789, \t;xX")
        for _ in 0..<20000 {
            let header = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement()! })
            let size = Int.random(in: 0...5000, using: &generator)
            if case .part(let range) = ByteRange.parse(header, size: size) {
                #expect(range.lowerBound >= 0 && range.upperBound < size, "\(header) of \(size)")
            }
        }
    }

    @Test func aSignedLinkOpensOneResourceUntilItExpires() {
        let signer = TokenSigner(key: Array(repeating: 7, count: 32))
        let signature = signer.signLink("recording/r1", expires: 2000)
        #expect(signer.verifyLink("recording/r1", expires: 2000, signature: signature, now: 1999))
        #expect(!signer.verifyLink("recording/r1", expires: 2000, signature: signature, now: 2000), "expired")
        #expect(!signer.verifyLink("recording/r2", expires: 2000, signature: signature, now: 1000), "another file")
        #expect(!signer.verifyLink("recording/r1", expires: 3000, signature: signature, now: 1000), "a later expiry")
        #expect(!signer.verifyLink("recording/r1", expires: 2000, signature: "AAAA", now: 1000))
        #expect(
            !TokenSigner(key: Array(repeating: 8, count: 32)).verifyLink(
                "recording/r1", expires: 2000, signature: signature, now: 1000), "another gateway's key")
    }
}
