import NIOCore
import NIOEmbedded
import Testing

@testable import Media

/// The media clock's phases: every member ticks once per 20 ms period, members are spread over
/// the phases, and a member removed (from any place in its phase) ticks no more while the others
/// go on, each once per period.
@Suite struct MediaTickerTests {
    /// Counts its ticks.
    final class Member: MediaTickable {
        var ticks = 0
        func tick(now: Double) { ticks += 1 }
    }

    @Test func membersTickOncePerPeriodAndRemovedOnesStop() {
        let loop = EmbeddedEventLoop()
        let ticker = MediaTicker(eventLoop: loop, slots: 4, clock: { 0 })
        let members = (0..<10).map { _ in Member() }
        for member in members { ticker.add(member) }
        ticker.add(members[0])  // twice: still one member
        #expect(ticker.count == 10)

        let start = NIODeadline.now()
        loop.advanceTime(to: start + .milliseconds(200))
        let before = members.map(\.ticks)
        #expect(before.allSatisfy { (9...11).contains($0) }, "once per 20 ms: \(before)")

        // Phases fill in turn (0 4 8 | 1 5 9 | 2 6 | 3 7): removing 0 moves 8 into its place, and 8
        // is removed from there; 5 is in the middle of its phase.
        for index in [0, 5, 8] { ticker.remove(members[index]) }
        ticker.remove(members[5])  // twice: nothing more happens
        #expect(ticker.count == 7)
        loop.advanceTime(to: start + .milliseconds(400))
        for (index, member) in members.enumerated() {
            let added = member.ticks - before[index]
            if [0, 5, 8].contains(index) {
                #expect(added == 0, "member \(index) was removed")
            } else {
                #expect((9...11).contains(added), "member \(index) ticked \(added) times in 200 ms")
            }
        }
    }
}
