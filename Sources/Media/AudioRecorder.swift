import Codecs
import WAV

/// Decodes what a leg hears (Opus, 48 kHz mono) into a timeline laid out by RTP timestamp, as a
/// receiver's jitter buffer would: packets wait in a `PacketReorderWindow` until `reorderDepth`
/// newer ones have come, then are decoded in timestamp order, so a packet that was overtaken
/// still takes its place and the decoder never sees the stream out of order. Gaps become
/// silence; a repeated packet, or one later than the window, is dropped.
/// Fed on the leg's event loop; read once the leg is closed (reading decodes what is held).
///
/// `@unchecked Sendable`: `append` runs on the leg's event loop, and `samples` is read there too
/// (callers `submit` to the loop) or after the leg has closed.
public final class AudioRecorder: @unchecked Sendable {
    public static let sampleRate = 48000
    /// Packets held back before decoding: 10 (200 ms of 20 ms packets), a jitter buffer's reach.
    public static let reorderDepth = 10
    /// The timeline so far, after decoding every packet still held.
    public var samples: [Int16] {
        while window.oldestPosition != nil { window.releaseOldest(decode) }
        return decoded
    }
    private var decoded: [Int16] = []
    private let decoder: OpusDecoder
    private var firstTimestamp: UInt32?
    private var scratch = [Int16](repeating: 0, count: 5760)
    private let limit: Int
    private var window = PacketReorderWindow(depth: reorderDepth)

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
        // Older than the first packet (a huge distance once wrapped), beyond the limit, or
        // older than audio already decoded.
        guard position < limit, position >= decoded.count else { return }
        _ = window.hold(payload, at: position, release: decode)
    }

    public var wav: WAVFile { WAVFile(samples: samples, sampleRate: Self.sampleRate, channels: 1) }

    private func decode(_ position: Int, _ payload: UnsafeRawBufferPointer) {
        let count = payload.withMemoryRebound(to: UInt8.self) { packet in
            scratch.withUnsafeMutableBufferPointer { (try? decoder.decode(packet, into: $0)) ?? 0 }
        }
        guard count > 0, position >= decoded.count else { return }
        decoded.append(contentsOf: repeatElement(0, count: position - decoded.count))
        decoded.append(contentsOf: scratch[0..<min(count, limit - position)])
    }
}
