import Codecs
import WAV

/// Decodes what a leg hears (Opus, 48 kHz mono) into a timeline laid out by RTP timestamp:
/// gaps become silence, and a packet that comes after one that overtook it fills its place
/// (a repeated packet is dropped).
/// Fed on the leg's event loop; read once the leg is closed.
///
/// `@unchecked Sendable`: `append` runs on the leg's event loop, and `samples` is read there too
/// (callers `submit` to the loop) or after the leg has closed.
public final class AudioRecorder: @unchecked Sendable {
    public static let sampleRate = 48000
    public private(set) var samples: [Int16] = []
    private let decoder: OpusDecoder
    private var firstTimestamp: UInt32?
    private var scratch = [Int16](repeating: 0, count: 5760)
    private let limit: Int

    /// - Parameter maximumSeconds: recording stops growing after this much audio.
    public init(maximumSeconds: Int = 3600) throws {
        decoder = try OpusDecoder(sampleRate: Self.sampleRate, channels: 1)
        limit = maximumSeconds * Self.sampleRate
    }

    /// One Opus packet with its RTP timestamp (48 kHz clock).
    public func append(_ payload: UnsafeRawBufferPointer, timestamp: UInt32) {
        let first = firstTimestamp ?? timestamp
        firstTimestamp = first
        let position = Int(timestamp &- first)
        // Older than the first packet (a huge distance once wrapped), or beyond the limit.
        guard position < limit else { return }
        let decoded = payload.withMemoryRebound(to: UInt8.self) { packet in
            scratch.withUnsafeMutableBufferPointer { try? decoder.decode(packet, into: $0) }
        }
        guard let decoded else { return }
        let count = min(decoded, limit - position)
        if position > samples.count { samples.append(contentsOf: repeatElement(0, count: position - samples.count)) }
        // A late packet takes back the silence left where it belongs (a repeated one finds its
        // place taken and is dropped); what runs past the end is new.
        let overlap = min(count, samples.count - position)
        if overlap > 0 {
            guard samples[position..<position + overlap].allSatisfy({ $0 == 0 }) else { return }
            samples.replaceSubrange(position..<position + overlap, with: scratch[0..<overlap])
        }
        samples.append(contentsOf: scratch[overlap..<count])
    }

    public var wav: WAVFile { WAVFile(samples: samples, sampleRate: Self.sampleRate, channels: 1) }
}
