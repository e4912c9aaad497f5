import Testing

@testable import GatewayServer

/// A source refused again and again is blocked for a while; others are not.
@Suite struct SIPSourcePenaltiesTests {
    @Test func aBurstOfRefusalsBlocksTheSourceForAWhile() {
        var penalties = SIPSourcePenalties()
        var blockedAt: Int?
        for i in 0..<25 where penalties.refused("192.0.2.7", now: 100) {
            blockedAt = i
            break
        }
        #expect(blockedAt == 20, "the burst of 20 refusals is allowed, the 21st blocks")
        #expect(penalties.isBlocked("192.0.2.7", now: 100))
        #expect(penalties.isBlocked("192.0.2.7", now: 159.9))
        #expect(!penalties.isBlocked("192.0.2.7", now: 160), "blocked for 60 s")
        #expect(!penalties.isBlocked("192.0.2.8", now: 100), "another source is not")
    }

    @Test func refusalsAtTheRefillRateNeverBlock() {
        var penalties = SIPSourcePenalties()
        var now = 0.0
        var blocks = 0
        for _ in 0..<1_000 {
            if penalties.refused("192.0.2.7", now: now) { blocks += 1 }
            now += 0.25  // 4 a second, under the 5 a second refill
        }
        #expect(blocks == 0)
        #expect(!penalties.isBlocked("192.0.2.7", now: now))
    }

    @Test func trackedSourcesAreBounded() {
        var penalties = SIPSourcePenalties()
        penalties.capacity = 100
        for i in 0..<1_000 { _ = penalties.refused("10.0.\(i / 256).\(i % 256)", now: Double(i)) }
        #expect(penalties.count <= 100)
    }
}
