import Foundation

/// Finds the tone a leg heard: the load generator and the headless agent check that each call
/// carried the other side's tone, not just packets.
public enum ToneMeter {
    /// The frequency (Hz, to a quarter of a hertz within `range`) with the most power in
    /// `samples` at `rate`, measured after averaging down to about 8 kHz; nil when the samples
    /// are too few (under 0.05 s) or too quiet (RMS under 100 of 32,767) to hold a tone.
    ///
    /// A first pass in 5 Hz steps finds the tone roughly, adding up the power of 0.2 s blocks (a
    /// block's window is wide enough that a tone between two steps still shows, and a block
    /// spoiled by lost packets is outweighed by the others); a second pass over all of
    /// `samples` within 7.5 Hz of it finds it precisely. Both are Hann-windowed, so gaps of
    /// silence and the window's edges do not spread the tone.
    public static func dominantFrequency(
        _ samples: ArraySlice<Int16>, rate: Int, range: ClosedRange<Double> = 100...2000
    ) -> Double? {
        let factor = max(1, rate / 8000)
        let narrowRate = Double(rate) / Double(factor)
        let narrow = stride(from: samples.startIndex, to: samples.endIndex - factor + 1, by: factor).map { start in
            samples[start..<start + factor].reduce(0.0) { $0 + Double($1) } / Double(factor)
        }
        guard Double(narrow.count) >= 0.05 * narrowRate else { return nil }
        let energy = narrow.reduce(0.0) { $0 + $1 * $1 }
        guard (energy / Double(narrow.count)).squareRoot() >= 100 else { return nil }
        let block = Int(0.2 * narrowRate)
        let blocks = stride(from: 0, to: narrow.count, by: block).map {
            hann(narrow[$0..<min($0 + block, narrow.count)])
        }
        let rough = strongest(
            in: blocks, rate: narrowRate, candidates: stride(from: range.lowerBound, through: range.upperBound, by: 5))
        let fine = stride(
            from: max(range.lowerBound, rough - 7.5), through: min(range.upperBound, rough + 7.5), by: 0.25)
        return strongest(in: [hann(narrow[...])], rate: narrowRate, candidates: fine)
    }

    /// The candidate with the most power summed over `blocks`.
    private static func strongest(
        in blocks: [[Double]], rate: Double, candidates: StrideThrough<Double>
    ) -> Double {
        var best: (frequency: Double, power: Double) = (0, -1)
        for frequency in candidates {
            let power = blocks.reduce(0.0) { $0 + Self.power($1, frequency: frequency, rate: rate) }
            if power > best.power { best = (frequency, power) }
        }
        return best.frequency
    }

    private static func hann(_ samples: ArraySlice<Double>) -> [Double] {
        let last = Double(max(1, samples.count - 1))
        return samples.enumerated().map { index, sample in
            sample * (0.5 - 0.5 * cos(2 * Double.pi * Double(index) / last))
        }
    }

    /// Power of `frequency` in `samples` at `rate` (Goertzel).
    static func power(_ samples: [Double], frequency: Double, rate: Double) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / rate)
        var (s1, s2) = (0.0, 0.0)
        for sample in samples {
            let s0 = sample + coefficient * s1 - s2
            (s2, s1) = (s1, s0)
        }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }
}
