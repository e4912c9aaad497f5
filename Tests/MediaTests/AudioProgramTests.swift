import TestSupport
import Testing

@testable import Media

@Suite struct AudioProgramTests {
    /// Audio whose frames can be told apart: `count` frames, each frame's bytes its index.
    static func audio(_ count: Int) -> EncodedAudio {
        let frames = (0..<count).map { [UInt8(truncatingIfNeeded: $0)] }
        return EncodedAudio(frames: frames, pcmu: frames, pcma: frames)
    }

    /// The first `ticks` steps of a program, as "part:frame" (or "-" for silence).
    static func steps(_ program: AudioProgram, _ ticks: Int) -> [String] {
        var cursor = AudioProgramCursor(program)
        return (0..<ticks).map { _ in
            guard let (_, frame) = cursor.next() else { return "-" }
            let part = [AudioProgramCursor.Part.intro: "g", .interruption: "a", .loop: "m"][cursor.part]!
            return "\(part)\(frame)"
        }
    }

    @Test func greetingOnceThenMusicInterruptedByTheAnnouncementAtItsInterval() {
        let program = AudioProgram(
            intro: Self.audio(2), loop: Self.audio(3), interruption: Self.audio(2), interruptionInterval: 4)
        #expect(
            Self.steps(program, 16) == [
                "g0", "g1",  // the greeting once
                "m0", "m1", "m2", "m0",  // four frames of music
                "a0", "a1",  // the announcement
                "m1", "m2", "m0", "m1",  // the music where it stopped, four frames again
                "a0", "a1", "m2", "m0",
            ])
    }

    @Test func missingPartsAreSilenceOrSkipped() {
        // No music: silence between announcements.
        let announcementsOnly = AudioProgram(interruption: Self.audio(1), interruptionInterval: 2)
        #expect(Self.steps(announcementsOnly, 7) == ["-", "-", "a0", "-", "-", "a0", "-"])
        // Once: the message, then silence.
        #expect(Self.steps(.once(Self.audio(2)), 4) == ["g0", "g1", "-", "-"])
        // No interval: music only, looped.
        #expect(
            Self.steps(AudioProgram(loop: Self.audio(2), interruption: Self.audio(1)), 4) == ["m0", "m1", "m0", "m1"])
        #expect(AudioProgram.once(Self.audio(150)).introSeconds == 3)
    }

    @Test func aNewAnnouncementTakesOverFromTheNextOneOn() {
        var cursor = AudioProgramCursor(
            AudioProgram(loop: Self.audio(2), interruption: Self.audio(2), interruptionInterval: 1))
        #expect(cursor.next()?.frame == 0 && cursor.part == .loop)
        #expect(cursor.next()?.frame == 0 && cursor.part == .interruption)
        // The caller moved up while the old announcement plays: it finishes, the new one follows.
        cursor.setInterruption(Self.audio(3))
        #expect(cursor.next()?.frame == 1 && cursor.part == .interruption)
        #expect(cursor.next()?.frame == 1 && cursor.part == .loop)
        #expect(cursor.program.interruption?.frames.count == 3)
        #expect([cursor.next()?.frame, cursor.next()?.frame, cursor.next()?.frame] == [0, 1, 2])
        // Between announcements it takes effect at the next one.
        var idle = AudioProgramCursor(
            AudioProgram(loop: Self.audio(2), interruption: Self.audio(2), interruptionInterval: 2))
        _ = idle.next()
        idle.setInterruption(Self.audio(1))
        _ = idle.next()
        #expect(idle.next()?.frame == 0 && idle.part == .interruption)
        #expect(idle.next()?.frame != nil && idle.part == .loop, "the new announcement is one frame long")
    }

    @Test func resamplingKeepsTheToneAndTheLength() {
        let tone = ToneAnalysis.tone(1000, rate: 44100, from: 0, count: 44100)
        let up = Resampler.resample(tone, from: 44100, to: 48000)
        #expect(up.count == 48000)
        let middle = Array(up[4800..<43200])
        #expect(
            ToneAnalysis.power(middle, frequency: 1000, rate: 48000)
                > 1000 * ToneAnalysis.power(middle, frequency: 1100, rate: 48000))
        // Down to 8 kHz: 3 kHz passes; 5 kHz, above the new Nyquist frequency, does not fold
        // back to 3 kHz.
        func at8k(_ frequency: Double) -> [Int16] {
            let down = Resampler.resample(
                ToneAnalysis.tone(frequency, rate: 48000, from: 0, count: 48000), from: 48000, to: 8000)
            #expect(down.count == 8000)
            return Array(down[800..<7200])
        }
        let passed = ToneAnalysis.power(at8k(3000), frequency: 3000, rate: 8000)
        let folded = ToneAnalysis.power(at8k(5000), frequency: 3000, rate: 8000)
        #expect(folded < 1e-4 * passed)
        #expect(Resampler.resample([1, 2, 3], from: 8000, to: 8000) == [1, 2, 3])
        #expect(Resampler.resample([], from: 8000, to: 16000).isEmpty)
    }
}
