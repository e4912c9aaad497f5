import ContactCenter
import Testing

@Suite struct EventBusTests {
    /// A subscriber busy elsewhere while thousands of events are published (agents signing in at
    /// once) still reads every one, in order; so does a second subscriber, and one that subscribed
    /// later sees only what came after.
    @Test func aSubscriberFarBehindStillGetsEveryEventInOrder() async {
        let bus = EventBus()
        let first = bus.subscribe()
        let second = bus.subscribe()
        let count = 20_000
        for index in 0..<count { bus.publish(.wrapUpExtended(agentId: "agent", secondsLeft: index)) }
        let late = bus.subscribe()
        bus.publish(.wrapUpExtended(agentId: "agent", secondsLeft: count))
        for stream in [first, second] {
            var expected = 0
            for await event in stream {
                guard case .wrapUpExtended(_, let left) = event else {
                    Issue.record("unexpected \(event)")
                    return
                }
                #expect(left == expected)
                if left != expected { return }
                expected += 1
                if expected > count { break }
            }
            #expect(expected == count + 1)
        }
        for await event in late {
            guard case .wrapUpExtended(_, let left) = event else { continue }
            #expect(left == count)
            break
        }
    }
}
