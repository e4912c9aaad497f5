import ContactCenter
import Foundation
import Logging
import MP3
import Media
import WAV

/// The sounds calls play, encoded once and shared by every call that plays them: uploaded files
/// (read from the audio folder; a file cannot change once uploaded, so it is cached by its
/// descriptor) and the default hold music. Encoding runs on this actor, not on the call
/// center's.
actor AudioLibrary {
    /// What one call's waiting strategy plays.
    struct WaitingSounds: Sendable {
        var waiting: AudioProgram
        var maximumWaitMessage: EncodedAudio?
        /// The announcement, when it says the caller's position, and the position it says now.
        var positional: WaitingPlan.Sound?
        var position = 0
        /// The working hours' away message, for a call that arrived while its queue was closed.
        var awayMessage: EncodedAudio?
    }

    let directory: URL?
    let logger: Logger
    private var cache: [WaitingPlan.Sound: EncodedAudio] = [:]

    init(directory: URL?, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// What the plan plays to a caller at `position` in the queue.
    func sounds(for plan: WaitingPlan, position: Int) -> WaitingSounds {
        let announcement = plan.announcement.map { $0.saysPosition ? $0.saying(position: position) : $0 }
        let program = program(
            intro: plan.greeting, music: plan.music, announcement: announcement,
            every: plan.announcementIntervalSeconds)
        var sounds = WaitingSounds(waiting: program, maximumWaitMessage: plan.maximumWaitMessage.flatMap(audio))
        if let positional = plan.announcement, positional.saysPosition {
            sounds.positional = positional
            sounds.position = position
        }
        return sounds
    }

    /// What a held party hears.
    func program(for plan: HoldPlan) -> AudioProgram {
        program(intro: nil, music: plan.music, announcement: plan.announcement, every: plan.announcementIntervalSeconds)
    }

    /// An intro once, music looped, an announcement every `seconds` (after the intro once when 0).
    private func program(
        intro: WaitingPlan.Sound?, music: WaitingPlan.Sound?, announcement: WaitingPlan.Sound?, every seconds: Int
    ) -> AudioProgram {
        let greeting = intro.flatMap(audio)
        var program = AudioProgram(intro: greeting, loop: music.flatMap(audio))
        if let announcement = announcement.flatMap(audio) {
            if seconds > 0 {
                program.interruption = announcement
                program.interruptionInterval = seconds * 50
            } else {
                program.intro = greeting.map { $0.then(announcement) } ?? announcement
            }
        }
        return program
    }

    /// An uploaded file (WAV or MP3), encoded.
    static func read(_ descriptor: String, in directory: URL) throws -> EncodedAudio {
        let wav = directory.appendingPathComponent("\(descriptor).wav")
        if FileManager.default.fileExists(atPath: wav.path) {
            return try EncodedAudio.wav(try WAVFile.read(path: wav.path))
        }
        let bytes = Array(try Data(contentsOf: directory.appendingPathComponent("\(descriptor).mp3")))
        let mp3 = try MP3Audio.decode(bytes)
        return try EncodedAudio.pcm(mono: mp3.mono, sampleRate: mp3.sampleRate)
    }

    /// A sound, encoded; nil (logged) when it cannot be played.
    func audio(_ sound: WaitingPlan.Sound) -> EncodedAudio? {
        if let cached = cache[sound] { return cached }
        let made: EncodedAudio?
        switch sound {
        case .defaultMusic:
            made = EncodedAudio.defaultHoldMusic
        case .file(let descriptor):
            guard let directory else { return nil }
            do { made = try Self.read(descriptor, in: directory) } catch {
                logger.error("audio file cannot be played", metadata: ["file": "\(descriptor)", "error": "\(error)"])
                made = nil
            }
        case .speech(let text, let language, let gender, let rate):
            do { made = try EncodedAudio.speech(text, language: language, gender: gender, rate: rate) } catch {
                logger.error("text cannot be spoken", metadata: ["language": "\(language)", "error": "\(error)"])
                made = nil
            }
        }
        if let made { cache[sound] = made }
        return made
    }
}
