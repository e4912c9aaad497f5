import Codecs
import Foundation
import TestSupport
import Testing

@testable import Media

/// The recording timeline: packets placed by RTP timestamp, gaps as silence, tracks aligned.
@Suite struct RecordingTimelineTests {
    static let rate = Double(RecordingTimeline.sampleRate)

    /// 20 ms of PCMU: a 1 kHz tone when `tone`, else silence.
    static func pcmu(tone: Bool, packet: Int) -> [UInt8] {
        (0..<160).map { (index: Int) -> UInt8 in
            let phase = 2 * Double.pi * 1000 * Double(packet * 160 + index) / 8000
            return G711.ulaw(tone ? Int16(8000 * sin(phase)) : 0)
        }
    }

    static func power(_ samples: ArraySlice<Int16>) -> Double {
        ToneAnalysis.power(Array(samples), frequency: 1000, rate: rate) / Double(max(samples.count, 1))
    }

    @Test func packetsArePlacedByTimestampReorderedOrNotAndGapsAreSilence() {
        let timeline = RecordingTimeline()
        var out: [Int16] = []
        let emit: (UnsafeBufferPointer<Int16>) -> Void = { out += $0 }
        // (packet index, arrival): 10 and 11 swapped, 20...24 lost, then a 2 s pause (DTX).
        var sends = (0..<50).filter { !(20...24).contains($0) }.map { ($0, 0.005 + Double($0) * 0.02) }
        sends.swapAt(10, 11)
        sends += (150..<200).map { ($0, 0.005 + Double($0) * 0.02) }
        for (index, arrival) in sends {
            Self.pcmu(tone: true, packet: index).withUnsafeBytes {
                timeline.receive(
                    codec: .pcmu, timestamp: 1000 + UInt32(index * 160), arrival: arrival, payload: $0, emit: emit)
            }
        }
        timeline.finish(at: 5, emit: emit)
        #expect(out.count == 80000)
        // Packet i starts at 5 ms + 20 ms * i.
        func slice(_ from: Double, _ to: Double) -> ArraySlice<Int16> {
            out[Int(from * Self.rate)..<Int(to * Self.rate)]
        }
        #expect(Self.power(slice(0.21, 0.24)) > 1e6, "the reordered packets are in place")
        #expect(slice(0.41, 0.50).allSatisfy { $0 == 0 }, "lost packets are silence")
        #expect(Self.power(slice(0.51, 0.99)) > 1e6)
        #expect(slice(1.01, 3.0).allSatisfy { $0 == 0 }, "a pause in the stream is silence")
        #expect(Self.power(slice(3.01, 3.99)) > 1e6)
        #expect(slice(4.01, 5.0).allSatisfy { $0 == 0 }, "the track runs to the end of the recording")
        #expect(timeline.late == 0)
    }

    @Test func aPacketTooLateIsDroppedAndCounted() {
        let timeline = RecordingTimeline()
        var out: [Int16] = []
        let emit: (UnsafeBufferPointer<Int16>) -> Void = { out += $0 }
        for index in 0..<60 where index != 5 {
            Self.pcmu(tone: true, packet: index).withUnsafeBytes {
                timeline.receive(
                    codec: .pcmu, timestamp: UInt32(index * 160), arrival: Double(index) * 0.02, payload: $0, emit: emit
                )
            }
        }
        // Packet 5 a second late: its place was written out long ago.
        Self.pcmu(tone: true, packet: 5).withUnsafeBytes {
            timeline.receive(codec: .pcmu, timestamp: 5 * 160, arrival: 1.2, payload: $0, emit: emit)
        }
        timeline.finish(at: 1.3, emit: emit)
        #expect(timeline.late == 1)
        #expect(out[Int(0.101 * Self.rate)..<Int(0.119 * Self.rate)].allSatisfy { $0 == 0 })
    }

