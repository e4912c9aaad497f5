import SignalingFrames
import Testing

@testable import ClientMedia
@testable import HeadlessAgent

@Suite struct CallFiguresTests {
    @Test func percentilesAreNearestRank() throws {
        let values = (1...100).map(Double.init).shuffled()
        let p = try #require(Percentiles(values))
        #expect(p.count == 100 && p.p50 == 50 && p.p95 == 95 && p.p99 == 99 && p.max == 100)
        let one = try #require(Percentiles([7]))
        #expect(one.p50 == 7 && one.p99 == 7)
        #expect(Percentiles([]) == nil)
    }

    @Test func peakConcurrencySweepsCallIntervals() {
        func call(_ start: Double, _ end: Double) -> CallFigures {
            var figures = CallFigures(identity: "c", role: "customer", callId: "\(start)")
            figures.establishedAt = start
            figures.endedAt = end
            return figures
        }
        #expect([call(0, 10), call(1, 2), call(3, 4), call(3.5, 12)].peakConcurrency == 3)
        // A call that ends as another starts does not overlap it.
        #expect([call(0, 1), call(1, 2)].peakConcurrency == 1)
        #expect([CallFigures(identity: "c", role: "customer", callId: "x")].peakConcurrency == 0)
    }

    @Test func mediaFiguresComeFromTheLegCounters() {
        var counters = ClientLegCounters()
        counters.packetsSent = 250
        counters.packetsReceived = 196
        counters.expected = 200
        counters.lost = 4
        counters.jitterMilliseconds = 1.5
        counters.firstPacketAt = 100.25
        var figures = CallFigures(identity: "a", role: "agent", callId: "x")
        figures.add(counters, startedAt: 100)
        #expect(figures.lossPercent == 2 && figures.packetsLost == 4 && figures.firstAudioSeconds == 0.25)
        figures.failure = "no audio received"
        #expect(figures.summary.hasSuffix("FAILED: no audio received"))
        #expect(HeadlessSession.numbered("/tmp/heard.wav", 2, of: 3) == "/tmp/heard-2.wav")
        #expect(HeadlessSession.numbered("/tmp/heard.wav", 1, of: 1) == "/tmp/heard.wav")
        #expect(HeadlessSession.numbered("/tmp/heard", 3, of: 3) == "/tmp/heard-3")
    }
}

@Suite struct CallVerdictTests {
    static func carried(received: Int, expected: Int) -> CallFigures {
        var figures = CallFigures(identity: "a", role: "agent", callId: "x")
        var counters = ClientLegCounters()
        counters.packetsReceived = received
        counters.expected = expected
        counters.lost = expected - received
        figures.add(counters, startedAt: 0)
        figures.setupSeconds = 0.05
        return figures
    }

    @Test func aCallFailsForEachReasonAndOnlyThen() {
        let normal = CallFrame.ErrorCode(id: 10000, name: "NORMAL_HANGUP", description: "ok")
        let good = Self.carried(received: 990, expected: 1000)
        #expect(good.verdict(code: normal, mediaFailure: nil, maxLossPercent: 1) == nil)
        #expect(
            good.verdict(code: normal, mediaFailure: nil, maxLossPercent: 0.5)
                == "lost 1.00 % of the audio (limit 0.50 %)")
        #expect(
            good.verdict(code: normal, mediaFailure: "ICE failed: consent lost", maxLossPercent: 1)
                == "ICE failed: consent lost")
        let rejected = CallFrame.ErrorCode(id: 10203, name: "REJECTED", description: "The callee declined.")
        #expect(
            good.verdict(code: rejected, mediaFailure: nil, maxLossPercent: 1)
                == "ended with REJECTED: The callee declined.")
        #expect(
            Self.carried(received: 0, expected: 0).verdict(code: normal, mediaFailure: nil, maxLossPercent: 1)
                == "no audio received")
        var ringing = CallFigures(identity: "a", role: "agent", callId: "x")
        ringing.packetsReceived = 10
        #expect(ringing.verdict(code: nil, mediaFailure: nil, maxLossPercent: 1) == "never established")
    }
}
