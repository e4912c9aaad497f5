import Codecs
import Foundation

/// Audio encoded once as 20 ms Opus frames and replayed in a loop, so that a call (or 200 of
/// them) costs no encoding while it runs.
public struct EncodedAudio: Sendable {
    /// 20 ms Opus packets, played in order and then again from the first.
    public let frames: [[UInt8]]

    public init(frames: [[UInt8]]) { self.frames = frames }

    /// Sample rates Opus encodes.
    public static let opusRates: Set<Int> = [8000, 12000, 16000, 24000, 48000]

    /// A sine tone: one second, which loops without a click for whole-hertz frequencies.
    public static func tone(frequency: Double, amplitude: Double = 0.3) throws -> EncodedAudio {
        let samples = (0..<48000).map { n in
            Int16((sin(2 * Double.pi * frequency * Double(n) / 48000) * amplitude * 32767).rounded())
        }
        return try encode(mono: samples, sampleRate: 48000)
    }

    /// A WAV file's audio, mixed down to mono; its rate must be one Opus encodes.
    public static func wav(_ file: WAVFile) throws -> EncodedAudio {
        guard opusRates.contains(file.sampleRate) else {
            throw WAVError.unsupported(
                "sample rate \(file.sampleRate); use 8000, 12000, 16000, 24000 or 48000 Hz")
        }
        guard file.samples.count >= file.channels * file.sampleRate / 50 else {
            throw WAVError.unsupported("less than 20 ms of audio")
        }
        return try encode(mono: file.mono, sampleRate: file.sampleRate)
    }

    static func encode(mono samples: [Int16], sampleRate: Int) throws -> EncodedAudio {
        let encoder = try OpusEncoder(sampleRate: sampleRate, channels: 1, complexity: 5, bitrate: 32000)
        let frame = sampleRate / 50
        var frames: [[UInt8]] = []
        var packet = [UInt8](repeating: 0, count: 1500)
        for start in stride(from: 0, through: samples.count - frame, by: frame) {
            let length = try samples[start..<start + frame].withUnsafeBufferPointer { input in
                try packet.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
            }
            frames.append(Array(packet[0..<length]))
        }
        return EncodedAudio(frames: frames)
    }
}
