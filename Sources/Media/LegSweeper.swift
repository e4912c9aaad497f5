import NIOCore

/// The slow clock of one event loop's trunk legs: one timer every 250 ms for all of them, which
/// checks each for an RTP timeout and sends its RTCP report when due (`RTPLeg.sweep`).
///
/// One timer per loop rather than one per leg: a loop with hundreds of phone legs otherwise keeps
/// hundreds of tasks in NIO's timer heap, each rescheduled four times a second, and each timer's
/// closure held its leg weakly, which gives the leg a side table and sends every retain of it (a
/// few per relayed packet) down the runtime's slow path. The sweeper holds its legs strongly from
/// `add` to `remove` (a leg removes itself when it closes or fails).
///
/// `@unchecked Sendable`: the legs and the timer are touched only on `eventLoop` (checked by
/// `preconditionInEventLoop`).
final class LegSweeper: @unchecked Sendable {
    static let interval = TimeAmount.milliseconds(250)
    let eventLoop: any EventLoop
    private var legs: [RTPLeg] = []
    private var indexOf: [ObjectIdentifier: Int] = [:]
    private var timer: RepeatedTask?

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Sweeps `leg` every 250 ms from now on; on the event loop.
    func add(_ leg: RTPLeg) {
        eventLoop.preconditionInEventLoop()
        let id = ObjectIdentifier(leg)
        guard indexOf[id] == nil else { return }
        indexOf[id] = legs.count
        legs.append(leg)
        if timer == nil {
            timer = eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [self] _ in
                sweep()
            }
        }
    }

    /// Stops sweeping `leg`; on the event loop.
    func remove(_ leg: RTPLeg) {
        eventLoop.preconditionInEventLoop()
        guard let index = indexOf.removeValue(forKey: ObjectIdentifier(leg)) else { return }
        let last = legs.removeLast()
        if index < legs.count {
            legs[index] = last
            indexOf[ObjectIdentifier(last)] = index
        }
        if legs.isEmpty {
            timer?.cancel()
            timer = nil
        }
    }

    /// Legs swept now.
    var count: Int { legs.count }

    private func sweep() {
        // A leg may remove itself while swept (a timeout): walk a copy.
        let now = legs
        for leg in now { leg.sweep() }
    }
}
