import TestSupport
import Testing
import WAV

@Suite struct WAVFileTests {
    /// A WAV file with a LIST chunk before its data, as editors write them.
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

    @Test func readsEveryEncodingWithItsDuration() throws {
        let pcm = try WAVFile.parse(Self.wav())
        #expect(pcm.encoding == .pcm16 && pcm.sampleRate == 8000 && pcm.channels == 1 && pcm.data.count == 1600)
        #expect(pcm.durationMilliseconds == 100)
        #expect(try WAVFile.parse(Self.wav(code: 7, bits: 8, dataBytes: 8000)).encoding == .ulaw)
        #expect(try WAVFile.parse(Self.wav(code: 6, bits: 8, dataBytes: 800)).durationMilliseconds == 100)
        #expect(try WAVFile.parse(Self.wav(bits: 8, dataBytes: 800)).encoding == .pcm8)
        #expect(try WAVFile.parse(Self.wav(channels: 2, rate: 48000, dataBytes: 192_000)).durationMilliseconds == 1000)
    }

    @Test func roundTripsEveryEncoding() throws {
        let stereo = WAVFile(samples: [0, 2, -1, -3, 32767, 32767, -32768, -32768], sampleRate: 16000, channels: 2)
        #expect(try WAVFile.parse(stereo.bytes) == stereo)
        #expect(stereo.bytes.count == 44 + 16)
        let ulaw = WAVFile(encoding: .ulaw, sampleRate: 8000, channels: 1, data: [0xff, 0x7f, 0x00])
        let parsed = try WAVFile.parse(ulaw.bytes)
        #expect(parsed == ulaw && ulaw.bytes.count == 44 + 4, "odd data is padded")
    }

    @Test func skipsOtherChunksAndReadsExtensibleFormat() throws {
        var bytes = WAVFile(samples: [1, 2, 3], sampleRate: 8000, channels: 1).bytes
        // A LIST chunk of odd size (padded) between fmt and data.
        let list: [UInt8] = Array("LIST".utf8) + [3, 0, 0, 0, 65, 66, 67, 0]
        bytes.insert(contentsOf: list, at: 36)
        #expect(try WAVFile.parse(bytes).data == [1, 0, 2, 0, 3, 0])
        // WAVE_FORMAT_EXTENSIBLE whose sub-format is PCM.
        var extensible = Array(bytes[0..<12]) + Array("fmt ".utf8) + [40, 0, 0, 0] + [0xFE, 0xFF]
        extensible += Array(bytes[22..<36]) + [22, 0, 16, 0, 4, 0, 0, 0, 1, 0] + Array(repeating: 0, count: 14)
        extensible += Array(bytes[36...])
        #expect(try WAVFile.parse(extensible).data == [1, 0, 2, 0, 3, 0])
    }

    @Test func refusesWhatCannotBePlayedWithAClearReason() {
        #expect(throws: WAVError.notWAV) { try WAVFile.parse(Array("hello world!".utf8)) }
        #expect(throws: WAVError.unsupportedEncoding(code: 3, bits: 32)) {
            try WAVFile.parse(Self.wav(code: 3, bits: 32))
        }
        #expect(throws: WAVError.unsupportedChannels(6)) { try WAVFile.parse(Self.wav(channels: 6)) }
        #expect(throws: WAVError.unsupportedSampleRate(96000)) { try WAVFile.parse(Self.wav(rate: 96000)) }
        #expect(throws: WAVError.empty) { try WAVFile.parse(Self.wav(dataBytes: 0)) }
        let good = WAVFile(samples: [1, 2], sampleRate: 8000, channels: 1).bytes
        #expect(throws: WAVError.missingData) { try WAVFile.parse(Array(good[0..<36])) }
        #expect(throws: WAVError.missingFormat) { try WAVFile.parse(Array(good[0..<12])) }
        #expect(
            WAVError.unsupportedEncoding(code: 3, bits: 32).description
                == "unsupported WAV encoding (format 3, 32 bits); use 16-bit PCM, 8-bit PCM, A-law or µ-law")
    }

    @Test func aCutDataChunkKeepsTheWholeSamplesThatAreThere() throws {
        let bytes = WAVFile(samples: [1, 2, 3, 4], sampleRate: 8000, channels: 1).bytes
        #expect(try WAVFile.parse(Array(bytes.dropLast(3))).data == [1, 0, 2, 0])
    }

    @Test func neverTrapsOnTruncatedOrCorruptedInput() {
        var generator = SeededGenerator(seed: 11)
        let good = Self.wav(channels: 2, rate: 16000, dataBytes: 256)
        for cut in 0...good.count { _ = try? WAVFile.parse(Array(good[0..<cut])) }
        for _ in 0..<3000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? WAVFile.parse(bytes)
            let noise = (0..<Int.random(in: 0..<80, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? WAVFile.parse(Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8) + noise)
        }
        // Chunk sizes near the 32-bit limit must not overflow offsets.
        var huge = good
        huge.replaceSubrange(36..<44, with: Array("LIST".utf8) + [0xff, 0xff, 0xff, 0xff])
        #expect(throws: WAVError.truncated) { try WAVFile.parse(huge) }
    }
}
