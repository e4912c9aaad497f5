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
    public let slots: Int
    private let step: TimeAmount
    public let eventLoop: any EventLoop
    private let clock: @Sendable () -> Double
    /// Each phase's members, in an array (ticked thousands of times a second, a dictionary's
    /// walk costs); `placeOf` finds a member's phase and index for removal.
    private var phases: [[any MediaTickable]]
    private var placeOf: [ObjectIdentifier: (phase: Int, index: Int)] = [:]
    /// The phase that fires next, and when.
    private var phase = 0
    private var next: NIODeadline?
    /// When the phase being ticked was due (while members tick).
    public private(set) var due: NIODeadline?
    /// The loop's shared WebRTC socket: what a phase sends leaves in one flush at its end.
    var socket: SharedMediaSocket?
    /// Where the loop's players build their packets, one at a time: a leg has copied or sent a
    /// packet when its send returns, so the buffer is unique again for the next player and no
    /// player keeps a buffer of its own.
    var scratch = ByteBufferAllocator().buffer(capacity: 1500)
    /// How late the phases finished ticking so far.
    public private(set) var lateness = TickLateness()
    private let statistics: MediaStatistics?

    /// A ticker on `eventLoop` with `slots` phases (the gateway's 4; a load generator, which must
    /// not send in bursts that a relay then queues, uses 20: one every millisecond);
    /// `statistics`, when given, counts its phases and the late ones.
    public init(
        eventLoop: any EventLoop, slots: Int = 4, statistics: MediaStatistics? = nil,
        clock: @escaping @Sendable () -> Double
    ) {
        precondition((1...20).contains(slots), "a 20 ms period has 1 to 20 phases")
        self.slots = slots
        step = .nanoseconds(Self.interval.nanoseconds / Int64(slots))
        phases = Array(repeating: [], count: slots)
        self.eventLoop = eventLoop
        self.statistics = statistics
        self.clock = clock
    }

    /// Runs `leg` every 20 ms, in the least filled phase; on the event loop.
    public func add(_ leg: any MediaTickable) {
        eventLoop.preconditionInEventLoop()
        let id = ObjectIdentifier(leg)
        guard placeOf[id] == nil else { return }
        let chosen = phases.indices.min { phases[$0].count < phases[$1].count } ?? 0
        placeOf[id] = (chosen, phases[chosen].count)
        phases[chosen].append(leg)
        if next == nil { schedule() }
    }

    public func remove(_ leg: any MediaTickable) {
        eventLoop.preconditionInEventLoop()
        guard let place = placeOf.removeValue(forKey: ObjectIdentifier(leg)) else { return }
        let last = phases[place.phase].removeLast()
        if place.index < phases[place.phase].count {
            phases[place.phase][place.index] = last
            placeOf[ObjectIdentifier(last)] = place
        }
    }

    /// Members ticking now, in every phase.
    public var count: Int { placeOf.count }

    private func schedule() {
        let now = NIODeadline.now()
        var deadline = (next ?? now) + step
        // Far behind (a stalled loop): start again from now rather than burst.
        if deadline < now - .milliseconds(100) { deadline = now + step }
        next = deadline
        eventLoop.scheduleTask(deadline: deadline) { [self] in fire() }
    }

    private func fire() {
        guard !placeOf.isEmpty else {
            next = nil
            return
        }
        due = next
        let now = clock()
        socket?.beginBatch()
        for leg in phases[phase] { leg.tick(now: now) }
        socket?.endBatch()
        if let due = next {
            let late = lateness.record(NIODeadline.now() - due)
            statistics?.ticks.add(1, ordering: .relaxed)
            if late { statistics?.ticksLate.add(1, ordering: .relaxed) }
        }
        due = nil
        phase = (phase + 1) % slots
        schedule()
    }
}

/// How late a media clock's phases finished: when the last member of a phase has ticked (sent its
/// frame), against when the phase was due. A phase that finishes more than 20 ms late sent late
/// frames: the loop cannot keep up with its players and calls.
public struct TickLateness: Sendable, Equatable {
    /// Phases ticked.
    public private(set) var phases = 0
    /// Phases that finished more than 20 ms after they were due.
    public private(set) var late = 0
    /// The latest finish, in nanoseconds after due.
    public private(set) var worstNanoseconds: Int64 = 0
    /// Phases by lateness in whole milliseconds; the last bucket holds 100 ms and more.
    public private(set) var histogram = [Int](repeating: 0, count: 101)

    public init() {}

    /// Records one phase that finished `lateness` after due; returns whether its frames were late.
    mutating func record(_ lateness: TimeAmount) -> Bool {
        let nanoseconds = max(0, lateness.nanoseconds)
        phases += 1
        worstNanoseconds = max(worstNanoseconds, nanoseconds)
        histogram[min(100, Int(nanoseconds / 1_000_000))] += 1
        let isLate = nanoseconds > MediaTicker.interval.nanoseconds
        if isLate { late += 1 }
        return isLate
    }

    /// The lateness (whole milliseconds, rounded up) that `fraction` of the phases finished within.
    public func percentile(_ fraction: Double) -> Int {
        let wanted = Int((Double(phases) * fraction).rounded(.up))
        var seen = 0
        for (milliseconds, count) in histogram.enumerated() {
            seen += count
            if seen >= wanted { return milliseconds + 1 }
        }
        return histogram.count
    }

    /// What happened between `earlier` and this; its worst is known to the millisecond (rounded up).
    public func since(_ earlier: TickLateness) -> TickLateness {
        var result = TickLateness()
        result.phases = phases - earlier.phases
        result.late = late - earlier.late
        result.histogram = zip(histogram, earlier.histogram).map { $0 - $1 }
        let highest = result.histogram.lastIndex { $0 > 0 }
        result.worstNanoseconds = highest.map { Int64($0 + 1) * 1_000_000 } ?? 0
        return result
    }
}
