import Testing

@testable import Media

@Suite struct SpeechTests {
    /// RMS of each 20 ms window.
    static func envelope(_ samples: [Int16], rate: Int) -> [Double] {
        let size = rate / 50
        return stride(from: 0, to: samples.count - size, by: size).map { start in
            let window = samples[start..<start + size].map { Double($0) * Double($0) }
            return (window.reduce(0, +) / Double(size)).squareRoot()
        }
    }

    @Test func speechIsSpokenInTheLanguageAndLastsWithTheText() throws {
        let languages = SpeechSynthesizer.languages()
        #expect(languages.contains("en") || languages.contains("en-gb"), "\(languages.sorted().prefix(10))")
        let short = try SpeechSynthesizer.speak("You are number 1.", language: "en-gb", gender: "FEMALE", rate: 1)
        let long = try SpeechSynthesizer.speak(
            "You are number 1234567.", language: "en-gb", gender: "FEMALE", rate: 1)
        #expect(short.sampleRate == 22050)
        #expect(Double(long.samples.count) > 1.5 * Double(short.samples.count))
        // Speech, not a tone or silence: loud syllables and quiet gaps between them.
        let levels = Self.envelope(long.samples, rate: long.sampleRate)
        let loud = levels.filter { $0 > 1000 }.count, quiet = levels.filter { $0 < 200 }.count
        #expect(loud > 20 && quiet > 5, "loud \(loud), quiet \(quiet) of \(levels.count)")
        // Faster speech is shorter; a male voice is another voice.
        let fast = try SpeechSynthesizer.speak("You are number 1234567.", language: "en-gb", gender: "FEMALE", rate: 2)
        #expect(Double(fast.samples.count) < 0.75 * Double(long.samples.count))
        let male = try SpeechSynthesizer.speak("You are number 1234567.", language: "en-gb", gender: "MALE", rate: 1)
        #expect(male.samples != long.samples)
    }

    @Test func aLanguageNoVoiceSpeaksIsRefused() {
        #expect(throws: SpeechError.unknownLanguage("xx-yy")) {
            try SpeechSynthesizer.speak("hello", language: "xx-yy", gender: "FEMALE", rate: 1)
        }
        #expect(SpeechSynthesizer.voiceLanguage(for: "EN_gb", in: ["en-gb"]) == "en-gb")
        #expect(SpeechSynthesizer.voiceLanguage(for: "en-au", in: ["en", "en-gb"]) == "en")
        #expect(SpeechSynthesizer.voiceLanguage(for: "xx", in: ["en"]) == nil)
    }

    @Test func speechIsEncodedForEveryCodec() throws {
        let audio = try EncodedAudio.speech("Please hold.", language: "en", gender: "FEMALE", rate: 1)
        #expect(audio.frames.count > 25 && audio.pcmu.count == audio.frames.count)
    }
}
