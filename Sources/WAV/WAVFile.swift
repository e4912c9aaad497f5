import Foundation

/// Why a WAV file could not be read.
public enum WAVError: Error, Equatable, Sendable, CustomStringConvertible {
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

/// A WAV file: its format and its audio data as stored, read and written. The one WAV reader of
/// the project: uploads are checked with it, players and recorders read and write with it.
/// Reading walks the RIFF chunks and never traps on bad input.
public struct WAVFile: Equatable, Sendable {
    /// How samples are stored, named as the REST API reports it.
    public enum Encoding: String, Sendable {
        case pcm16 = "PCM16", pcm8 = "PCM8", alaw = "PCMA", ulaw = "PCMU"

        public var bytesPerSample: Int { self == .pcm16 ? 2 : 1 }
        var formatCode: UInt16 {
            switch self {
            case .pcm16, .pcm8: 1
            case .alaw: 6
            case .ulaw: 7
            }
        }
    }

    public var encoding: Encoding
    public var sampleRate: Int
    public var channels: Int
    /// The data chunk, interleaved, as stored (little-endian for 16-bit PCM, unsigned 8-bit PCM).
    public var data: [UInt8]

    public init(encoding: Encoding, sampleRate: Int, channels: Int, data: [UInt8]) {
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
        self.data = data
    }

    /// A 16-bit PCM file of interleaved `samples`.
    public init(samples: [Int16], sampleRate: Int, channels: Int) {
        var data: [UInt8] = []
        data.reserveCapacity(samples.count * 2)
        for sample in samples {
            data.append(UInt8(truncatingIfNeeded: sample))
            data.append(UInt8(truncatingIfNeeded: sample >> 8))
        }
        self.init(encoding: .pcm16, sampleRate: sampleRate, channels: channels, data: data)
    }

    /// How long the audio lasts.
    public var durationMilliseconds: Int {
        data.count * 1000 / max(1, sampleRate * channels * encoding.bytesPerSample)
    }

    /// Reads a RIFF/WAVE file: 16-bit or 8-bit PCM, A-law or µ-law, mono or stereo, 8 to 48 kHz.
    /// A data chunk cut short (a recording that was not finished) keeps what is there.
    public static func parse(_ bytes: [UInt8]) throws(WAVError) -> WAVFile {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw .notWAV }
        var offset = 12
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = bytes[offset..<offset + 4]
            let size = Int(le32(bytes, offset + 4))
            let body = offset + 8
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16, body + 16 <= bytes.count else { throw .truncated }
                var code = Int(le16(bytes, body))
                // WAVE_FORMAT_EXTENSIBLE: the format is the sub-format's first two bytes.
                if code == 0xFFFE, size >= 26, body + 26 <= bytes.count { code = Int(le16(bytes, body + 24)) }
                format = (code, Int(le16(bytes, body + 2)), Int(le32(bytes, body + 4)), Int(le16(bytes, body + 14)))
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw .missingFormat }
                return try make(format, bytes[body..<min(bytes.count, body + size)])
            }
            guard size <= bytes.count - body else { throw .truncated }
            offset = body + size + (size & 1)
        }
        throw format == nil ? .missingFormat : .missingData
    }

    public static func read(path: String) throws -> WAVFile {
        try parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The file's bytes: RIFF, a 16-byte fmt chunk, the data chunk.
    public var bytes: [UInt8] {
        var out = Self.header(encoding: encoding, sampleRate: sampleRate, channels: channels, dataBytes: data.count)
        out += data
        if data.count & 1 == 1 { out.append(0) }
        return out
    }

    /// Length of the header `header(...)` makes: the data starts there.
    public static let headerLength = 44

    /// The 44 bytes before the samples of a canonical file (RIFF, a 16-byte fmt chunk, the data
    /// chunk's header) holding `dataBytes` bytes of samples.
    public static func header(encoding: Encoding, sampleRate: Int, channels: Int, dataBytes: Int) -> [UInt8] {
        let blockAlign = channels * encoding.bytesPerSample
        var out: [UInt8] = Array("RIFF".utf8)
        out += bytes32(UInt32(truncatingIfNeeded: 36 + dataBytes + (dataBytes & 1))) + Array("WAVEfmt ".utf8)
        out += bytes32(16)
        out += bytes16(encoding.formatCode) + bytes16(UInt16(channels)) + bytes32(UInt32(sampleRate))
        out += bytes32(UInt32(sampleRate * blockAlign)) + bytes16(UInt16(blockAlign))
        out += bytes16(UInt16(encoding.bytesPerSample * 8))
        out += Array("data".utf8) + bytes32(UInt32(truncatingIfNeeded: dataBytes))
        return out
    }

    public func write(path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func make(_ format: (code: Int, channels: Int, rate: Int, bits: Int), _ data: ArraySlice<UInt8>)
        throws(WAVError) -> WAVFile
    {
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
        // Whole sample frames only.
        let frame = format.channels * encoding.bytesPerSample
        let usable = data.count - data.count % frame
        guard usable > 0 else { throw .empty }
        return WAVFile(
            encoding: encoding, sampleRate: format.rate, channels: format.channels,
            data: Array(data.prefix(usable)))
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
            | UInt32(bytes[at + 3]) << 24
    }

    private static func bytes16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func bytes32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }
}
