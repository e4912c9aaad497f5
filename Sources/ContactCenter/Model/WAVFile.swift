import Foundation

/// What a WAV file's header says, checked well enough to play it later.
public struct WAVInfo: Sendable, Equatable {
    public enum Encoding: String, Sendable { case pcm16 = "PCM16", pcm8 = "PCM8", alaw = "PCMA", ulaw = "PCMU" }
    public var encoding: Encoding
    public var sampleRate: Int
    public var channels: Int
    public var dataBytes: Int
    public var durationMilliseconds: Int

    /// Parses a RIFF/WAVE header and finds the data chunk. Never traps on bad input.
    public static func parse(_ bytes: [UInt8]) throws(WAVError) -> WAVInfo {
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else {
            throw .notWAV
        }
        var offset = 12
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            guard let size = u32(offset + 4) else { throw .truncated }
            let id = bytes[offset..<offset + 4]
            let body = offset + 8
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16, let code = u16(body), let channels = u16(body + 2), let rate = u32(body + 4),
                    let bits = u16(body + 14)
                else { throw .truncated }
                format = (code, channels, rate, bits)
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw .missingFormat }
                let encoding: Encoding
                switch (format.code, format.bits) {
                case (1, 16): encoding = .pcm16
                case (1, 8): encoding = .pcm8
                case (6, 8): encoding = .alaw
                case (7, 8): encoding = .ulaw
                default: throw .unsupportedEncoding(code: format.code, bits: format.bits)
                }
                guard (1...2).contains(format.channels) else { throw .unsupportedChannels(format.channels) }
                guard (8000...48000).contains(format.rate) else { throw .unsupportedSampleRate(format.rate) }
                let available = min(size, bytes.count - body)
                guard available > 0 else { throw .empty }
                let bytesPerSecond = format.rate * format.channels * format.bits / 8
                return WAVInfo(
                    encoding: encoding, sampleRate: format.rate, channels: format.channels, dataBytes: available,
                    durationMilliseconds: available * 1000 / bytesPerSecond)
            }
            guard size >= 0, body + size <= Int.max - 1 else { throw .truncated }
            offset = body + size + (size & 1)
        }
        throw format == nil ? .missingFormat : .missingData
    }
}

public enum WAVError: Error, Equatable, CustomStringConvertible {
    case notWAV, truncated, missingFormat, missingData, empty
    case unsupportedEncoding(code: Int, bits: Int)
    case unsupportedChannels(Int)
    case unsupportedSampleRate(Int)

    public var description: String {
        switch self {
        case .notWAV: "not a WAV file (expected a RIFF/WAVE header)"
        case .truncated: "WAV file is truncated"
        case .missingFormat: "WAV file has no fmt chunk before its data"
        case .missingData: "WAV file has no data chunk"
        case .empty: "WAV file has no audio"
        case .unsupportedEncoding(let code, let bits):
            "unsupported WAV encoding (format \(code), \(bits) bits); use 16-bit PCM, 8-bit PCM, A-law or µ-law"
        case .unsupportedChannels(let n): "unsupported channel count \(n); use mono or stereo"
        case .unsupportedSampleRate(let r): "unsupported sample rate \(r) Hz; use 8000 to 48000 Hz"
        }
    }
}
