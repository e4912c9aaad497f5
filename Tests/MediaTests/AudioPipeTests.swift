import Codecs
import Foundation
import RTP
import SDP
import TestSupport
import Testing

@testable import Media

@Suite struct AudioPipeTests {
    static let pcmu = AudioPipe.Side(
        codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000),
        telephoneEvent: Codec(payloadType: 101, name: "telephone-event", clockRate: 8000))
    static let pcma = AudioPipe.Side(codec: Codec(payloadType: 8, name: "pcma", clockRate: 8000), telephoneEvent: nil)
    static let opus = AudioPipe.Side(
        codec: Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2),
        telephoneEvent: Codec(payloadType: 126, name: "telephone-event", clockRate: 48000))

    static func rtp(
        payloadType: UInt8, sequence: UInt16, timestamp: UInt32, payload: [UInt8], marker: Bool = false,
        ssrc: UInt32 = 0x1234_5678
    ) -> [UInt8] {
        var bytes: [UInt8] = [0x80, (marker ? 0x80 : 0) | payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        bytes += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        bytes += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        return bytes + payload
    }

    /// Runs packets through `pipe`; returns what came out and the digits reported.
    static func run(_ pipe: AudioPipe, _ packets: [[UInt8]]) -> (out: [[UInt8]], digits: [Character]) {
        var out: [[UInt8]] = []
        var digits: [Character] = []
        for packet in packets {
            packet.withUnsafeBytes { bytes in
                guard let header = try? RTPHeader.parse(bytes) else { return }
                if let digit = pipe.process(bytes, header: header, emit: { out.append(Array($0)) }) {
                    digits.append(digit)
                }
            }
        }
        return (out, digits)
    }

    /// The two pipes of a bridge build their packets in one scratch buffer: taking turns, each
    /// emits exactly what it would with its own (a transcoded direction and a passed-through one).
    @Test func pipesSharingAScratchEmitWhatEachWouldAlone() throws {
        let tone = ToneAnalysis.tone(1000, rate: 8000, from: 0, count: 8000)
        let packets = (0..<20).map { index in
            Self.rtp(
                payloadType: 0, sequence: UInt16(index), timestamp: UInt32(index * 160),
                payload: (0..<160).map { G711.ulaw(tone[index * 160 + $0]) })
        }
        let scratch = AudioPipe.Scratch()
        let sharedA = try AudioPipe(from: Self.pcmu, to: Self.opus, ssrc: 1, scratch: scratch)
        let sharedB = try AudioPipe(from: Self.pcmu, to: Self.pcmu, ssrc: 2, scratch: scratch)
        let aloneA = try AudioPipe(from: Self.pcmu, to: Self.opus, ssrc: 1)
        let aloneB = try AudioPipe(from: Self.pcmu, to: Self.pcmu, ssrc: 2)
        var (outA, outB): ([[UInt8]], [[UInt8]]) = ([], [])
        for packet in packets {
            outA += Self.run(sharedA, [packet]).out
            outB += Self.run(sharedB, [packet]).out
        }
        // Sequence numbers and timestamps start at random values per pipe: compare payloads
        // and SSRCs.
        func shape(_ packets: [[UInt8]]) -> [[UInt8]] { packets.map { Array($0[8...]) } }
        #expect(outA.count == 20 && outB.count == 20)
        #expect(shape(outA) == shape(Self.run(aloneA, packets).out))
        #expect(shape(outB) == shape(Self.run(aloneB, packets).out))
        #expect(outB.map { Array($0[12...]) } == packets.map { Array($0[12...]) })
    }

    @Test func g711ToOpusCarriesTheToneWith48kHzTimestamps() throws {
        let pipe = try AudioPipe(from: Self.pcmu, to: Self.opus, ssrc: 0xCAFE)
        let packets = (0..<50).map { n in
            Self.rtp(
                payloadType: 0, sequence: UInt16(1000 + n), timestamp: UInt32(n * 160),
                payload: ToneAnalysis.tone(440, rate: 8000, from: n * 160, count: 160).map(G711.ulaw))
        }
        let (out, _) = Self.run(pipe, packets)
        #expect(out.count == 50, "one Opus packet per 20 ms")
        let headers = try out.map { try RTPHeader.parse($0) }
        #expect(headers.allSatisfy { $0.payloadType == 111 && $0.ssrc == 0xCAFE })
        // SILK narrowband, 20 ms (RFC 6716 §3.1: TOC configuration 1), which beats the CELT layer
        // (configurations 16–19) on speech at less cost (docs/performance.md).
        #expect(out.allSatisfy { $0[headers[0].payloadOffset] >> 3 == 1 }, "SILK narrowband 20 ms frames")
        for (a, b) in zip(headers, headers.dropFirst()) {
            #expect(b.sequenceNumber == a.sequenceNumber &+ 1)
            #expect(b.timestamp == a.timestamp &+ 960)
        }
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 1)
        var pcm: [Int16] = []
        var frame = [Int16](repeating: 0, count: 5760)
        for (packet, header) in zip(out, headers) {
            let payload = Array(packet[header.payloadOffset...])
            let n = try payload.withUnsafeBufferPointer { p in
                try frame.withUnsafeMutableBufferPointer { try decoder.decode(p, into: $0) }
            }
            pcm += frame[0..<n]
        }
        let tail = Array(pcm.suffix(9600))
        #expect(
            ToneAnalysis.power(tail, frequency: 440, rate: 48000) > 50
                * ToneAnalysis.power(tail, frequency: 1000, rate: 48000))
    }

    @Test func opusToG711DecodesStraightTo8kHzAndSplits40msPackets() throws {
        let pipe = try AudioPipe(from: Self.opus, to: Self.pcma, ssrc: 7)
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 1, complexity: 5)
        var packets: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        for n in 0..<25 {
            let samples = ToneAnalysis.tone(660, rate: 48000, from: n * 1920, count: 1920)
            let length = try samples.withUnsafeBufferPointer { pcm in
                try buffer.withUnsafeMutableBufferPointer { try encoder.encode(pcm, into: $0) }
            }
            packets.append(
                Self.rtp(
                    payloadType: 111, sequence: UInt16(n), timestamp: UInt32(n * 1920),
                    payload: Array(buffer[0..<length])))
        }
        let (out, _) = Self.run(pipe, packets)
        #expect(out.count == 50, "each 40 ms Opus packet becomes two 20 ms G.711 packets")
        let headers = try out.map { try RTPHeader.parse($0) }
        #expect(headers.allSatisfy { $0.payloadType == 8 && $0.payloadLength == 160 && $0.ssrc == 7 })
        for (a, b) in zip(headers, headers.dropFirst()) { #expect(b.timestamp == a.timestamp &+ 160) }
        let pcm = out.suffix(20).flatMap { $0[12...].map { G711.alawTable[Int($0)] } }
        #expect(
            ToneAnalysis.power(pcm, frequency: 660, rate: 8000) > 50
                * ToneAnalysis.power(pcm, frequency: 1500, rate: 8000))
    }

    @Test func dtmfMovesToTheOtherClockAndIsReportedOnce() throws {
        let pipe = try AudioPipe(from: Self.pcmu, to: Self.opus, ssrc: 1)
        let audio = Self.rtp(
            payloadType: 0, sequence: 1, timestamp: 8000, payload: [UInt8](repeating: 0xFF, count: 160))
        var packets = [audio]
        for (i, duration) in [160, 320, 480, 480, 480].enumerated() {
            let end = i >= 2
            let event = TelephoneEvent(event: 5, end: end, volume: 10, duration: UInt16(duration))
            packets.append(
                Self.rtp(
                    payloadType: 101, sequence: UInt16(2 + i), timestamp: 8160, payload: event.bytes, marker: i == 0))
        }
        let (out, digits) = Self.run(pipe, packets)
        #expect(digits == ["5"])
        let headers = try out.map { try RTPHeader.parse($0) }
        #expect(headers.count == 6)
        let events = zip(out, headers).filter { $0.1.payloadType == 126 }
        #expect(events.count == 5)
        #expect(
            events.allSatisfy { $0.1.timestamp == headers[0].timestamp &+ 960 }, "160 samples at 8 kHz = 960 at 48 kHz")
        let last = try #require(TelephoneEvent.parse(Array(events[4].0[12...])))
        #expect(last.duration == 2880 && last.end && last.event == 5 && last.volume == 10)
        #expect(events[0].1.marker)
    }

    @Test func firefoxsEventsAt8kHzBesideOpusKeepTheirDurationsAndMoveTheirTimestamps() throws {
        // Firefox: Opus at 48 kHz, telephone-event/8000; an event's timestamp is in the audio's
        // clock, its duration in the event's.
        let firefox = AudioPipe.Side(
            codec: Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2),
            telephoneEvent: Codec(payloadType: 101, name: "telephone-event", clockRate: 8000))
        let pipe = try AudioPipe(from: firefox, to: Self.pcmu, ssrc: 3)
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 1, complexity: 5)
        var buffer = [UInt8](repeating: 0, count: 1500)
        let samples = ToneAnalysis.tone(660, rate: 48000, from: 0, count: 960)
        let length = try samples.withUnsafeBufferPointer { pcm in
            try buffer.withUnsafeMutableBufferPointer { try encoder.encode(pcm, into: $0) }
        }
        var packets = [Self.rtp(payloadType: 111, sequence: 1, timestamp: 48000, payload: Array(buffer[0..<length]))]
        for (i, duration) in [160, 480, 960, 960].enumerated() {
            let event = TelephoneEvent(event: 11, end: i >= 2, volume: 10, duration: UInt16(duration))
            packets.append(
                Self.rtp(
                    payloadType: 101, sequence: UInt16(2 + i), timestamp: 48960, payload: event.bytes, marker: i == 0))
        }
        let (out, digits) = Self.run(pipe, packets)
        #expect(digits == ["#"])
        let headers = try out.map { try RTPHeader.parse($0) }
        let events = zip(out, headers).filter { $0.1.payloadType == 101 }
        #expect(events.count == 4)
        #expect(
            events.allSatisfy { $0.1.timestamp == headers[0].timestamp &+ 160 }, "960 at 48 kHz is 160 at 8 kHz")
        let last = try #require(TelephoneEvent.parse(Array(events[3].0[12...])))
        #expect(last.duration == 960 && last.end && last.event == 11, "8 kHz durations stay 8 kHz")
    }

    @Test func sameCodecPassesThroughWithNewPayloadTypeAndSSRC() throws {
        let mu = AudioPipe.Side(codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000), telephoneEvent: nil)
        let dynamic = AudioPipe.Side(codec: Codec(payloadType: 96, name: "pcmu", clockRate: 8000), telephoneEvent: nil)
        let pipe = try AudioPipe(from: mu, to: dynamic, ssrc: 99)
        #expect(pipe.isPassthrough)
        let payload = (0..<160).map { UInt8($0 & 0xff) }
        let (out, _) = Self.run(
            pipe,
            [
                Self.rtp(payloadType: 0, sequence: 5, timestamp: 100, payload: payload),
                Self.rtp(payloadType: 0, sequence: 7, timestamp: 420, payload: payload),
            ])
        #expect(out.count == 2)
        #expect(Array(out[0][12...]) == payload)
        let headers = try out.map { try RTPHeader.parse($0) }
        #expect(headers.allSatisfy { $0.payloadType == 96 && $0.ssrc == 99 })
        #expect(headers[1].timestamp == headers[0].timestamp &+ 320, "a gap keeps its length")
    }

    /// A new incoming stream (stray packets first, then the phone's own; early media then the
    /// answer) starts its timestamps anywhere: the outgoing stream goes on one frame after the
    /// last packet, marked, instead of jumping by a random amount. Transcoded and passed through.
    @Test func aNewIncomingSSRCContinuesTheOutgoingTimestamps() throws {
        for output in [Self.opus, Self.pcma] {
            let pipe = try AudioPipe(from: Self.pcma, to: output, ssrc: 7)
            let step = UInt32(160 * output.codec.clockRate / 8000)
            func packets(ssrc: UInt32, base: UInt32, sequence: UInt16, count: Int) -> [[UInt8]] {
                (0..<count).map { n in
                    Self.rtp(
                        payloadType: 8, sequence: sequence &+ UInt16(n), timestamp: base &+ UInt32(n * 160),
                        payload: ToneAnalysis.tone(440, rate: 8000, from: n * 160, count: 160).map(G711.alaw),
                        ssrc: ssrc)
                }
            }
            let stray = packets(ssrc: 0xAAAA, base: 4_000_000_000, sequence: 60000, count: 2)
            let phone = packets(ssrc: 0xBBBB, base: 123_456, sequence: 9, count: 10)
            let headers = try Self.run(pipe, stray + phone).out.map { try RTPHeader.parse($0) }
            #expect(headers.count == 12)
            for (a, b) in zip(headers, headers.dropFirst()) {
                #expect(b.timestamp == a.timestamp &+ step, "\(output.codec.name): no jump at the new SSRC")
                #expect(b.sequenceNumber == a.sequenceNumber &+ 1)
            }
            #expect(headers.map(\.marker) == [false, false, true] + Array(repeating: false, count: 9))
        }
    }

    @Test func garbageAndUnknownPayloadsNeverTrap() throws {
        let pipes = [
            try AudioPipe(from: Self.opus, to: Self.pcmu, ssrc: 1),
            try AudioPipe(from: Self.pcmu, to: Self.opus, ssrc: 2),
            try AudioPipe(from: Self.opus, to: Self.opus, ssrc: 3),
            try AudioPipe(from: Self.pcmu, to: Self.pcma, ssrc: 4),
        ]
        #expect(throws: AudioPipeError.self) {
            try AudioPipe(
                from: AudioPipe.Side(codec: Codec(payloadType: 9, name: "g722", clockRate: 8000), telephoneEvent: nil),
                to: Self.pcmu, ssrc: 1)
        }
        var generator = SystemRandomNumberGenerator()
        for pipe in pipes {
            for _ in 0..<2000 {
                let length = Int.random(in: 0..<400, using: &generator)
                var payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if payload.count > 2, Bool.random() { payload[1] = [0, 8, 101, 111, 126].randomElement()! }
                _ = Self.run(
                    pipe,
                    [
                        Self.rtp(
                            payloadType: [0, 101, 111, 126, 13].randomElement()!,
                            sequence: .random(in: 0...65535), timestamp: .random(in: 0...UInt32.max), payload: payload)
                    ])
            }
        }
    }
}
