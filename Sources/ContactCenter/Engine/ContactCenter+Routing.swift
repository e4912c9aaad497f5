import Foundation

/// What routing looks up about agents and customers: all of it derived from stored
/// conversations, so it survives a restart.
extension ContactCenter {
    /// Open (OPEN or WAITING) conversations assigned to each agent.
    public func openConversationCounts(_ agentIds: [String]) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for agentId in agentIds {
            counts[agentId] =
                try await store.list(
                    Conversation.self,
                    DocumentQuery(
                        collection: .conversation,
                        filters: [
                            .equals("agentId", agentId),
                            .oneOf("status", [ConversationStatus.OPEN.rawValue, ConversationStatus.WAITING.rawValue]),
                        ], limit: 1)
                ).total
        }
        return counts
    }

    /// The agent of the customer's most recent conversation (other than `conversationId`)
    /// touched since `since`: whom sticky assignment offers the customer's call first.
    public func lastAgent(ofCustomer identity: String, since: Date, excluding conversationId: String) async throws
        -> String?
    {
        try await store.list(
            Conversation.self,
            DocumentQuery(
                collection: .conversation, filters: [.equals("customerIdentity", identity), .updatedAfter(since)],
                orderBy: "updatedAt", descending: true, limit: 10)
        ).items.first { $0.id != conversationId && $0.agentId != nil }?.agentId
    }
}
