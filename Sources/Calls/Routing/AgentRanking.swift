import ContactCenter
import Foundation

/// The order in which a queue's agents are tried for a call: a pure function of what the
/// driver looked up, so that every rule is tested without a store or a clock. The agent
/// registry then holds the first of them who is free (`AgentRegistry.reserve`).
public struct AgentRanking: Sendable, Equatable {
    /// What the queue says about choosing.
    public var autoAssignment: Bool
    public var algorithm: AutoAssignmentAlgorithm
    /// The queue's members that the call has not tried, in membership order.
    public var members: [String]
    /// The agent the conversation is assigned to, when it is.
    public var assignee: String?
    /// The agent of the customer's last conversation (sticky assignment), when the queue asks
    /// for it and there is one recent enough.
    public var stickyAgent: String?
    /// Open conversations per agent (LOAD_BALANCING).
    public var openConversations: [String: Int] = [:]
    /// When each agent's last call ended (never: longest idle of all).
    public var lastCallEnded: [String: Date] = [:]
    /// The agent this queue offered a call to last (ROUND_ROBIN goes on after them).
    public var lastOffered: String?
    /// The members who could take the call now, when known: only they are ranked (the others
    /// would be passed over when the first free one is held). nil: every member.
    public var free: Set<String>?

    public init(
        autoAssignment: Bool, algorithm: AutoAssignmentAlgorithm, members: [String], assignee: String? = nil,
        stickyAgent: String? = nil
    ) {
        self.autoAssignment = autoAssignment
        self.algorithm = algorithm
        self.members = members
        self.assignee = assignee
        self.stickyAgent = stickyAgent
    }

    /// Agents to try, best first.
    ///
    /// - Without auto-assignment only the conversation's assignee is offered the call (an agent
    ///   or supervisor assigns it); nobody else is.
    /// - With it, a sticky agent comes first, then the algorithm's order: LOAD_BALANCING by
    ///   fewest open conversations, ties by longest idle, then membership order; ROUND_ROBIN by
    ///   membership order starting after the agent offered last.
    public func ranked() -> [String] {
        guard autoAssignment else { return assignee.map { [$0] } ?? [] }
        var order: [String]
        switch algorithm {
        case .ROUND_ROBIN:
            // The turn goes on from the last agent offered, whether or not they are free now.
            let start = lastOffered.flatMap { members.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            order = Array(members[min(start, members.count)...] + members[..<min(start, members.count)])
            if let free { order = order.filter(free.contains) }
        case .LOAD_BALANCING, .PERFORMANCE_BASED:
            let candidates = free.map { free in members.filter(free.contains) } ?? members
            let position = Dictionary(candidates.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            order = candidates.sorted { a, b in
                let loadA = openConversations[a] ?? 0, loadB = openConversations[b] ?? 0
                if loadA != loadB { return loadA < loadB }
                let idleA = lastCallEnded[a] ?? .distantPast, idleB = lastCallEnded[b] ?? .distantPast
                if idleA != idleB { return idleA < idleB }
                return position[a]! < position[b]!
            }
        }
        if let stickyAgent, let index = order.firstIndex(of: stickyAgent) {
            order.remove(at: index)
            order.insert(stickyAgent, at: 0)
        }
        return order
    }
}
