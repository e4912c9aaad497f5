import NIOCore
import RTP
import SDP

/// Plays audio encoded once (20 ms frames, looped) to one leg without bridging it: one frame per
/// tick of the loop's `MediaTicker`, in the codec the leg negotiated (Opus to a browser, G.711 to
/// a trunk), sent as the leg's one outgoing audio stream, so that a receiver hears
/// prompt → music → the agent as one stream. The frames are shared: each player keeps only its
/// place in them and one buffer.
///
/// `@unchecked Sendable`: `start`, `stop` and `tick` run on the leg's event loop (the ticker's),
/// the only place its state is touched.
public final class AudioPlayer: MediaTickable, @unchecked Sendable {
    public let leg: MediaLeg
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
    public init(leg: MediaLeg, audio: EncodedAudio, ticker: MediaTicker) {
        precondition(ticker.eventLoop === leg.eventLoop, "a player ticks on its leg's event loop")
        self.leg = leg
        self.audio = audio
        self.ticker = ticker
        buffer = ByteBufferAllocator().buffer(capacity: 1500)
    }

    /// Starts playing from the first frame (on the leg's loop).
    public func start() {
        leg.eventLoop.execute { [self] in startOnLoop() }
    }

    /// Stops playing (on the leg's loop); the leg's next audio, from any source, continues its stream.
    public func stop() {
        leg.eventLoop.execute { [self] in stopOnLoop() }
    }

    func startOnLoop() {
        index = 0
        framesSent = 0
        ticker.add(self)
    }

    func stopOnLoop() { ticker.remove(self) }

    public func tick(now: Double) {
        guard let codec = Self.audioCodec(of: leg), let frames = audio.frames(for: codec.name), !frames.isEmpty
        else { return }
        let frame = frames[index % frames.count]
        buffer.clear()
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(codec.payloadType | (framesSent == 0 ? 0x80 : 0))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        buffer.writeBytes(frame)
        switch leg {
        case .webRTC(let leg):
            guard let header = buffer.withUnsafeReadableBytes({ try? RTPHeader.parse($0) }) else { return }
            leg.sendAudio(&buffer, header)
        case .rtp(let leg):
            leg.sendRTP(&buffer)
        }
        sequence &+= 1
        timestamp &+= UInt32(codec.clockRate / 50)
        index = (index + 1) % frames.count
        framesSent += 1
    }

    /// The audio codec the leg sends with (not telephone-event).
    static func audioCodec(of leg: MediaLeg) -> Codec? {
        switch leg {
        case .webRTC(let leg):
            leg.negotiated.first { $0.kind == "audio" }?.codecs.first { $0.name != "telephone-event" }
        case .rtp(let leg):
            leg.negotiation?.codec
        }
    }
}
