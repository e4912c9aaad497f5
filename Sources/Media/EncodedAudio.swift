import Codecs
import Foundation
import WAV

/// Why audio cannot be played.
public enum AudioSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    case sampleRate(Int)
    case tooShort

    public var description: String {
        switch self {
        case .sampleRate(let rate): "cannot play audio at \(rate) Hz; use 8000 to 48000 Hz"
        case .tooShort: "cannot play less than 20 ms of audio"
        }
    }
}

/// Audio encoded once, as 20 ms Opus frames for WebRTC legs and G.711 frames for trunks, and
/// replayed in a loop, so that a call (or 200 of them) costs no encoding while it runs.
public struct EncodedAudio: Sendable {
    /// 20 ms Opus packets, played in order and then again from the first.
    public let frames: [[UInt8]]
    /// The same audio at 8 kHz as 20 ms G.711 payloads (160 bytes each), µ-law and A-law.
    public let pcmu: [[UInt8]]
    public let pcma: [[UInt8]]
    /// The same audio as Opus coded no wider than 4 kHz, what a browser sends when the far end
    /// asks for `maxplaybackrate=8000` (the gateway does for calls to phones); nil unless made
    /// with `tone(frequency:narrowbandOpus: true)`.
    public private(set) var narrowbandOpus: [[UInt8]]?

    /// Audio from Opus frames; the G.711 frames are decoded from them at 8 kHz.
    public init(frames: [[UInt8]]) throws {
        self.frames = frames
        (pcmu, pcma) = try Self.narrowband(frames)
    }

    init(frames: [[UInt8]], pcmu: [[UInt8]], pcma: [[UInt8]]) {
        self.frames = frames
        self.pcmu = pcmu
        self.pcma = pcma
    }

    /// 20 ms of silence in every codec: what a player sends where its program has nothing, so a
    /// trunk keeps receiving media (carriers end calls that fall silent at the RTP level).
    public static let silence: EncodedAudio =
        (try? encode(mono: [Int16](repeating: 0, count: 960), sampleRate: 48000))
        ?? EncodedAudio(
            frames: [], pcmu: [[UInt8](repeating: 0xFF, count: 160)], pcma: [[UInt8](repeating: 0xD5, count: 160)])

    /// How long the audio lasts, in seconds.
    public var seconds: Double { Double(frames.count) / 50 }

    /// The frames for a codec by its SDP name (`opus`, `pcmu`, `pcma`); nil for any other.
    public func frames(for codec: String) -> [[UInt8]]? {
        switch codec {
        case "opus": frames
        case "pcmu": pcmu
        case "pcma": pcma
        default: nil
        }
    }

    /// Decodes Opus frames at 8 kHz (libopus resamples as it decodes) and encodes them as G.711.
    static func narrowband(_ frames: [[UInt8]]) throws -> (pcmu: [[UInt8]], pcma: [[UInt8]]) {
        let decoder = try OpusDecoder(sampleRate: 8000, channels: 1)
        var samples = [Int16](repeating: 0, count: 960)
        var ulaw = [UInt8](repeating: 0, count: 160)
        var alaw = [UInt8](repeating: 0, count: 160)
        var pcmu: [[UInt8]] = []
        var pcma: [[UInt8]] = []
        pcmu.reserveCapacity(frames.count)
        pcma.reserveCapacity(frames.count)
        for frame in frames {
            let count = try frame.withUnsafeBufferPointer { packet in
                try samples.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
            }
            if count < 160 { samples.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            samples.withUnsafeBufferPointer { decoded in
                let frame = UnsafeBufferPointer(rebasing: decoded[0..<160])
                ulaw.withUnsafeMutableBufferPointer { G711.encode(frame, aLaw: false, into: $0) }
                alaw.withUnsafeMutableBufferPointer { G711.encode(frame, aLaw: true, into: $0) }
            }
            pcmu.append(ulaw)
            pcma.append(alaw)
        }
        return (pcmu, pcma)
    }

    /// Sample rates Opus encodes.
    public static let opusRates: Set<Int> = [8000, 12000, 16000, 24000, 48000]

    /// A sine tone: one second, which loops without a click for whole-hertz frequencies.
    /// With `narrowbandOpus` it also carries the tone as narrowband Opus (`narrowbandOpus`).
    public static func tone(frequency: Double, amplitude: Double = 0.3, narrowbandOpus: Bool = false) throws
        -> EncodedAudio
    {
        let samples = (0..<48000).map { n in
            Int16((sin(2 * Double.pi * frequency * Double(n) / 48000) * amplitude * 32767).rounded())
        }
        var audio = try encode(mono: samples, sampleRate: 48000)
        if narrowbandOpus { audio.narrowbandOpus = try opus(mono: samples, sampleRate: 48000, narrowband: true) }
        return audio
    }

    /// A WAV file's audio, mixed down to mono.
    public static func wav(_ file: WAVFile) throws -> EncodedAudio {
        try pcm(mono: file.mono, sampleRate: file.sampleRate)
    }

    /// Mono 16-bit audio at `sampleRate`; a rate Opus does not encode (11.025, 22.05, 44.1 kHz…)
    /// is resampled to the next one up.
    public static func pcm(mono samples: [Int16], sampleRate: Int) throws -> EncodedAudio {
        guard samples.count >= sampleRate / 50 else { throw AudioSourceError.tooShort }
        guard opusRates.contains(sampleRate) else {
            guard let rate = opusRates.sorted().first(where: { $0 >= sampleRate }) else {
                throw AudioSourceError.sampleRate(sampleRate)
            }
            return try encode(mono: Resampler.resample(samples, from: sampleRate, to: rate), sampleRate: rate)
        }
        return try encode(mono: samples, sampleRate: sampleRate)
    }

    static func encode(mono samples: [Int16], sampleRate: Int) throws -> EncodedAudio {
        try EncodedAudio(frames: opus(mono: samples, sampleRate: sampleRate, narrowband: false))
    }

    /// 20 ms Opus frames of `samples` (complexity 5, 32 kbit/s).
    static func opus(mono samples: [Int16], sampleRate: Int, narrowband: Bool) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(
            sampleRate: sampleRate, channels: 1, complexity: 5, bitrate: 32000, narrowband: narrowband)
        let frame = sampleRate / 50
        var frames: [[UInt8]] = []
        var packet = [UInt8](repeating: 0, count: 1500)
        for start in stride(from: 0, through: samples.count - frame, by: frame) {
            let length = try samples[start..<start + frame].withUnsafeBufferPointer { input in
                try packet.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
            }
            frames.append(Array(packet[0..<length]))
        }
        return frames
    }
}
