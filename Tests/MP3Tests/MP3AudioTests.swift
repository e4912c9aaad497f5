import Foundation
import MP3
import TestSupport
import Testing

@Suite struct MP3AudioTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "mp3"))
        return Array(try Data(contentsOf: url))
    }

    @Test func decodesMonoAndStereoFilesMadeByLAME() throws {
        // Made with `lame -b 32` from 1 s of 1 kHz at 16 kHz, and `-b 64` from 0.5 s of 660 Hz
        // stereo at 44.1 kHz (sox).
        let mono = try MP3Audio.decode(try Self.fixture("tone-1000hz-16k-mono"))
        #expect(mono.sampleRate == 16000 && mono.channels == 1)
        #expect((950...1150).contains(mono.durationMilliseconds), "\(mono.durationMilliseconds) ms (encoder padding)")
        let middle = Array(mono.samples[4000..<12000])
        #expect(
            ToneAnalysis.power(middle, frequency: 1000, rate: 16000)
                > 100 * ToneAnalysis.power(middle, frequency: 700, rate: 16000))
        let stereo = try MP3Audio.decode(try Self.fixture("tone-660hz-44k-stereo"))
        #expect(stereo.sampleRate == 44100 && stereo.channels == 2)
        #expect((450...600).contains(stereo.durationMilliseconds))
        let left = Array(stereo.mono[4410..<17640])
        #expect(
            ToneAnalysis.power(left, frequency: 660, rate: 44100)
                > 100 * ToneAnalysis.power(left, frequency: 1000, rate: 44100))
    }

    @Test func refusesWhatIsNotMP3OrHasNoAudio() {
        #expect(throws: MP3Error.notMP3) { try MP3Audio.decode(Array("RIFF....WAVE".utf8)) }
        #expect(throws: MP3Error.notMP3) { try MP3Audio.decode([]) }
        #expect(throws: MP3Error.self) { try MP3Audio.decode(Array("ID3".utf8) + [UInt8](repeating: 0, count: 64)) }
        #expect(throws: MP3Error.self) { try MP3Audio.decode([0xFF, 0xFB] + [UInt8](repeating: 0x55, count: 500)) }
    }

    @Test func neverTrapsOnTruncatedOrCorruptedFiles() throws {
        let good = try Self.fixture("tone-1000hz-16k-mono")
        var generator = SeededGenerator(seed: 3)
        for cut in stride(from: 0, to: good.count, by: 97) { _ = try? MP3Audio.decode(Array(good[0..<cut])) }
        for _ in 0..<300 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? MP3Audio.decode(bytes)
        }
    }

    /// Found by `scripts/fuzz FuzzMP3`: frames whose channel count changes mid-stream were all
    /// read as the last format (an odd number of samples "in stereo"); such a file is refused.
    @Test func aStreamWhoseFormatChangesMidwayIsRefused() throws {
        #expect {
            _ = try MP3Audio.decode(try Self.fixture("fuzz-format-change"))
        } throws: { error in
            guard case MP3Error.unreadable(let why) = error else { return false }
            return why.hasPrefix("the stream changes from")
        }
    }
}
