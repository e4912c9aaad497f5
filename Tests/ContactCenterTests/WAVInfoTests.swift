import Foundation
import TestSupport
import Testing

@testable import ContactCenter

@Suite struct WAVInfoTests {
    static func wav(code: Int = 1, channels: Int = 1, rate: Int = 8000, bits: Int = 16, dataBytes: Int = 1600)
        -> [UInt8]
    {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xff) } }
        let fmt =
            le16(code) + le16(channels) + le32(rate) + le32(rate * channels * bits / 8) + le16(channels * bits / 8)
            + le16(bits)
        return Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + fmt
            + Array("LIST".utf8) + le32(3) + [1, 2, 3, 0] + Array("data".utf8) + le32(dataBytes)
            + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test func readsFormatsAndDuration() throws {
        let pcm = try WAVInfo.parse(Self.wav())
        #expect(
            pcm == WAVInfo(encoding: .pcm16, sampleRate: 8000, channels: 1, dataBytes: 1600, durationMilliseconds: 100))
        #expect(try WAVInfo.parse(Self.wav(code: 7, bits: 8, dataBytes: 8000)).encoding == .ulaw)
        #expect(try WAVInfo.parse(Self.wav(code: 6, bits: 8, dataBytes: 800)).durationMilliseconds == 100)
        #expect(try WAVInfo.parse(Self.wav(channels: 2, rate: 48000, dataBytes: 192_000)).durationMilliseconds == 1000)
    }

    @Test func refusesWhatCannotBePlayed() {
        #expect(throws: WAVError.notWAV) { try WAVInfo.parse(Array("hello world!".utf8)) }
        #expect(throws: WAVError.unsupportedEncoding(code: 3, bits: 32)) {
            try WAVInfo.parse(Self.wav(code: 3, bits: 32))
        }
        #expect(throws: WAVError.unsupportedChannels(6)) { try WAVInfo.parse(Self.wav(channels: 6)) }
        #expect(throws: WAVError.unsupportedSampleRate(96000)) { try WAVInfo.parse(Self.wav(rate: 96000)) }
        #expect(throws: WAVError.empty) { try WAVInfo.parse(Self.wav(dataBytes: 0)) }
    }

    @Test func neverTrapsOnTruncatedOrCorruptedInput() {
        let good = Self.wav()
        for length in 0..<80 { _ = try? WAVInfo.parse(Array(good.prefix(length))) }
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<3000 {
            var bytes = Array(good.prefix(Int.random(in: 0...120, using: &generator)))
            for _ in 0..<Int.random(in: 1...6, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? WAVInfo.parse(bytes)
        }
        // Chunk sizes near Int32 limits must not overflow offsets.
        var huge = good
        huge.replaceSubrange(36..<44, with: Array("LIST".utf8) + [0xff, 0xff, 0xff, 0xff])
        #expect(throws: WAVError.self) { try WAVInfo.parse(huge) }
    }
}
