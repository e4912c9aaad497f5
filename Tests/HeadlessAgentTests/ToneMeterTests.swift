import Foundation
import TestSupport
import Testing

@testable import ClientMedia

/// The tone check of the load generator and the headless agent: the strongest frequency of what a
/// leg heard, found even when packets were lost (20 ms of silence here and there).
@Suite struct ToneMeterTests {
    static func tone(_ frequency: Double, seconds: Double, rate: Int = 48000, gaps: Double = 0) -> [Int16] {
        var generator = SeededGenerator(seed: 3)
        let frame = rate / 50
        var samples = (0..<Int(seconds * Double(rate))).map {
            Int16(9000 * sin(2 * Double.pi * frequency * Double($0) / Double(rate)))
        }
        for start in stride(from: 0, to: samples.count, by: frame)
        where Double.random(in: 0..<1, using: &generator) < gaps {
            for index in start..<min(start + frame, samples.count) { samples[index] = 0 }
        }
        return samples
    }

    @Test(arguments: [440.0, 523.0, 660.0, 784.0])
    func findsTheToneWithAFifthOfItsFramesLost(frequency: Double) throws {
        let heard = try #require(
            ToneMeter.dominantFrequency(Self.tone(frequency, seconds: 1, gaps: 0.2)[...], rate: 48000))
        #expect(abs(heard - frequency) <= 1, "heard \(heard) Hz")
    }

    @Test func aSilentStartDoesNotMisleadIt() throws {
        var samples = Self.tone(440, seconds: 1, gaps: 0.1)
        for index in 0..<14400 { samples[index] = 0 }  // the first 0.3 s lost
        let heard = try #require(ToneMeter.dominantFrequency(samples[...], rate: 48000))
        #expect(abs(heard - 440) <= 1, "heard \(heard) Hz")
    }

    @Test func sixteenKilohertzAudioIsMeasuredToo() throws {
        let heard = try #require(
            ToneMeter.dominantFrequency(Self.tone(1000, seconds: 1, rate: 16000)[...], rate: 16000))
        #expect(abs(heard - 1000) <= 1)
    }

    @Test func silenceAndTooLittleAudioHoldNoTone() {
        #expect(ToneMeter.dominantFrequency([Int16](repeating: 0, count: 48000)[...], rate: 48000) == nil)
        #expect(ToneMeter.dominantFrequency([Int16](repeating: 3, count: 48000)[...], rate: 48000) == nil)
        #expect(ToneMeter.dominantFrequency(Self.tone(440, seconds: 0.01)[...], rate: 48000) == nil)
    }
}