    /// Two senders whose clocks run 0.05% fast and 0.05% slow (300 ms apart after ten minutes
    /// if placed by timestamp alone), with up to 15 ms of jitter: a tone both send at 599 s is
    /// found at 599 s in both tracks, within 20 ms.
    @Test func tracksStayAlignedOverTenMinutesWhateverTheSendersClocks() {
        var generator = SeededGenerator(seed: 7)
        var onsets: [Double] = []
        for skew in [1.0005, 0.9995] {
            let timeline = RecordingTimeline()
            var window: [Int16] = []
            var emitted = 0
            let from = Int(598.5 * Self.rate)
            let emit: (UnsafeBufferPointer<Int16>) -> Void = { samples in
                let start = emitted
                emitted += samples.count
                guard emitted > from, start < from + Int(Self.rate) else { return }
                window += samples[max(0, from - start)..<samples.count]
            }
            var timestamp = 12345.0
            for packet in 0..<30500 {
                let sent = Double(packet) * 0.02
                let arrival = sent + 0.002 + Double.random(in: 0..<0.015, using: &generator)
                let tone = sent >= 599 && sent < 599.2
                Self.pcmu(tone: tone, packet: packet).withUnsafeBytes {
                    timeline.receive(
                        codec: .pcmu, timestamp: UInt32(UInt64(timestamp) & 0xffff_ffff), arrival: arrival, payload: $0,
                        emit: emit)
                }
                timestamp += 160 * skew
            }
            timeline.finish(at: 611, emit: emit)
            #expect(emitted == 611 * 16000)
            let step = Int(Self.rate) / 200
            let onset = stride(from: 0, to: window.count - step, by: step).first {
                Self.power(window[$0..<$0 + step]) > 1e6
            }
            onsets.append(598.5 + Double(onset ?? 0) / Self.rate)
        }
        #expect(abs(onsets[0] - 599) < 0.02, "fast clock: \(onsets[0])")
        #expect(abs(onsets[1] - 599) < 0.02, "slow clock: \(onsets[1])")
        #expect(abs(onsets[0] - onsets[1]) < 0.02)
    }

    /// An Opus stream in which every third packet is overtaken by the next (held 30 ms on the
    /// way) and some come twice is recorded exactly as the same stream in order: the decoder sees
    /// it in timestamp order. Decoded as it came, a swapped frame is predicted from the wrong one.
    @Test func aReorderedOpusStreamIsDecodedInTimestampOrder() throws {
        let encoder = try OpusEncoder()
        var buffer = [UInt8](repeating: 0, count: 1500)
        let packets = try (0..<100).map { index in
            let frame = ToneAnalysis.tone(1000, rate: 48000, from: index * 960, count: 960)
            let length = try frame.withUnsafeBufferPointer { input in
                try buffer.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
            }
            return Array(buffer[0..<length])
        }
        func record(_ arrivals: [(index: Int, arrival: Double)]) -> (samples: [Int16], late: Int) {
            let timeline = RecordingTimeline()
            var out: [Int16] = []
            for (index, arrival) in arrivals.sorted(by: { $0.arrival < $1.arrival }) {
                packets[index].withUnsafeBytes {
                    timeline.receive(
                        codec: .opus, timestamp: 7000 + UInt32(index * 960), arrival: arrival, payload: $0,
                        emit: { out += $0 })
                }
            }
            timeline.finish(at: 2.1, emit: { out += $0 })
            return (out, timeline.late)
        }
        let onTime = (0..<100).map { (index: $0, arrival: 0.005 + Double($0) * 0.02) }
        let overtaken = onTime.map { $0.index % 3 == 1 ? ($0.index, $0.arrival + 0.03) : $0 }
        let repeated = [10, 50, 77].map { (index: $0, arrival: 0.005 + Double($0) * 0.02 + 0.011) }
        let (inOrder, reordered) = (record(onTime), record(overtaken + repeated))
        #expect(inOrder.samples.count == 33600 && reordered.samples.count == inOrder.samples.count)
        #expect(reordered.samples.indices.first { reordered.samples[$0] != inOrder.samples[$0] } == nil)
        #expect(reordered.late == 0)
    }

    /// An Opus packet overtaken by more than `reorderDepth` others is late even though its
    /// samples are not written out yet: dropped and counted, not decoded out of order.
    @Test func anOpusPacketBehindTheDecodedOnesIsLate() throws {
        let encoder = try OpusEncoder()
        var buffer = [UInt8](repeating: 0, count: 1500)
        let frame = ToneAnalysis.tone(1000, rate: 48000, from: 0, count: 960)
        let length = try frame.withUnsafeBufferPointer { input in
            try buffer.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
        }
        let timeline = RecordingTimeline()
        var out: [Int16] = []
        let depth = RecordingTimeline.reorderDepth
        let order = [0] + Array(2...(depth + 2)) + [1] + Array((depth + 3)..<25)
        for (slot, index) in order.enumerated() {
            buffer[0..<length].withUnsafeBytes {
                timeline.receive(
                    codec: .opus, timestamp: UInt32(index * 960), arrival: Double(slot) * 0.02, payload: $0,
                    emit: { out += $0 })
            }
        }
        timeline.finish(at: 0.5, emit: { out += $0 })
        #expect(timeline.late == 1)
        #expect(out[320..<640].allSatisfy { $0 == 0 }, "packet 1's place is silence")
        #expect(!out[640..<960].allSatisfy { $0 == 0 })
    }
}
