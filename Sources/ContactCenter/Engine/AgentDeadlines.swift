import Foundation

/// When each agent next needs the registry's clock: its heartbeat going stale or its wrap-up
/// ending. Kept by whole second, so that a tick looks only at the agents whose second has come,
/// not at every agent signed in (20,000 of them, four times a second).
struct AgentDeadlines {
    private var agentsBySecond: [Int64: Set<String>] = [:]
    private var secondOfAgent: [String: Int64] = [:]

    /// Sets when `agentId` is next due; nil: nothing is.
    mutating func set(_ agentId: String, dueAt date: Date?) {
        let second = date.map(Self.second)
        let previous = secondOfAgent[agentId]
        guard previous != second else { return }
        if let previous {
            agentsBySecond[previous]?.remove(agentId)
            if agentsBySecond[previous]?.isEmpty == true { agentsBySecond[previous] = nil }
        }
        secondOfAgent[agentId] = second
        if let second { agentsBySecond[second, default: []].insert(agentId) }
    }

    /// Takes out the agents due in any second up to `now`'s (some may be due later in that
    /// second: they are looked at and set again).
    mutating func takeDue(at now: Date) -> [String] {
        let current = Self.second(now)
        var due: [String] = []
        for second in agentsBySecond.keys.filter({ $0 <= current }) {
            for agentId in agentsBySecond.removeValue(forKey: second) ?? [] {
                secondOfAgent[agentId] = nil
                due.append(agentId)
            }
        }
        return due
    }

    private static func second(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
