import Foundation
import TestSupport
import Testing

@testable import Codecs

@Suite struct CodecsTests {
    @Test func g711KnownCodesAndRoundTrip() {
        #expect(G711.ulaw(0) == 0xFF)
        #expect(G711.ulawTable[0xFF] == 0)
        #expect(G711.ulawTable[0x00] == -32124)
        #expect(G711.ulawTable[0x80] == 32124)
        #expect(G711.alaw(0) == 0xD5)
        #expect(G711.alawTable[0xD5] == 8)
        #expect(G711.alawTable[0x55] == -8)
        #expect(G711.alawTable[0xAA] == 32256)
        #expect(G711.alawTable[0x2A] == -32256)
        // Every code decodes to a value that encodes back to the same code.
        for code in 0..<256 {
            let u = UInt8(code)
            #expect(G711.ulaw(G711.ulawTable[code]) == u || G711.ulawTable[code] == 0, "µ-law \(code)")
            #expect(G711.alaw(G711.alawTable[code]) == u, "A-law \(code)")
        }
        // Quantisation error stays within half a step of the segment (about 1/32 of the value).
        for sample in stride(from: -32000, through: 32000, by: 97) {
            let s = Int16(sample)
            #expect(abs(Int(G711.ulawTable[Int(G711.ulaw(s))]) - sample) <= max(16, abs(sample) / 30))
            #expect(abs(Int(G711.alawTable[Int(G711.alaw(s))]) - sample) <= max(16, abs(sample) / 30))
        }
        #expect(G711.ulaw(.min) == G711.ulaw(-32635))
    }

    @Test func opusCarriesAToneFrom48kHzToAn8kHzDecoder() throws {
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 1, complexity: 9)
        #expect(encoder.complexity == 9)
        let decoder = try OpusDecoder(sampleRate: 8000, channels: 1)
        var packet = [UInt8](repeating: 0, count: 1500)
        var decoded: [Int16] = []
        var out = [Int16](repeating: 0, count: 960)
        for frame in 0..<25 {
            let samples = (0..<960).map { i in Int16(10000 * sin(2 * Double.pi * 440 * Double(frame * 960 + i) / 48000))
            }
            let length = try samples.withUnsafeBufferPointer { pcm in
                try packet.withUnsafeMutableBufferPointer { try encoder.encode(pcm, into: $0) }
            }
            let frames = try packet.withUnsafeBufferPointer { bytes in
                try out.withUnsafeMutableBufferPointer {
                    try decoder.decode(UnsafeBufferPointer(rebasing: bytes[0..<length]), into: $0)
                }
            }
            #expect(frames == 160, "20 ms at 8 kHz")
            decoded += out[0..<frames]
        }
        let tail = Array(decoded.suffix(2000))
        let tone = ToneAnalysis.power(tail, frequency: 440, rate: 8000)
        let other = ToneAnalysis.power(tail, frequency: 1000, rate: 8000)
        #expect(tone > 100 * other, "440 Hz survives encoding and decoding (\(tone) vs \(other))")
        #expect(throws: OpusError.self) { try OpusEncoder(sampleRate: 44100) }
        var garbage: [UInt8] = [0xFF, 0xFF, 0xFF]
        #expect(throws: OpusError.self) {
            try garbage.withUnsafeMutableBufferPointer { bytes in
                try out.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeBufferPointer(bytes), into: $0) }
            }
        }
    }
}
