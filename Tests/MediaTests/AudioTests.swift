import Codecs
import TestSupport
import Testing
import WAV

@testable import Media

@Suite struct AudioTests {
    /// Decodes frames to 48 kHz.
    static func decode(_ frames: [[UInt8]]) throws -> [Int16] {
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 1)
        var out: [Int16] = []
        var scratch = [Int16](repeating: 0, count: 5760)
        for frame in frames {
            let count = try frame.withUnsafeBufferPointer { packet in
                try scratch.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
            }
            out += scratch[0..<count]
        }
        return out
    }

    @Test func toneIsOneSecondOfTwentyMillisecondFramesAtItsFrequency() throws {
        let audio = try EncodedAudio.tone(frequency: 440)
        #expect(audio.frames.count == 50)
        let pcm = Array(try Self.decode(audio.frames).dropFirst(4800))
        let at440 = ToneAnalysis.power(pcm, frequency: 440, rate: 48000)
        #expect(at440 > 100 * ToneAnalysis.power(pcm, frequency: 660, rate: 48000))
    }

    @Test func everyWAVEncodingDecodesToLinearSamples() throws {
        let tone = ToneAnalysis.tone(1000, rate: 8000, from: 0, count: 800)
        let ulaw = WAVFile(encoding: .ulaw, sampleRate: 8000, channels: 1, data: tone.map(G711.ulaw))
        let alaw = WAVFile(encoding: .alaw, sampleRate: 8000, channels: 1, data: tone.map(G711.alaw))
        for file in [ulaw, alaw] {
            let decoded = file.samples
            #expect(decoded.count == 800)
            #expect(zip(decoded, tone).allSatisfy { abs(Int($0) - Int($1)) <= 300 })
        }
        let eightBit = WAVFile(encoding: .pcm8, sampleRate: 8000, channels: 2, data: [0, 255, 128, 128])
        #expect(eightBit.samples == [-32768, 32512, 0, 0] && eightBit.mono == [-128, 0])
        let stereo = WAVFile(samples: [0, 2, -1, -3, 32767, 32767], sampleRate: 16000, channels: 2)
        #expect(stereo.mono == [1, -2, 32767])
    }

    @Test func wavIsEncodedAtItsRateOrResampledAndBadAudioIsRefused() throws {
        let samples = ToneAnalysis.tone(660, rate: 16000, from: 0, count: 16000)
        let audio = try EncodedAudio.wav(WAVFile(samples: samples, sampleRate: 16000, channels: 1))
        #expect(audio.frames.count == 50 && audio.pcmu.count == 50 && audio.pcma.count == 50)
        let pcm = Array(try Self.decode(audio.frames).dropFirst(4800))
        #expect(
            ToneAnalysis.power(pcm, frequency: 660, rate: 48000)
                > 100 * ToneAnalysis.power(pcm, frequency: 440, rate: 48000))
        // 44.1 kHz (a CD rate Opus does not encode) is resampled to 48 kHz: same length, same tone.
        let cd = ToneAnalysis.tone(1000, rate: 44100, from: 0, count: 44100)
        let resampled = try EncodedAudio.wav(WAVFile(samples: cd, sampleRate: 44100, channels: 1))
        #expect(resampled.frames.count == 50)
        let heard = Array(try Self.decode(resampled.frames).dropFirst(4800))
        #expect(
            ToneAnalysis.power(heard, frequency: 1000, rate: 48000)
                > 100 * ToneAnalysis.power(heard, frequency: 660, rate: 48000))
        // The G.711 frames carry the same tone at 8 kHz.
        let narrow = resampled.pcmu.dropFirst(5).flatMap { $0.map { G711.ulawTable[Int($0)] } }
        #expect(
            ToneAnalysis.power(narrow, frequency: 1000, rate: 8000)
                > 100 * ToneAnalysis.power(narrow, frequency: 660, rate: 8000))
        #expect(throws: AudioSourceError.sampleRate(96000)) {
            try EncodedAudio.wav(WAVFile(samples: [Int16](repeating: 0, count: 9600), sampleRate: 96000, channels: 1))
        }
        #expect(
            AudioSourceError.sampleRate(96000).description
                == "cannot play audio at 96000 Hz; use 8000 to 48000 Hz")
        #expect(throws: AudioSourceError.tooShort) {
            try EncodedAudio.wav(WAVFile(samples: [0, 0], sampleRate: 8000, channels: 1))
        }
    }

    @Test func recorderLaysPacketsOutByTimestamp() throws {
        let frames = try EncodedAudio.tone(frequency: 440).frames
        let recorder = try AudioRecorder(maximumSeconds: 1)
        func feed(_ index: Int, timestamp: UInt32) {
            frames[index].withUnsafeBytes { recorder.append($0, timestamp: timestamp) }
        }
        let start = UInt32.max - 959  // the timestamp wraps after the first packet
        feed(0, timestamp: start)
        #expect(recorder.samples.count == 960)
        feed(2, timestamp: start &+ 1920)  // one packet lost: 20 ms of silence
        #expect(recorder.samples.count == 2880)
        #expect(recorder.samples[960..<1920].allSatisfy { $0 == 0 })
        feed(1, timestamp: start &+ 960)  // too late: dropped
        #expect(recorder.samples.count == 2880)
        feed(3, timestamp: start &+ 48000 * 2)  // past the limit
        #expect(recorder.samples.count == 2880)
        [0xff, 0xff, 0xff].withUnsafeBytes { recorder.append($0, timestamp: start &+ 2880) }  // garbage
        #expect(recorder.samples.count <= 48000)
    }
}
