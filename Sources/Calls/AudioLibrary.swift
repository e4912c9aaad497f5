import ContactCenter
import Foundation
import Logging
import MP3
import Media
import WAV

/// The sounds calls play, encoded once and shared by every call that plays them: uploaded files
/// (read from the audio folder; a file cannot change once uploaded, so it is cached by its
/// descriptor), spoken texts and the default hold music. Decoding, speech and encoding (up to a
/// second for long music) run on a queue of their own, off the cooperative thread pool that
/// signaling and the call center need; a sound asked for twice while it is made is made once.
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
        /// The confirmation to a caller who asked to be called back.
        var callbackConfirmation: EncodedAudio?
    }

    let directory: URL?
    let logger: Logger
    private var cache: [WaitingPlan.Sound: EncodedAudio] = [:]
    private var making: [WaitingPlan.Sound: Task<Result<EncodedAudio, any Error>, Never>] = [:]
    private static let work = DispatchQueue(label: "audio-library", qos: .utility)

    init(directory: URL?, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// What the plan plays to a caller at `position` in the queue.
    func sounds(for plan: WaitingPlan, position: Int) async -> WaitingSounds {
        let announcement = plan.announcement.map { $0.saysPosition ? $0.saying(position: position) : $0 }
        let program = await program(
            intro: plan.greeting, music: plan.music, announcement: announcement,
            every: plan.announcementIntervalSeconds)
        let message = await audio(plan.maximumWaitMessage)
        var sounds = WaitingSounds(waiting: program, maximumWaitMessage: message)
        sounds.callbackConfirmation = await audio(plan.callbackConfirmation)
        if let positional = plan.announcement, positional.saysPosition {
            sounds.positional = positional
            sounds.position = position
        }
        return sounds
    }

    /// What a held party hears.
    func program(for plan: HoldPlan) async -> AudioProgram {
        await program(
            intro: nil, music: plan.music, announcement: plan.announcement, every: plan.announcementIntervalSeconds)
    }

    /// An intro once, music looped, an announcement every `seconds` (after the intro once when 0).
    private func program(
        intro: WaitingPlan.Sound?, music: WaitingPlan.Sound?, announcement: WaitingPlan.Sound?, every seconds: Int
    ) async -> AudioProgram {
        let greeting = await audio(intro)
        var program = AudioProgram(intro: greeting, loop: await audio(music))
        if let announcement = await audio(announcement) {
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
    func audio(_ sound: WaitingPlan.Sound?) async -> EncodedAudio? {
        guard let sound else { return nil }
        if let cached = cache[sound] { return cached }
        let task =
            making[sound]
            ?? Task { [directory] in
                await withCheckedContinuation { continuation in
                    Self.work.async { continuation.resume(returning: Result { try Self.make(sound, directory) }) }
                }
            }
        making[sound] = task
        let result = await task.value
        making[sound] = nil
        switch result {
        case .success(let audio):
            cache[sound] = audio
            return audio
        case .failure(let error):
            logger.error("a sound cannot be played", metadata: ["sound": "\(sound)", "error": "\(error)"])
            return nil
        }
    }

    /// Makes a sound: the default music, a file read and encoded, a text spoken and encoded.
    private static func make(_ sound: WaitingPlan.Sound, _ directory: URL?) throws -> EncodedAudio {
        switch sound {
        case .defaultMusic:
            guard let music = EncodedAudio.defaultHoldMusic else { throw AudioSourceError.tooShort }
            return music
        case .file(let descriptor):
            guard let directory else { throw CocoaError(.fileNoSuchFile) }
            return try read(descriptor, in: directory)
        case .speech(let text, let language, let gender, let rate):
            return try EncodedAudio.speech(text, language: language, gender: gender, rate: rate)
        }
    }
}
