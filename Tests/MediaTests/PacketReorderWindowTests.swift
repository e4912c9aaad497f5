import Testing

@testable import Media

/// The reorder window hands packets on in the order of their places, whatever order they came in.
@Suite struct PacketReorderWindowTests {
    /// Offers one-byte packets (the byte is the place) and returns the places released.
    static func offer(
        _ places: [Int], to window: inout PacketReorderWindow
    ) -> (released: [Int], outcomes: [PacketReorderWindow.Outcome]) {
        var released: [Int] = []
        var outcomes: [PacketReorderWindow.Outcome] = []
        for place in places {
            let outcome = [UInt8(place)].withUnsafeBytes { payload in
                window.hold(payload, at: place) { position, bytes in
                    #expect(bytes.count == 1 && Int(bytes[0]) == position, "the packet held at \(position)")
                    released.append(position)
                }
            }
            outcomes.append(outcome)
        }
        return (released, outcomes)
    }

    @Test func packetsGoOnInOrderOnceDepthNewerOnesCame() {
        var window = PacketReorderWindow(depth: 3)
        let (released, outcomes) = Self.offer([0, 2, 1, 3, 5, 4, 6, 7], to: &window)
        #expect(outcomes.allSatisfy { $0 == .accepted })
        #expect(released == [0, 1, 2, 3, 4])
        var rest: [Int] = []
        while window.oldestPosition != nil { window.releaseOldest { position, _ in rest.append(position) } }
        #expect(rest == [5, 6, 7])
        window.releaseOldest { _, _ in Issue.record("nothing is held") }
    }

    @Test func aRepeatIsDroppedAndAPacketBehindTheReleasedOnesIsLate() {
        var window = PacketReorderWindow(depth: 2)
        let (released, outcomes) = Self.offer([10, 11, 11, 12, 13, 11, 10, 14], to: &window)
        #expect(outcomes == [.accepted, .accepted, .repeated, .accepted, .accepted, .late, .late, .accepted])
        #expect(released == [10, 11, 12])
        #expect(window.lastReleased == 12)
    }

    @Test func aWindowOfNoDepthPassesPacketsStraightOn() {
        var window = PacketReorderWindow(depth: 0)
        let (released, outcomes) = Self.offer([3, 5, 4, 6], to: &window)
        #expect(released == [3, 5, 6])
        #expect(outcomes == [.accepted, .accepted, .late, .accepted])
        #expect(window.oldestPosition == nil)
    }
}
