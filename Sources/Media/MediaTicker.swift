import NIOCore

/// Something that runs every 20 ms on its event loop: a client leg (timers, one audio frame), an
/// audio player (one frame).
public protocol MediaTickable: AnyObject {
    /// Called on the ticker's event loop every 20 ms, with the ticker's clock.
    func tick(now: Double)
}

/// The 20 ms media clock of one event loop: every tick runs each of its members once. Ticks are
/// scheduled at absolute deadlines, so they do not drift; one timer serves every member of the
/// loop, which keeps hundreds of calls cheap.
///
/// `@unchecked Sendable`: every member is added, removed and ticked on `eventLoop` (checked by
/// `preconditionInEventLoop`), the only place its state is touched.
public final class MediaTicker: @unchecked Sendable {
    public static let interval = TimeAmount.milliseconds(20)
    public let eventLoop: any EventLoop
    private let clock: @Sendable () -> Double
    private var legs: [ObjectIdentifier: any MediaTickable] = [:]
    private var next: NIODeadline?

    public init(eventLoop: any EventLoop, clock: @escaping @Sendable () -> Double) {
        self.eventLoop = eventLoop
        self.clock = clock
    }

    /// Runs `leg` on every tick; on the event loop.
    public func add(_ leg: any MediaTickable) {
        eventLoop.preconditionInEventLoop()
        legs[ObjectIdentifier(leg)] = leg
        if next == nil { schedule() }
    }

    public func remove(_ leg: any MediaTickable) {
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
