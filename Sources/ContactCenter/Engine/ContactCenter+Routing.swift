import Foundation

/// What routing looks up about agents and customers: all of it derived from stored
/// conversations, so it survives a restart.
extension ContactCenter {
    /// Open (OPEN or WAITING) conversations assigned to each agent.
    public func openConversationCounts(_ agentIds: [String]) async throws -> [String: Int] {
        var open: [String: Int] = [:]
        // In slices, so that a huge queue stays within SQL's parameter limit.
        for start in stride(from: 0, to: agentIds.count, by: 1000) {
            let slice = Array(agentIds[start..<min(agentIds.count, start + 1000)])
            try await open.merge(
                store.counts(
                    .conversation,
                    filters: [
                        .oneOf("agentId", slice),
                        .oneOf("status", [ConversationStatus.OPEN.rawValue, ConversationStatus.WAITING.rawValue]),
                    ], groupedBy: "agentId")
            ) { first, _ in first }
        }
        return Dictionary(agentIds.map { ($0, open[$0] ?? 0) }) { first, _ in first }
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
