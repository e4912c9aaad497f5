import Foundation

/// Changes the sample rate of audio loaded once (an uploaded file, before it is encoded): a
/// windowed-sinc interpolator (Blackman window, 32 taps per output sample), low-passed below
/// the lower of the two Nyquist frequencies so that nothing folds back. Not for the media path:
/// it allocates and costs about 32 multiply-adds per output sample.
public enum Resampler {
    static let halfTaps = 16

    /// `samples` (mono) at `from` Hz as samples at `to` Hz.
    public static func resample(_ samples: [Int16], from: Int, to: Int) -> [Int16] {
        guard from != to, from > 0, to > 0, !samples.isEmpty else { return samples }
        let ratio = Double(to) / Double(from)
        let count = Int((Double(samples.count) * ratio).rounded(.down))
        // Cut-off as a fraction of the input rate: just under the lower Nyquist frequency.
        let cutoff = 0.5 * min(1, ratio) * 0.94
        let span = Double(halfTaps) / min(1, ratio)
        // The kernel tabulated every 1/256 of an input sample: no trigonometry per tap.
        let steps = 256.0
        let kernel = (0...Int(span * steps)).map { i -> Double in
            let x = Double(i) / steps
            return sinc(2 * cutoff * x) * blackman(x / span)
        }
        func tap(_ x: Double) -> Double {
            let position = abs(x) * steps
            let index = Int(position)
            guard index + 1 < kernel.count else { return 0 }
            let fraction = position - Double(index)
            return kernel[index] + (kernel[index + 1] - kernel[index]) * fraction
        }
        let input = samples.map(Double.init)
        var out = [Int16](repeating: 0, count: count)
        for n in 0..<count {
            let center = Double(n) / ratio
            let first = max(0, Int((center - span).rounded(.up)))
            let last = min(input.count - 1, Int((center + span).rounded(.down)))
            var sum = 0.0
            var weight = 0.0
            if first <= last {
                for k in first...last {
                    let w = tap(Double(k) - center)
                    sum += input[k] * w
                    weight += w
                }
            }
            // Normalised by the taps' sum, so a constant stays constant at the edges too.
            let value = weight > 0 ? sum / weight : 0
            out[n] = Int16(clamping: Int(value.rounded()))
        }
        return out
    }

    private static func sinc(_ x: Double) -> Double {
        x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
    }

    /// The Blackman window over -1...1.
    private static func blackman(_ x: Double) -> Double {
        guard abs(x) < 1 else { return 0 }
        let t = (x + 1) / 2
        return 0.42 - 0.5 * cos(2 * Double.pi * t) + 0.08 * cos(4 * Double.pi * t)
    }
}
