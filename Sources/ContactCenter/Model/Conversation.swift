import Foundation

public enum ConversationStatus: String, Codable, Sendable, CaseIterable {
    case OPEN, WAITING, SOLVED, CLOSED
}

public enum ConversationPriority: String, Codable, Sendable, CaseIterable {
    case URGENT, HIGH, NORMAL, LOW
}

/// A conversation: the container of a customer's messages and calls.
public struct Conversation: Persistable, Equatable {
    public static let collection = DocumentCollection.conversation
    public var id: String
    public var topic: String?
    public var summary: String?
    public var status: ConversationStatus
    public var priority: ConversationPriority
    public var queueId: String?
    public var agentId: String?
    public var channel: MessageChannel?
    /// The customer's WebRTC/LIVE_CHAT identity, when the conversation came from one.
    public var customerIdentity: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?

    public init(
        id: String = Identifiers.uuid(), topic: String? = nil, summary: String? = nil,
        status: ConversationStatus = .OPEN,
        priority: ConversationPriority = .NORMAL, queueId: String? = nil, agentId: String? = nil,
        channel: MessageChannel? = nil, customerIdentity: String? = nil, createdAt: Date, updatedAt: Date,
        closedAt: Date? = nil
    ) {
        self.id = id
        self.topic = topic
        self.summary = summary
        self.status = status
        self.priority = priority
        self.queueId = queueId
        self.agentId = agentId
        self.channel = channel
        self.customerIdentity = customerIdentity
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
    }
}
