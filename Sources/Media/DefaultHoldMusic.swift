import Foundation

extension EncodedAudio {
    /// The gateway's own hold music, made here rather than recorded (no third-party audio): an
    /// 8 s loop of soft arpeggios over C, A minor, F and G, sine tones with a touch of the octave
    /// and a gentle decay. Encoded on first use.
    public static let defaultHoldMusic: EncodedAudio? = try? encode(mono: holdMusicSamples(), sampleRate: 48000)

    static func holdMusicSamples() -> [Int16] {
        let rate = 48000.0
        // Each chord lasts 2 s: eight notes of 0.25 s, up and down its triad.
        let chords: [[Double]] = [
            [261.63, 329.63, 392.00, 523.25],  // C
            [220.00, 261.63, 329.63, 440.00],  // A minor
            [174.61, 220.00, 261.63, 349.23],  // F
            [196.00, 246.94, 293.66, 392.00],  // G
        ]
        let note = Int(rate / 4)
        var samples: [Int16] = []
        samples.reserveCapacity(chords.count * 8 * note)
        for chord in chords {
            let bass = chord[0] / 2
            for step in 0..<8 {
                let frequency = chord[[0, 1, 2, 3, 2, 1, 2, 1][step]]
                for n in 0..<note {
                    let t = Double(n) / rate
                    let envelope = min(1, t / 0.01) * exp(-3 * t)
                    let melody = sin(2 * .pi * frequency * t) + 0.25 * sin(4 * .pi * frequency * t)
                    let time = Double(step * note + n) / rate
                    let pad = 0.5 * sin(2 * .pi * bass * time)
                    samples.append(Int16((0.16 * envelope * melody + 0.06 * pad) * 32767))
                }
            }
        }
        return samples
    }

    /// This audio followed by `other`.
    public func then(_ other: EncodedAudio) -> EncodedAudio {
        EncodedAudio(frames: frames + other.frames, pcmu: pcmu + other.pcmu, pcma: pcma + other.pcma)
    }
}
