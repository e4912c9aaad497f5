import NIOCore

/// The 20 ms media clock of one event loop: every tick runs each of its legs once (timers, one
/// audio frame each). Ticks are scheduled at absolute deadlines, so they do not drift; one
/// timer serves every leg of the loop, which keeps hundreds of calls cheap.
final class MediaTicker: @unchecked Sendable {
    static let interval = TimeAmount.milliseconds(20)
    let eventLoop: any EventLoop
    private let clock: @Sendable () -> Double
    private var legs: [ObjectIdentifier: ClientLeg] = [:]
    private var next: NIODeadline?

    init(eventLoop: any EventLoop, clock: @escaping @Sendable () -> Double) {
        self.eventLoop = eventLoop
        self.clock = clock
    }

    /// Runs `leg` on every tick; on the event loop.
    func add(_ leg: ClientLeg) {
        eventLoop.preconditionInEventLoop()
        legs[ObjectIdentifier(leg)] = leg
        if next == nil { schedule() }
    }

    func remove(_ leg: ClientLeg) {
        eventLoop.preconditionInEventLoop()
        legs[ObjectIdentifier(leg)] = nil
    }

    private func schedule() {
        let now = NIODeadline.now()
        var deadline = (next ?? now) + Self.interval
        // Far behind (a stalled loop): start again from now rather than burst.
        if deadline < now - .milliseconds(100) { deadline = now + Self.interval }
        next = deadline
        eventLoop.scheduleTask(deadline: deadline) { [self] in fire() }
    }

    private func fire() {
        guard !legs.isEmpty else {
            next = nil
            return
        }
        let now = clock()
        for leg in legs.values { leg.tick(now: now) }
        schedule()
    }
}
