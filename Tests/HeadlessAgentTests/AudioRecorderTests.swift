import Codecs
import Foundation
import TestSupport
import Testing

@testable import Media

/// The headless agent's recorder lays packets out by RTP timestamp, decoding them in order as a
/// jitter buffer would: a packet that was overtaken fills its place instead of leaving silence
/// there, a lost one leaves silence.
@Suite struct AudioRecorderTests {
    /// `count` 20 ms Opus packets of a 440 Hz tone.
    static func packets(_ count: Int = 20) throws -> [[UInt8]] {
        let encoder = try OpusEncoder()
        var out = [UInt8](repeating: 0, count: 1500)
        return try (0..<count).map { index in
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

    /// What the relay in Tests/chaos does to a stream: of every three packets the last two swap
    /// places, and some come twice. Decoded as they came, the Opus decoder predicts each swapped
    /// frame from the wrong one and blares (a frame three times as loud as the tone was seen);
    /// decoded in timestamp order, the recording is exactly what an undisturbed stream gives.
    @Test func aReorderedStreamIsDecodedAsIfItHadComeInOrder() throws {
        let packets = try Self.packets(100)
        let inOrder = try AudioRecorder()
        for (index, packet) in packets.enumerated() {
            packet.withUnsafeBytes { inOrder.append($0, timestamp: UInt32(index * 960)) }
        }
        var order: [Int] = []
        for start in stride(from: 0, to: 99, by: 3) { order += [start, start + 2, start + 1] }
        for repeated in [10, 50, 77] { order.insert(repeated, at: order.firstIndex(of: repeated + 1)! + 1) }
        let reordered = try AudioRecorder()
        for index in order + [99] {
            packets[index].withUnsafeBytes { reordered.append($0, timestamp: UInt32(index * 960)) }
        }
        let (heard, expected) = (reordered.samples, inOrder.samples)
        #expect(heard.count == 100 * 960 && expected.count == heard.count)
        #expect(heard.indices.first { heard[$0] != expected[$0] } == nil)
    }

    /// A packet more than `reorderDepth` packets late is too late, as for a jitter buffer: it
    /// leaves silence and is not decoded out of order.
    @Test func aPacketLaterThanTheReorderWindowIsDropped() throws {
        let packets = try Self.packets(30)
        let recorder = try AudioRecorder()
        let late = 5
        let order = Array(0..<late) + Array((late + 1)...(late + AudioRecorder.reorderDepth + 1)) + [late]
        for index in order + Array((late + AudioRecorder.reorderDepth + 2)..<30) {
            packets[index].withUnsafeBytes { recorder.append($0, timestamp: UInt32(index * 960)) }
        }
        #expect(Self.silentFrames(recorder.samples) == [late])
        #expect(recorder.samples.count == 30 * 960)
    }
}
