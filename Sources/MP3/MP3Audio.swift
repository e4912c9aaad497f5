import CMPG123

/// Why an MP3 file could not be read.
public enum MP3Error: Error, Equatable, Sendable, CustomStringConvertible {
    case notMP3
    case unreadable(String)
    case empty
    case unsupportedSampleRate(Int)

    public var description: String {
        switch self {
        case .notMP3: "not an MP3 file (no ID3 tag or MPEG audio frame at its start)"
        case .unreadable(let why): "MP3 file cannot be decoded: \(why)"
        case .empty: "MP3 file has no audio"
        case .unsupportedSampleRate(let rate): "unsupported MP3 sample rate \(rate) Hz; use 8000 to 48000 Hz"
        }
    }
}

/// An MP3 file decoded with libmpg123 (Debian's, maintained upstream): 16-bit samples,
/// interleaved. Decoding runs on bytes in memory (feed mode) and never traps on bad input.
public struct MP3Audio: Sendable, Equatable {
    public var samples: [Int16]
    public var sampleRate: Int
    public var channels: Int

    public var durationMilliseconds: Int { samples.count * 1000 / max(1, sampleRate * channels) }

    /// One channel: the samples as they are, or the mean of two.
    public var mono: [Int16] {
        guard channels == 2 else { return samples }
        return stride(from: 0, to: samples.count - 1, by: 2).map {
            Int16((Int(samples[$0]) + Int(samples[$0 + 1])) / 2)
        }
    }

    /// Whether `bytes` start like an MP3 file: an ID3v2 tag or an MPEG audio frame header.
    public static func looksLikeMP3(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 3, bytes[0] == 0x49, bytes[1] == 0x44, bytes[2] == 0x33 { return true }
        return bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0
    }

    /// Decodes a whole MP3 file.
    public static func decode(_ bytes: [UInt8]) throws(MP3Error) -> MP3Audio {
        guard looksLikeMP3(bytes) else { throw .notMP3 }
        var status: Int32 = 0
        guard let handle = mpg123_new(nil, &status) else { throw .unreadable("libmpg123 did not start") }
        defer { mpg123_delete(handle) }
        mpg123_param2(handle, Int32(MPG123_ADD_FLAGS.rawValue), Int(MPG123_QUIET.rawValue), 0)
        // Every rate and channel count, 16-bit signed only.
        mpg123_format_none(handle)
        for rate in [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] {
            mpg123_format(
                handle, rate, Int32(MPG123_MONO.rawValue | MPG123_STEREO.rawValue), Int32(MPG123_ENC_SIGNED_16.rawValue)
            )
        }
        guard mpg123_open_feed(handle) == MPG123_OK.rawValue else { throw .unreadable("libmpg123 cannot open a feed") }
        var samples: [Int16] = []
        var rate = 0
        var channels = 0
        var out = [UInt8](repeating: 0, count: 32768)
        var input: [UInt8]? = bytes
        while true {
            var done = 0
            let result = out.withUnsafeMutableBufferPointer { output -> Int32 in
                if let feed = input {
                    input = nil
                    return feed.withUnsafeBufferPointer {
                        mpg123_decode(handle, $0.baseAddress, $0.count, output.baseAddress, output.count, &done)
                    }
                }
                return mpg123_decode(handle, nil, 0, output.baseAddress, output.count, &done)
            }
            if done > 0 {
                out.withUnsafeBytes { raw in
                    samples.append(contentsOf: raw.bindMemory(to: Int16.self).prefix(done / 2))
                }
            }
            if result == MPG123_NEW_FORMAT.rawValue {
                var r = 0
                var c: Int32 = 0
                var encoding: Int32 = 0
                mpg123_getformat(handle, &r, &c, &encoding)
                // Frames of another rate or channel count after some were decoded would be read
                // with the last format only (found by `scripts/fuzz FuzzMP3`).
                if !samples.isEmpty, r != rate || Int(c) != channels {
                    throw .unreadable(
                        "the stream changes from \(rate) Hz, \(channels) channels to \(r) Hz, \(c) channels")
                }
                rate = r
                channels = Int(c)
                continue
            }
            if result == MPG123_OK.rawValue { continue }
            if result == MPG123_NEED_MORE.rawValue || result == MPG123_DONE.rawValue { break }
            let message = mpg123_plain_strerror(result).map { String(cString: $0) } ?? "error \(result)"
            throw .unreadable(message)
        }
        guard rate > 0, (1...2).contains(channels), !samples.isEmpty else { throw .empty }
        guard (8000...48000).contains(rate) else { throw .unsupportedSampleRate(rate) }
        return MP3Audio(samples: samples, sampleRate: rate, channels: channels)
    }
}
