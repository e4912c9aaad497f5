import NIOCore

/// Something that runs every 20 ms on its event loop: a client leg (timers, one audio frame), an
/// audio player (one frame).
public protocol MediaTickable: AnyObject {
    /// Called on the ticker's event loop every 20 ms, with the ticker's clock.
    func tick(now: Double)
}

/// The 20 ms media clock of one event loop. Members are spread over `slots` phases of the 20 ms
/// period (each joins the least filled one), and one timer fires every 20 / `slots` ms to tick the
/// members of the next phase: each member still ticks every 20 ms, but a loop with thousands of
/// players sends a quarter of their packets at a time instead of all in one burst, so no packet
/// waits behind the whole burst. Ticks are scheduled at absolute deadlines, so they do not drift;
/// one timer serves every member of the loop, which keeps thousands of calls cheap.
///
/// `@unchecked Sendable`: every member is added, removed and ticked on `eventLoop` (checked by
/// `preconditionInEventLoop`), the only place its state is touched.
public final class MediaTicker: @unchecked Sendable {
    public static let interval = TimeAmount.milliseconds(20)
    /// Phases of the 20 ms period.
    public static let slots = 4
    private static let step = TimeAmount.nanoseconds(interval.nanoseconds / Int64(slots))
    public let eventLoop: any EventLoop
    private let clock: @Sendable () -> Double
    private var phases: [[ObjectIdentifier: any MediaTickable]] = Array(repeating: [:], count: slots)
    private var phaseOf: [ObjectIdentifier: Int] = [:]
    /// The phase that fires next, and when.
    private var phase = 0
    private var next: NIODeadline?
    /// When the phase being ticked was due (while members tick).
    public private(set) var due: NIODeadline?

    public init(eventLoop: any EventLoop, clock: @escaping @Sendable () -> Double) {
        self.eventLoop = eventLoop
        self.clock = clock
    }

    /// Runs `leg` every 20 ms, in the least filled phase; on the event loop.
    public func add(_ leg: any MediaTickable) {
        eventLoop.preconditionInEventLoop()
        let id = ObjectIdentifier(leg)
        if let current = phaseOf[id] {
            phases[current][id] = leg
            return
        }
        let chosen = phases.indices.min { phases[$0].count < phases[$1].count } ?? 0
        phases[chosen][id] = leg
        phaseOf[id] = chosen
        if next == nil { schedule() }
    }

    public func remove(_ leg: any MediaTickable) {
        eventLoop.preconditionInEventLoop()
        let id = ObjectIdentifier(leg)
        guard let current = phaseOf.removeValue(forKey: id) else { return }
        phases[current][id] = nil
    }

    /// Members ticking now, in every phase.
    public var count: Int { phaseOf.count }

    private func schedule() {
        let now = NIODeadline.now()
        var deadline = (next ?? now) + Self.step
        // Far behind (a stalled loop): start again from now rather than burst.
        if deadline < now - .milliseconds(100) { deadline = now + Self.step }
        next = deadline
        eventLoop.scheduleTask(deadline: deadline) { [self] in fire() }
    }

    private func fire() {
        guard !phaseOf.isEmpty else {
            next = nil
            return
        }
        due = next
        let now = clock()
        for leg in phases[phase].values { leg.tick(now: now) }
        due = nil
        phase = (phase + 1) % Self.slots
        schedule()
    }
}
