import NIOCore
import Testing

@testable import Media

/// What a media clock reports of its own lateness, and the byte comparison of source hosts.
@Suite struct TickLatenessTests {
    @Test func phasesPastTwentyMillisecondsAreLateAndPercentilesComeFromTheHistogram() {
        var lateness = TickLateness()
        var lateOnes = 0
        for _ in 0..<98 where lateness.record(.microseconds(2_500)) { lateOnes += 1 }
        #expect(lateOnes == 0)
        let pastTwenty = lateness.record(.milliseconds(21))
        #expect(pastTwenty, "past 20 ms the phase's frames were late")
        let atTwenty = lateness.record(.milliseconds(20))
        #expect(!atTwenty, "20 ms exactly is still on time")
        #expect(lateness.phases == 100 && lateness.late == 1)
        #expect(lateness.percentile(0.98) == 3, "98 phases finished within 3 ms (2.5 ms, rounded up)")
        #expect(lateness.percentile(1) == 22)
        #expect(lateness.worstNanoseconds == 21_000_000)
        let earlier = lateness
        _ = lateness.record(.milliseconds(150))
        _ = lateness.record(.nanoseconds(-5))
        let since = lateness.since(earlier)
        #expect(since.phases == 2 && since.late == 1)
        #expect(since.worstNanoseconds == 101_000_000, "100 ms and more share the last bucket")
        #expect(since.percentile(0.5) == 1, "a phase that ran early counts as on time")
    }

    @Test func aTickerCountsItsPhasesInTheMediaStatistics() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47700...47709), threads: 1)
        let statistics = MediaStatistics()
        let loop = media.nextEventLoop()
        let ticker = MediaTicker(eventLoop: loop, statistics: statistics) { 0 }
        final class Member: MediaTickable, @unchecked Sendable {
            func tick(now: Double) {}
        }
        let member = Member()
        try await loop.submit { ticker.add(member) }.get()
        var phases = 0
        for _ in 0..<100 where phases < 8 {
            try await Task.sleep(for: .milliseconds(20))
            phases = try await loop.submit { ticker.lateness.phases }.get()
        }
        try await loop.submit { ticker.remove(member) }.get()
        #expect(phases >= 8, "one phase every 5 ms")
        #expect(statistics.ticks.load(ordering: .relaxed) >= 8)
        #expect(statistics.exposition().contains("gateway_media_ticks_late_total "))
        try await media.shutdown()
    }

    @Test func sourceHostsAreComparedAsAddressesWhateverThePort() throws {
        let a = try SocketAddress(ipAddress: "192.0.2.7", port: 5000)
        #expect(a.hasSameHost(as: try SocketAddress(ipAddress: "192.0.2.7", port: 6002)))
        #expect(!a.hasSameHost(as: try SocketAddress(ipAddress: "192.0.2.8", port: 5000)))
        let v6 = try SocketAddress(ipAddress: "2001:db8::1", port: 5000)
        #expect(v6.hasSameHost(as: try SocketAddress(ipAddress: "2001:db8::1", port: 7000)))
        #expect(!v6.hasSameHost(as: try SocketAddress(ipAddress: "2001:db8::2", port: 5000)))
        #expect(!a.hasSameHost(as: try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 5000)))
    }
}
