/// What a player plays to a leg: an intro once (a greeting), then a loop (music), interrupted
/// every `interruptionInterval` frames by an interruption (an announcement), after which the loop
/// goes on where it stopped. Any part may be missing: silence stands in for a missing loop.
public struct AudioProgram: Sendable {
    public var intro: EncodedAudio?
    public var loop: EncodedAudio?
    public var interruption: EncodedAudio?
    /// 20 ms frames from the end of the intro (or of the last interruption) to the next
    /// interruption; 0: never.
    public var interruptionInterval: Int

    public init(
        intro: EncodedAudio? = nil, loop: EncodedAudio? = nil, interruption: EncodedAudio? = nil,
        interruptionInterval: Int = 0
    ) {
        self.intro = intro
        self.loop = loop
        self.interruption = interruption
        self.interruptionInterval = interruptionInterval
    }

    /// `audio` looped.
    public static func looping(_ audio: EncodedAudio) -> AudioProgram { AudioProgram(loop: audio) }

    /// `audio` once, then silence.
    public static func once(_ audio: EncodedAudio) -> AudioProgram { AudioProgram(intro: audio) }

    /// How long the intro lasts, in seconds.
    public var introSeconds: Double { Double(intro?.frames.count ?? 0) / 50 }
}

/// Where a player is in its program: which part, which frame. A value: one step per 20 ms tick.
struct AudioProgramCursor {
    enum Part: Equatable { case intro, loop, interruption }

    private(set) var program: AudioProgram
    private(set) var part: Part
    private var index = 0
    /// The loop's place, kept while an interruption plays.
    private var loopIndex = 0
    /// Frames since the intro or the last interruption ended.
    private var sinceInterruption = 0

    init(_ program: AudioProgram) {
        self.program = program
        part = (program.intro?.frames.isEmpty ?? true) ? .loop : .intro
    }

    /// Replaces the interruption; one playing now finishes first.
    mutating func setInterruption(_ audio: EncodedAudio) {
        if part == .interruption, let current = program.interruption {
            pendingInterruption = audio
            program.interruption = current
        } else {
            program.interruption = audio
        }
    }

    private var pendingInterruption: EncodedAudio?

    /// The audio and frame index to send at this tick, or nil for a frame of silence.
    mutating func next() -> (audio: EncodedAudio, frame: Int)? {
        switch part {
        case .intro:
            guard let intro = program.intro, index < intro.frames.count else {
                part = .loop
                return next()
            }
            index += 1
            return (intro, index - 1)
        case .interruption:
            guard let interruption = program.interruption, index < interruption.frames.count else {
                part = .loop
                sinceInterruption = 0
                if let pending = pendingInterruption {
                    program.interruption = pending
                    pendingInterruption = nil
                }
                return next()
            }
            index += 1
            return (interruption, index - 1)
        case .loop:
            if program.interruptionInterval > 0, let interruption = program.interruption,
                !interruption.frames.isEmpty, sinceInterruption >= program.interruptionInterval
            {
                part = .interruption
                index = 0
                return next()
            }
            sinceInterruption += 1
            guard let loop = program.loop, !loop.frames.isEmpty else { return nil }
            defer { loopIndex = (loopIndex + 1) % loop.frames.count }
            return (loop, loopIndex)
        }
    }
}
