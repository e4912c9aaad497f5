import Foundation

/// Tones for audio tests: making them, and measuring how much of a frequency a signal holds.
public enum ToneAnalysis {
    /// Power of `frequency` in `samples` at `rate` (Goertzel).
    public static func power(_ samples: [Int16], frequency: Double, rate: Double) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / rate)
        var (s1, s2) = (0.0, 0.0)
        for sample in samples {
            let s0 = Double(sample) + coefficient * s1 - s2
            (s2, s1) = (s1, s0)
        }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }

    /// `count` samples of a sine at `frequency`, starting at sample `start`, amplitude 9000.
    public static func tone(_ frequency: Double, rate: Double, from start: Int, count: Int) -> [Int16] {
        (0..<count).map { Int16(9000 * sin(2 * Double.pi * frequency * Double(start + $0) / rate)) }
    }
}
