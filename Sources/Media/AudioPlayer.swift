import NIOCore
import RTP

/// Plays audio encoded once (20 ms Opus frames, looped) to a WebRTC leg without bridging it:
/// one frame per tick of the loop's `MediaTicker`, sent as the leg's one outgoing audio stream
/// (`WebRTCLeg.sendAudio`), so that a receiver hears prompt → music → the agent as one stream.
/// The frames are shared: each player keeps only its place in them and one buffer.
///
/// `@unchecked Sendable`: `start`, `stop` and `tick` run on the leg's event loop (the ticker's),
/// the only place its state is touched.
public final class AudioPlayer: MediaTickable, @unchecked Sendable {
    public let leg: WebRTCLeg
    public let audio: EncodedAudio
    private let ticker: MediaTicker
    /// This player's own stream identity and numbering; the leg renumbers it into its stream.
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private var index = 0
    private var buffer: ByteBuffer
    /// Frames sent since `start`.
    public private(set) var framesSent = 0

    /// A player for `leg`; `ticker` must run on the leg's event loop.
    public init(leg: WebRTCLeg, audio: EncodedAudio, ticker: MediaTicker) {
        precondition(ticker.eventLoop === leg.eventLoop, "a player ticks on its leg's event loop")
        self.leg = leg
        self.audio = audio
        self.ticker = ticker
        buffer = ByteBufferAllocator().buffer(capacity: 1500)
    }

    /// Starts playing from the first frame (on the leg's loop).
    public func start() {
        leg.eventLoop.execute { [self] in
            index = 0
            ticker.add(self)
        }
    }

    /// Stops playing (on the leg's loop); the leg's next audio, from any source, continues its stream.
    public func stop() {
        leg.eventLoop.execute { [self] in ticker.remove(self) }
    }

    public func tick(now: Double) {
        guard !audio.frames.isEmpty, let payloadType = Self.opusPayloadType(of: leg) else { return }
        let frame = audio.frames[index]
        buffer.clear()
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(payloadType | (framesSent == 0 ? 0x80 : 0))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        buffer.writeBytes(frame)
        guard let header = buffer.withUnsafeReadableBytes({ try? RTPHeader.parse($0) }) else { return }
        leg.sendAudio(&buffer, header)
        sequence &+= 1
        timestamp &+= 960
        index = (index + 1) % audio.frames.count
        framesSent += 1
    }

    static func opusPayloadType(of leg: WebRTCLeg) -> UInt8? {
        leg.negotiated.first { $0.kind == "audio" }?.codecs.first { $0.name == "opus" }?.payloadType
    }
}
