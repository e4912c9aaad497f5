import Foundation

/// Why a WAV file could not be read.
public enum WAVError: Error, Equatable, Sendable, CustomStringConvertible {
    case notRIFF
    case missingChunk(String)
    case unsupported(String)
    case truncated

    public var description: String {
        switch self {
        case .notRIFF: "not a WAV file (no RIFF/WAVE header)"
        case .missingChunk(let name): "the WAV file has no \(name) chunk"
        case .unsupported(let what): "unsupported WAV: \(what)"
        case .truncated: "the WAV file is truncated"
        }
    }
}

/// 16-bit PCM WAV, read and written. Reading walks the RIFF chunks and never traps on bad
/// input.
public struct WAVFile: Equatable, Sendable {
    /// Interleaved samples.
    public var samples: [Int16]
    public var sampleRate: Int
    public var channels: Int

    public init(samples: [Int16], sampleRate: Int, channels: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// One channel: the samples as they are, or the mean of two.
    public var mono: [Int16] {
        guard channels == 2 else { return samples }
        var mixed: [Int16] = []
        mixed.reserveCapacity(samples.count / 2)
        var index = 0
        while index + 1 < samples.count {
            let sum = Int(samples[index]) + Int(samples[index + 1])
            mixed.append(Int16(sum / 2))
            index += 2
        }
        return mixed
    }

    public static func parse(_ bytes: [UInt8]) throws(WAVError) -> WAVFile {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw .notRIFF }
        var offset = 12
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let name = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(Self.le32(bytes, offset + 4))
            let body = offset + 8
            guard size <= bytes.count - body else {
                // A data chunk cut short (a recording that was not finished) keeps what is there.
                if name == "data", let format { return try make(format, bytes[body...]) }
                throw .truncated
            }
            switch name {
            case "fmt ":
                guard size >= 16 else { throw .truncated }
                var code = Int(Self.le16(bytes, body))
                if code == 0xFFFE, size >= 26 { code = Int(Self.le16(bytes, body + 24)) }
                format = (
                    code, Int(Self.le16(bytes, body + 2)), Int(Self.le32(bytes, body + 4)),
                    Int(Self.le16(bytes, body + 14))
                )
            case "data":
                guard let format else { throw .missingChunk("fmt") }
                return try make(format, bytes[body..<body + size])
            default:
                break
            }
            offset = body + size + (size & 1)
        }
        throw .missingChunk(format == nil ? "fmt" : "data")
    }

    public static func read(path: String) throws -> WAVFile {
        try parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The file's bytes: RIFF, a 16-byte fmt chunk, the data chunk.
    public var bytes: [UInt8] {
        let dataSize = samples.count * 2
        var out: [UInt8] = Array("RIFF".utf8)
        out += Self.bytes32(UInt32(36 + dataSize)) + Array("WAVEfmt ".utf8) + Self.bytes32(16)
        out += Self.bytes16(1) + Self.bytes16(UInt16(channels)) + Self.bytes32(UInt32(sampleRate))
        out += Self.bytes32(UInt32(sampleRate * channels * 2)) + Self.bytes16(UInt16(channels * 2)) + Self.bytes16(16)
        out += Array("data".utf8) + Self.bytes32(UInt32(dataSize))
        out.reserveCapacity(out.count + dataSize)
        for sample in samples {
            out.append(UInt8(truncatingIfNeeded: sample))
            out.append(UInt8(truncatingIfNeeded: sample >> 8))
        }
        return out
    }

    public func write(path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func make(_ format: (code: Int, channels: Int, rate: Int, bits: Int), _ data: ArraySlice<UInt8>)
        throws(WAVError) -> WAVFile
    {
        guard format.code == 1 else { throw .unsupported("format \(format.code); only PCM is read") }
        guard format.bits == 16 else { throw .unsupported("\(format.bits)-bit samples; only 16-bit is read") }
        guard (1...2).contains(format.channels) else { throw .unsupported("\(format.channels) channels") }
        guard (1...384_000).contains(format.rate) else { throw .unsupported("sample rate \(format.rate)") }
        var samples: [Int16] = []
        samples.reserveCapacity(data.count / 2)
        var index = data.startIndex
        while index + 1 < data.endIndex {
            samples.append(Int16(bitPattern: UInt16(data[index]) | UInt16(data[index + 1]) << 8))
            index += 2
        }
        return WAVFile(samples: samples, sampleRate: format.rate, channels: format.channels)
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3])
            << 24
    }

    private static func bytes16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func bytes32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }
}
