import Foundation

/// Infobip's `AgentStatusGroup`: used both for the status an agent sets and for the
/// availability the system derives.
public enum AgentStatus: String, Codable, Sendable, CaseIterable {
    case ACTIVE, BUSY, INVISIBLE, AWAY
}

public enum AgentRole: String, Codable, Sendable, CaseIterable {
    case AGENT, SUPERVISOR
}

/// An agent as stored.
public struct Agent: Persistable, Equatable {
    public static let collection = DocumentCollection.agent
    public var id: String
    public var displayName: String
    public var title: String?
    public var email: String?
    /// Set by the agent.
    public var status: AgentStatus
    /// Why the system set `status` (an agent who let too many call offers ring out is set AWAY);
    /// cleared when the agent or a supervisor sets a status.
    public var statusReason: String?
    public var role: AgentRole
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = Identifiers.hex32(), displayName: String, title: String? = nil, email: String? = nil,
        status: AgentStatus, role: AgentRole, enabled: Bool = true, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.displayName = displayName
        self.title = title
        self.email = email
        self.status = status
        self.role = role
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The link between an agent and a queue.
public struct AgentQueueLink: Persistable, Equatable {
    public static let collection = DocumentCollection.agentQueueLink
    public var id: String { "\(agentId):\(queueId)" }
    public var agentId: String
    public var queueId: String
    public var createdAt: Date
    public var updatedAt: Date { createdAt }
    public init(agentId: String, queueId: String, createdAt: Date) {
        self.agentId = agentId
        self.queueId = queueId
        self.createdAt = createdAt
    }
}
