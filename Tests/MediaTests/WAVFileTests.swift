import TestSupport
import Testing

@testable import Media

@Suite struct WAVFileTests {
    @Test func roundTripsMonoAndStereoAndMixesDown() throws {
        let stereo = WAVFile(samples: [0, 2, -1, -3, 32767, 32767, -32768, -32768], sampleRate: 16000, channels: 2)
        let parsed = try WAVFile.parse(stereo.bytes)
        #expect(parsed == stereo)
        #expect(parsed.mono == [1, -2, 32767, -32768])
        let mono = WAVFile(samples: [5, -5, 7], sampleRate: 48000, channels: 1)
        #expect(try WAVFile.parse(mono.bytes) == mono)
        #expect(mono.bytes.count == 44 + 6)
    }

    @Test func skipsOtherChunksAndReadsExtensibleFormat() throws {
        var bytes = WAVFile(samples: [1, 2, 3], sampleRate: 8000, channels: 1).bytes
        // A LIST chunk of odd size (padded) between fmt and data.
        let list: [UInt8] = Array("LIST".utf8) + [3, 0, 0, 0, 65, 66, 67, 0]
        bytes.insert(contentsOf: list, at: 36)
        #expect(try WAVFile.parse(bytes).samples == [1, 2, 3])
        // WAVE_FORMAT_EXTENSIBLE whose sub-format is PCM.
        var extensible = Array(bytes[0..<12]) + Array("fmt ".utf8) + [40, 0, 0, 0] + [0xFE, 0xFF]
        extensible += Array(bytes[22..<36]) + [22, 0, 16, 0, 4, 0, 0, 0, 1, 0] + Array(repeating: 0, count: 14)
        extensible += Array(bytes[36...])
        #expect(try WAVFile.parse(extensible).samples == [1, 2, 3])
    }

    @Test func refusesWhatItCannotPlayWithAClearReason() {
        let good = WAVFile(samples: [1, 2], sampleRate: 8000, channels: 1).bytes
        #expect(throws: WAVError.notRIFF) { try WAVFile.parse(Array("not a wave file at all".utf8)) }
        var eightBit = good
        eightBit[34] = 8
        #expect(throws: WAVError.unsupported("8-bit samples; only 16-bit is read")) { try WAVFile.parse(eightBit) }
        var float = good
        float[20] = 3
        #expect(throws: WAVError.unsupported("format 3; only PCM is read")) { try WAVFile.parse(float) }
        #expect(throws: WAVError.missingChunk("data")) { try WAVFile.parse(Array(good[0..<36])) }
        #expect(throws: WAVError.missingChunk("fmt")) { try WAVFile.parse(Array(good[0..<12])) }
        #expect(WAVError.unsupported("x").description == "unsupported WAV: x")
    }

    @Test func aCutDataChunkKeepsWhatIsThere() throws {
        let bytes = WAVFile(samples: [1, 2, 3, 4], sampleRate: 8000, channels: 1).bytes
        #expect(try WAVFile.parse(Array(bytes.dropLast(3))).samples == [1, 2])
    }

    @Test func neverTrapsOnRandomTruncatedOrMutatedInput() {
        var generator = SeededGenerator(seed: 11)
        let good = WAVFile(samples: (0..<64).map { Int16($0 * 100) }, sampleRate: 16000, channels: 2).bytes
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
    }
}
