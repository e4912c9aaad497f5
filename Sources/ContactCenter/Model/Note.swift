import Foundation

/// Infobip's `NoteType`: the gateway writes INTERNAL notes (text); attachments are not kept.
public enum NoteType: String, Codable, Sendable, CaseIterable {
    case INTERNAL, ATTACHMENT
}

/// A note on a conversation (Infobip's `NoteApiResponse`): what an agent wrote about it, for
/// example in wrap-up.
public struct Note: Persistable, Equatable {
    public static let collection = DocumentCollection.note
    public var id: String
    public var conversationId: String
    /// The author; nil for a note the integration wrote without naming an agent.
    public var agentId: String?
    public var type: NoteType
    /// Text, at most 4000 characters.
    public var content: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = Identifiers.uuid(), conversationId: String, agentId: String?, type: NoteType = .INTERNAL,
        content: String, createdAt: Date
    ) {
        self.id = id
        self.conversationId = conversationId
        self.agentId = agentId
        self.type = type
        self.content = content
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}
