import NIOCore
import RTP
import SDP

/// Plays a program of audio encoded once (a greeting, looped music, announcements: 20 ms frames)
/// to one leg without bridging it: one frame per tick of the loop's `MediaTicker`, in the codec
/// the leg negotiated (Opus to a browser, G.711 to a trunk), sent as the leg's one outgoing audio
/// stream, so that a receiver hears prompt → music → the agent as one stream. Where the program
/// has nothing, silence is sent. The frames are shared: each player keeps only its place in
/// them, and builds its packet in its ticker's scratch buffer (legs copy or write what they send
/// before they return).
///
/// `@unchecked Sendable`: `start`, `stop` and `tick` run on the leg's event loop (the ticker's),
/// the only place its state is touched.
public final class AudioPlayer: MediaTickable, @unchecked Sendable {
    public let leg: MediaLeg
    public let program: AudioProgram
    private let ticker: MediaTicker
    private var cursor: AudioProgramCursor
    /// This player's own stream identity and numbering; the leg renumbers it into its stream.
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    /// Frames sent since `start`.
    public private(set) var framesSent = 0
    /// Told, on the loop, when an interruption (announcement) starts (true) and ends (false).
    public var onInterruption: (@Sendable (Bool) -> Void)?

    /// A player of `program` for `leg`; `ticker` must run on the leg's event loop.
    public init(leg: MediaLeg, program: AudioProgram, ticker: MediaTicker) {
        precondition(ticker.eventLoop === leg.eventLoop, "a player ticks on its leg's event loop")
        self.leg = leg
        self.program = program
        self.ticker = ticker
        cursor = AudioProgramCursor(program)
    }

    /// A player of `audio`, looped.
    public convenience init(leg: MediaLeg, audio: EncodedAudio, ticker: MediaTicker) {
        self.init(leg: leg, program: .looping(audio), ticker: ticker)
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
        cursor = AudioProgramCursor(program)
        framesSent = 0
        ticker.add(self)
    }

    func stopOnLoop() { ticker.remove(self) }

    /// Another interruption from the next one on; on the loop.
    func setInterruption(_ audio: EncodedAudio) { cursor.setInterruption(audio) }

    public func tick(now: Double) {
        guard let codec = leg.sendingAudio else { return }
        let partBefore = cursor.part
        let (audio, index) = cursor.next() ?? (EncodedAudio.silence, 0)
        if cursor.part != partBefore, partBefore == .interruption || cursor.part == .interruption {
            onInterruption?(cursor.part == .interruption)
        }
        guard let frames = audio.frames(for: codec.name), index < frames.count else { return }
        frames[index].withUnsafeBytes { frame in
            leg.sendAudio(
                &ticker.scratch, payloadType: codec.payloadType, marker: framesSent == 0, sequence: sequence,
                timestamp: timestamp, source: ssrc, payload: frame)
        }
        sequence &+= 1
        timestamp &+= UInt32(codec.clockRate / 50)
        framesSent += 1
    }
}
