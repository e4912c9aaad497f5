import CEspeakNG
import Foundation
import Synchronization

/// Why text could not be spoken.
public enum SpeechError: Error, Equatable, Sendable, CustomStringConvertible {
    case unavailable
    case unknownLanguage(String)
    case synthesis(Int)

    public var description: String {
        switch self {
        case .unavailable: "text-to-speech (espeak-ng) could not start"
        case .unknownLanguage(let language): "no voice speaks language '\(language)'"
        case .synthesis(let code): "espeak-ng failed (error \(code))"
        }
    }
}

/// Text-to-speech in process with espeak-ng: language, voice gender and speaking rate as
/// Infobip's `ttsAudioSource` gives them, mono 16-bit audio out. espeak-ng keeps global state
/// and is not thread-safe, so every call holds one process-wide lock; speech is made once per
/// text and cached by whoever asks (it is slow next to the media path: ~10× real time).
public enum SpeechSynthesizer {
    /// The engine's sample rate once started (22050 Hz for espeak-ng), nil when it cannot start.
    private static let engine = Mutex<Int?>(nil)

    /// Starts espeak-ng (once) and returns its sample rate.
    private static func start(_ rate: inout Int?) -> Int? {
        if let rate { return rate }
        let result = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 500, nil, Int32(espeakINITIALIZE_DONT_EXIT))
        guard result > 0 else { return nil }
        espeak_SetSynthCallback(collect)
        rate = Int(result)
        return rate
    }

    /// The languages of the installed voices (`en`, `en-gb`, `de`, …), lower-cased.
    public static func languages() -> Set<String> {
        engine.withLock { rate -> Set<String> in
            guard start(&rate) != nil, let list = espeak_ListVoices(nil) else { return [] }
            var found: Set<String> = []
            var index = 0
            while let voice = list[index] {
                index += 1
                // A list of (priority byte, zero-terminated name) pairs, ended by an empty name.
                guard var cursor = voice.pointee.languages else { continue }
                while cursor.pointee != 0 {
                    let name = String(cString: cursor + 1)
                    if name.isEmpty { break }
                    found.insert(name.lowercased())
                    cursor += 2 + name.utf8.count
                }
            }
            return found
        }
    }

    /// The voice language for `language` (Infobip's code, e.g. `en-gb`): itself when installed,
    /// else its base language (`en`); nil when neither is.
    public static func voiceLanguage(for language: String, in known: Set<String>) -> String? {
        let wanted = language.lowercased().replacingOccurrences(of: "_", with: "-")
        if known.contains(wanted) { return wanted }
        let base = String(wanted.prefix { $0 != "-" })
        return known.contains(base) ? base : nil
    }

    /// Speaks `text` in `language` with a `gender` (`MALE` or `FEMALE`) voice at `rate` (Infobip's
    /// `speechRate`, 0.5–2.0, 1 is normal): samples at `sampleRate`.
    public static func speak(_ text: String, language: String, gender: String, rate: Double) throws(SpeechError)
        -> (samples: [Int16], sampleRate: Int)
    {
        let known = languages()
        guard let voiceLanguage = voiceLanguage(for: language, in: known) else {
            throw .unknownLanguage(language)
        }
        return try engine.withLock { engineRate throws(SpeechError) -> (samples: [Int16], sampleRate: Int) in
            guard let sampleRate = start(&engineRate) else { throw .unavailable }
            let selected = voiceLanguage.withCString { name -> espeak_ERROR in
                var spec = espeak_VOICE()
                spec.languages = name
                spec.gender = gender.uppercased() == "MALE" ? 1 : 2
                return espeak_SetVoiceByProperties(&spec)
            }
            guard selected == EE_OK else { throw .unknownLanguage(language) }
            let wordsPerMinute = Int32((175 * min(2, max(0.5, rate))).rounded())
            espeak_SetParameter(espeakRATE, min(450, max(80, wordsPerMinute)), 0)
            let sink = Sink()
            let box = Unmanaged.passRetained(sink)
            defer { box.release() }
            let status = text.withCString { pointer in
                espeak_Synth(
                    pointer, strlen(pointer) + 1, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8 | espeakENDPAUSE), nil,
                    box.toOpaque())
            }
            guard status == EE_OK else { throw .synthesis(Int(status.rawValue)) }
            return (sink.samples, sampleRate)
        }
    }

    /// Collects what espeak-ng hands its callback during one `espeak_Synth`.
    ///
    /// `@unchecked Sendable`: written only by the callback, which espeak-ng calls synchronously on
    /// the thread running `espeak_Synth` (AUDIO_OUTPUT_SYNCHRONOUS) while `speak` holds the lock,
    /// and read after it returned.
    private final class Sink: @unchecked Sendable {
        var samples: [Int16] = []
    }

    private static let collect:
        @convention(c) (UnsafeMutablePointer<Int16>?, Int32, UnsafeMutablePointer<espeak_EVENT>?) ->
            Int32 = { wave, count, events in
                guard let events, let data = events.pointee.user_data else { return 0 }
                let sink = Unmanaged<Sink>.fromOpaque(data).takeUnretainedValue()
                if let wave, count > 0 {
                    sink.samples.append(contentsOf: UnsafeBufferPointer(start: wave, count: Int(count)))
                }
                return 0
            }
}

extension EncodedAudio {
    /// `text` spoken by espeak-ng, encoded once.
    public static func speech(_ text: String, language: String, gender: String, rate: Double) throws -> EncodedAudio {
        let (samples, sampleRate) = try SpeechSynthesizer.speak(text, language: language, gender: gender, rate: rate)
        return try pcm(mono: samples, sampleRate: sampleRate)
    }
}
