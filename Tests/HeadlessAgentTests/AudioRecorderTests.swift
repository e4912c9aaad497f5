import Codecs
import Foundation
import TestSupport
import Testing

@testable import Media

/// The headless agent's recorder lays packets out by RTP timestamp: a packet that was overtaken
/// fills its place instead of leaving silence there, a lost one leaves silence.
@Suite struct AudioRecorderTests {
    /// Twenty 20 ms Opus packets of a 440 Hz tone.
    static func packets() throws -> [[UInt8]] {
        let encoder = try OpusEncoder()
        var out = [UInt8](repeating: 0, count: 1500)
        return try (0..<20).map { index in
            let frame = ToneAnalysis.tone(440, rate: 48000, from: index * 960, count: 960)
            let length = try frame.withUnsafeBufferPointer { input in
                try out.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
            }
            return Array(out[0..<length])
        }
    }

    static func silentFrames(_ samples: [Int16]) -> [Int] {
        stride(from: 0, to: samples.count, by: 960).filter { start in
            samples[start..<min(start + 960, samples.count)].allSatisfy { $0 == 0 }
        }.map { $0 / 960 }
    }

    @Test func anOvertakenPacketFillsItsPlaceAndALostOneLeavesSilence() throws {
        let recorder = try AudioRecorder()
        let packets = try Self.packets()
        // 5 overtakes 4, 9 is repeated, 12 is lost.
        for index in [0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19] {
            packets[index].withUnsafeBytes { recorder.append($0, timestamp: UInt32(index * 960)) }
        }
        #expect(recorder.samples.count == 20 * 960)
        #expect(Self.silentFrames(recorder.samples) == [12])
    }

    @Test func packetsBeforeTheFirstOrPastTheLimitAreDropped() throws {
        let recorder = try AudioRecorder(maximumSeconds: 1)
        let packets = try Self.packets()
        packets[1].withUnsafeBytes { recorder.append($0, timestamp: 960 * 10) }
        packets[0].withUnsafeBytes { recorder.append($0, timestamp: 0) }  // older than the first
        packets[2].withUnsafeBytes { recorder.append($0, timestamp: 960 * 10 + 48000) }  // past a second
        #expect(recorder.samples.count == 960)
    }
}
