import ClientMedia
import Foundation
import NIOCore
import Testing

@Suite struct DelayHistogramTests {
    private func probe(sentAt: Double) -> [UInt8] {
        var buffer = ByteBuffer()
        DelayHistogram.writeHeader(into: &buffer, sentAt: sentAt)
        buffer.writeBytes([1, 2, 3])
        return Array(buffer.readableBytesView)
    }

    @Test func probesAreFiledByTheirDelay() throws {
        var histogram = DelayHistogram()
        for delay in [0.00005, 0.0004, 0.0004, 0.0021, 0.250] {
            probe(sentAt: 100).withUnsafeBytes { histogram.record(payload: $0, now: 100 + delay) }
        }
        // Not a probe (another payload), and too short: ignored.
        [UInt8](repeating: 7, count: 40).withUnsafeBytes { histogram.record(payload: $0, now: 1) }
        [UInt8](repeating: 0, count: 4).withUnsafeBytes { histogram.record(payload: $0, now: 1) }
        #expect(histogram.sampleCount == 5)
        // A payload claiming any time at all is filed without trapping.
        var odd = DelayHistogram()
        for sentAt in [-1e300, 1e300, -0.0, .nan, .infinity] {
            probe(sentAt: sentAt).withUnsafeBytes { odd.record(payload: $0, now: 5) }
        }
        #expect(odd.sampleCount == 3 && odd.percentile(1) == 100.1)
        #expect(histogram.percentile(0.2) == 0.1)
        #expect(histogram.percentile(0.6) == 0.5)
        #expect(histogram.percentile(0.8) == 2.2)
        #expect(histogram.percentile(1) == 100.1, "later than 100 ms: the last bucket")
        #expect(DelayHistogram().percentile(0.5) == nil)

        let decoded = try JSONDecoder().decode(DelayHistogram.self, from: JSONEncoder().encode(histogram))
        #expect(decoded == histogram)
        #expect(String(decoding: try JSONEncoder().encode(histogram), as: UTF8.self) == "[[0,1],[4,2],[21,1],[1000,1]]")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DelayHistogram.self, from: Data("[[5000,1]]".utf8))
        }

        var merged = DelayHistogram()
        merged.merge(histogram)
        merged.merge(decoded)
        #expect(merged.sampleCount == 10 && merged.percentile(0.5) == 0.5)
    }

    @Test func theProbeWindowKeepsOnlyTheSteadyPart() {
        let probe = DelayProbe()
        #expect(probe.measures(at: 5), "from the start until narrowed")
        probe.measure(after: 2, for: 10, now: 100)
        #expect(!probe.measures(at: 101.9) && probe.measures(at: 102) && probe.measures(at: 111.9))
        #expect(!probe.measures(at: 112))
        let closed = DelayProbe(closed: true)
        #expect(!closed.measures(at: 5), "closed until a window opens")
        closed.measure(after: 0, for: 1, now: 5)
        #expect(closed.measures(at: 5.5))
    }
}
