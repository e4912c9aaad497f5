import Foundation

/// What the wrap-up after a call is, resolved from the account and the agent's override.
public struct WrapUpPolicy: Sendable, Equatable {
    public var enabled: Bool
    public var seconds: Int
    public var canExtend: Bool
    public init(enabled: Bool, seconds: Int, canExtend: Bool) {
        self.enabled = enabled
        self.seconds = seconds
        self.canExtend = canExtend
    }
}

/// Live agent state: WebSocket presence, heartbeat freshness, calls in progress and the
/// wrap-up state machine. Time comes from the injected clock and moves forward through
/// `tick()`; the registry never sleeps. Every change of what a client would see is published.
public actor AgentRegistry {
    struct Entry {
        var status: AgentStatus
        var statusReason: String?
        var enabled: Bool
        var connections = 0
        var lastHeartbeat: Date?
        var activeCalls = 0
        var wrapUpEndsAt: Date?
        var lastPublished: AgentLiveState?
        /// When the published availability last changed.
        var availabilitySince: Date?
    }

    private let clock: any WallClock
    private let events: EventBus
    private var heartbeatTimeout: TimeInterval
    private var entries: [String: Entry] = [:]
    /// Agents held for a call being offered to them: agent id → call id.
    private var reservations: [String: String] = [:]
    /// When each agent's heartbeat goes stale or wrap-up ends: what `tick` looks at.
    private var deadlines = AgentDeadlines()
    /// How many agents the last `tick` looked at (those with something due).
    private(set) var agentsLookedAtByLastTick = 0

    public init(clock: any WallClock, events: EventBus, heartbeatTimeoutSeconds: Int) {
        self.clock = clock
        self.events = events
        self.heartbeatTimeout = TimeInterval(heartbeatTimeoutSeconds)
    }

    /// Registers or refreshes the stored side of an agent (its own status and enabled flag).
    public func upsert(_ agent: Agent) {
        var entry = entries[agent.id] ?? Entry(status: agent.status, enabled: agent.enabled)
        entry.status = agent.status
        entry.statusReason = agent.statusReason
        entry.enabled = agent.enabled
        entries[agent.id] = entry
        publishIfChanged(agent.id)
        reschedule(agent.id)
    }

    public func remove(agentId: String) {
        entries[agentId] = nil
        reservations[agentId] = nil
        deadlines.set(agentId, dueAt: nil)
    }

    /// A WebSocket of the agent opened; it counts as a heartbeat. The state is always
    /// published, so every new session learns it.
    public func connected(agentId: String) {
        mutate(agentId, force: true) {
            $0.connections += 1
            $0.lastHeartbeat = clock.now()
        }
    }

    /// A WebSocket of the agent closed. With no socket left the agent is offline at once.
    public func disconnected(agentId: String) {
        mutate(agentId) {
            $0.connections = max(0, $0.connections - 1)
            if $0.connections == 0 { $0.lastHeartbeat = nil }
        }
    }

    /// A heartbeat (REST or WebSocket). Returns false for an unknown agent.
    @discardableResult
    public func heartbeat(agentId: String) -> Bool {
        guard entries[agentId] != nil else { return false }
        mutate(agentId) { $0.lastHeartbeat = clock.now() }
        return true
    }

    /// A call of the agent was answered. A wrap-up in progress ends.
    public func callStarted(agentId: String) {
        var endedWrapUp = false
        mutate(agentId) {
            $0.activeCalls += 1
            if $0.wrapUpEndsAt != nil {
                $0.wrapUpEndsAt = nil
                endedWrapUp = true
            }
        }
        if endedWrapUp { events.publish(.wrapUpEnded(agentId: agentId, reason: .newCall)) }
    }

    /// A call of the agent ended; wrap-up starts when the policy enables it.
    public func callEnded(agentId: String, wrapUp policy: WrapUpPolicy) {
        guard entries[agentId] != nil else { return }
        let startsWrapUp = policy.enabled && policy.seconds > 0
        mutate(agentId) {
            $0.activeCalls = max(0, $0.activeCalls - 1)
            if startsWrapUp, $0.activeCalls == 0 {
                $0.wrapUpEndsAt = clock.now().addingTimeInterval(TimeInterval(policy.seconds))
            }
        }
        if startsWrapUp, entries[agentId]?.wrapUpEndsAt != nil {
            events.publish(.wrapUpStarted(agentId: agentId, seconds: policy.seconds))
            publishIfChanged(agentId, force: true)
        }
    }

    /// Adds `seconds` to a running wrap-up.
    public func extendWrapUp(agentId: String, seconds: Int, canExtend: Bool) throws(ContactCenterError) {
        guard seconds > 0 else { throw .badRequest("Number of seconds should be greater then 0.") }
        guard let entry = entries[agentId] else { throw .notFound(resource: "agent", id: agentId) }
        guard let endsAt = entry.wrapUpEndsAt, endsAt > clock.now() else {
            throw .badRequest("Agent is not in Wrapping status.")
        }
        guard canExtend else { throw .badRequest("Extending wrap-up time is disabled for this account.") }
        entries[agentId]?.wrapUpEndsAt = endsAt.addingTimeInterval(TimeInterval(seconds))
        reschedule(agentId)
        let left = secondsLeft(until: endsAt.addingTimeInterval(TimeInterval(seconds)))
        events.publish(.wrapUpExtended(agentId: agentId, secondsLeft: left))
        publishIfChanged(agentId, force: true)
    }

    /// Ends a running wrap-up now.
    public func clearWrapUp(agentId: String) throws(ContactCenterError) {
        guard let entry = entries[agentId] else { throw .notFound(resource: "agent", id: agentId) }
        guard entry.wrapUpEndsAt != nil else { throw .badRequest("Agent is not in Wrapping status.") }
        entries[agentId]?.wrapUpEndsAt = nil
        reschedule(agentId)
        events.publish(.wrapUpEnded(agentId: agentId, reason: .cleared))
        publishIfChanged(agentId)
    }

    /// Moves timers forward to the clock's now: ends wrap-ups whose time is up and publishes
    /// agents whose heartbeat went stale. Only agents with something due are looked at.
    public func tick() {
        let now = clock.now()
        let due = deadlines.takeDue(at: now)
        agentsLookedAtByLastTick = due.count
        for id in due {
            guard let entry = entries[id] else { continue }
            if let endsAt = entry.wrapUpEndsAt, endsAt <= now {
                entries[id]?.wrapUpEndsAt = nil
                events.publish(.wrapUpEnded(agentId: id, reason: .timer))
            }
            publishIfChanged(id)
            reschedule(id)
        }
    }

    public func setHeartbeatTimeout(seconds: Int) {
        heartbeatTimeout = TimeInterval(seconds)
        for id in entries.keys { reschedule(id) }
    }

    /// The agent's state now, or nil for an unknown agent.
    public func state(of agentId: String) -> AgentLiveState? {
        entries[agentId].map { liveState(agentId, $0) }
    }

    public func states() -> [String: AgentLiveState] {
        entries.reduce(into: [:]) { $0[$1.key] = liveState($1.key, $1.value) }
    }

    /// Whether routing may offer the agent a call or conversation now.
    public func isRoutable(_ agentId: String) -> Bool { state(of: agentId)?.availability == .ACTIVE }

    /// The agents of `agentIds` whom routing may not offer a call now (unknown ones among them).
    public func unroutable(among agentIds: [String]) -> Set<String> {
        let now = clock.now()
        return Set(agentIds.filter { id in entries[id].map { availability($0, at: now) != .ACTIVE } ?? true })
    }

    /// How many of `agentIds` routing may offer a call or conversation now (one step, not one per agent).
    public func routableCount(among agentIds: [String]) -> Int {
        let now = clock.now()
        return agentIds.count { id in entries[id].map { availability($0, at: now) == .ACTIVE } ?? false }
    }

    /// Holds, for `callId`, the first agent of `candidates` (in the caller's order of preference)
    /// who may be offered a call now: available, signed in on a signaling socket, and not held
    /// for another call. Choosing and holding are one step, so two calls routed at once never
    /// get the same agent. The hold lasts until `release` (the offer ended or was answered).
    public func reserve(firstOf candidates: [String], for callId: String) -> String? {
        let now = clock.now()
        guard let agentId = candidates.first(where: { mayBeHeld($0, at: now) }) else { return nil }
        reservations[agentId] = callId
        return agentId
    }

    /// The agents of `candidates` who could be held for a call now, in their order: what is
    /// worth ranking (a queue of thousands has a few free at a time).
    public func free(among candidates: [String]) -> [String] {
        let now = clock.now()
        return candidates.filter { mayBeHeld($0, at: now) }
    }

    private func mayBeHeld(_ agentId: String, at now: Date) -> Bool {
        guard reservations[agentId] == nil, let entry = entries[agentId], entry.connections > 0 else { return false }
        return availability(entry, at: now) == .ACTIVE
    }

    /// Whether any agent could be held for a call now (routable, signed in, not held): when none
    /// is, waiting calls need not ask.
    public func hasFreeAgent() -> Bool {
        let now = clock.now()
        return entries.keys.contains { mayBeHeld($0, at: now) }
    }

    /// Gives back an agent held for `callId`; a hold for another call is left alone.
    public func release(agentId: String, from callId: String) {
        if reservations[agentId] == callId { reservations[agentId] = nil }
    }

    /// The call an agent is held for, if any.
    public func reservation(of agentId: String) -> String? { reservations[agentId] }

    /// Whether any of `agentIds` is signed in (a signaling socket open, enabled, not INVISIBLE):
    /// someone who could take a call once free, so a caller may wait for them.
    public func anySignedIn(_ agentIds: [String]) -> Bool {
        agentIds.contains { id in
            guard let entry = entries[id] else { return false }
            return entry.connections > 0 && entry.enabled && entry.status != .INVISIBLE
        }
    }

    private func mutate(_ agentId: String, force: Bool = false, _ change: (inout Entry) -> Void) {
        guard var entry = entries[agentId] else { return }
        change(&entry)
        entries[agentId] = entry
        publishIfChanged(agentId, force: force)
        reschedule(agentId)
    }

    /// Sets when the agent next needs `tick`: its heartbeat going stale (while it was last
    /// published online, even when that time has passed: the timeout was shortened) or its
    /// wrap-up ending, whichever comes first.
    private func reschedule(_ agentId: String) {
        guard let entry = entries[agentId] else { return deadlines.set(agentId, dueAt: nil) }
        var due = entry.wrapUpEndsAt
        if entry.lastPublished?.online == true, let stale = entry.lastHeartbeat?.addingTimeInterval(heartbeatTimeout) {
            due = min(due ?? stale, stale)
        }
        deadlines.set(agentId, dueAt: due)
    }

    private func publishIfChanged(_ agentId: String, force: Bool = false) {
        guard let entry = entries[agentId] else { return }
        var state = liveState(agentId, entry)
        if entry.lastPublished?.availability != state.availability {
            entries[agentId]?.availabilitySince = clock.now()
            state.availabilitySince = clock.now()
        }
        // Seconds left tick down on their own; only a start, end or extension is news.
        func withoutCountdown(_ s: AgentLiveState?) -> AgentLiveState? {
            guard var s else { return nil }
            if s.wrapUpSecondsLeft != nil { s.wrapUpSecondsLeft = 0 }
            return s
        }
        guard force || withoutCountdown(entry.lastPublished) != withoutCountdown(state) else { return }
        entries[agentId]?.lastPublished = state
        events.publish(.agentState(state))
    }

    private func liveState(_ agentId: String, _ entry: Entry) -> AgentLiveState {
        let now = clock.now()
        let online = isOnline(entry, at: now)
        let wrapping = entry.wrapUpEndsAt.map { $0 > now } ?? false
        return AgentLiveState(
            agentId: agentId, status: entry.status, availability: availability(entry, at: now), online: online,
            activeCalls: entry.activeCalls,
            wrapUpSecondsLeft: wrapping ? entry.wrapUpEndsAt.map { secondsLeft(until: $0) } : nil,
            statusReason: entry.statusReason, availabilitySince: entry.availabilitySince)
    }

    private func isOnline(_ entry: Entry, at now: Date) -> Bool {
        entry.lastHeartbeat.map { now.timeIntervalSince($0) < heartbeatTimeout } ?? false
    }

    private func availability(_ entry: Entry, at now: Date) -> AgentStatus {
        if !entry.enabled || entry.status == .INVISIBLE { return .INVISIBLE }
        if !isOnline(entry, at: now) { return .AWAY }
        if entry.activeCalls > 0 || (entry.wrapUpEndsAt.map { $0 > now } ?? false) { return .BUSY }
        return entry.status
    }

    private func secondsLeft(until date: Date) -> Int {
        max(0, Int(date.timeIntervalSince(clock.now()).rounded(.up)))
    }
}
