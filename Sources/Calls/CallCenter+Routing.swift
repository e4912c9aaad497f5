import ContactCenter
import Foundation
import Media

/// Choosing the agent for a call: what the queue's rules need is looked up, `AgentRanking`
/// orders the candidates, and the registry holds the first free one in one step.
extension CallCenter {
    /// Holds a free agent of the queue for the call, or says whether the call could wait for one.
    func reserveAgent(_ callId: String, queueId: String, excluding: Set<String>, epoch: Int) async {
        guard let session = sessions[callId] else { return }
        let conversationId = session.record.conversationId
        let queue = try? await contactCenter.queue(queueId)
        // A call just arriving at a queue outside its working hours is not taken (unless the queue
        // assigns outside them); calls already waiting are still answered.
        if session.phase == .routing, session.tried.isEmpty, let queue,
            queue.isAutoAssignmentOutsideOfWorkingHoursEnabled != true,
            (try? await contactCenter.isOpen(queue)) == false
        {
            var message: EncodedAudio?
            if let away = (try? await contactCenter.awaySound(for: queue)) ?? nil {
                message = await audioLibrary.audio(away)
            }
            if let message {
                mediaStates[callId]?.waitingSounds = AudioLibrary.WaitingSounds(
                    waiting: AudioProgram(), maximumWaitMessage: nil, awayMessage: message)
            }
            await input(callId, .queueClosed(epoch: epoch, awayMessageSeconds: message?.seconds ?? 0))
            return
        }
        let members = ((try? await contactCenter.agentIds(inQueue: queueId)) ?? []).filter { !excluding.contains($0) }
        let ranking = await ranking(
            queue: queue, queueId: queueId, conversationId: conversationId, members: members, excluding: excluding)
        let registry = contactCenter.registry
        let agent = await registry.reserve(firstOf: ranking.ranked(), for: callId)
        if let agent, ranking.algorithm == .ROUND_ROBIN { lastOffered[queueId] = agent }
        if agent == nil, excluding.isEmpty, ranking.autoAssignment { queuesWithoutFreeMember.insert(queueId) }
        var canWait = agent != nil
        if !canWait { canWait = await registry.anySignedIn(members) }
        // A call gone meanwhile takes nothing: the agent goes back at once.
        if !(await input(callId, .agentReserved(agent, canWait: canWait, epoch: epoch))), let agent,
            sessions[callId] == nil
        {
            await registry.release(agentId: agent, from: callId)
        }
    }

    /// What the queue's assignment rules need to order `members` for the conversation's call.
    func ranking(
        queue: Queue?, queueId: String, conversationId: String, members: [String], excluding: Set<String>
    ) async -> AgentRanking {
        var ranking = AgentRanking(
            autoAssignment: queue?.isAutoAssignmentEnabled ?? true,
            algorithm: queue?.autoAssignmentAlgorithm ?? .LOAD_BALANCING, members: members)
        // Only members free now can be held: what ranking looks up is looked up for them alone,
        // and with none free there is nothing to look up.
        var free: [String] = []
        if ranking.autoAssignment {
            free = await contactCenter.registry.free(among: members)
            ranking.free = Set(free)
            if free.isEmpty { return ranking }
        }
        let conversation = try? await contactCenter.conversation(conversationId).conversation
        guard ranking.autoAssignment else {
            ranking.assignee = conversation?.agentId.flatMap { excluding.contains($0) ? nil : $0 }
            return ranking
        }
        if queue?.isStickyAutoAssignmentEnabled == true, let customer = conversation?.customerIdentity {
            let days = TimeInterval(queue?.stickyAgentTimeoutDays ?? 30)
            ranking.stickyAgent = try? await contactCenter.lastAgent(
                ofCustomer: customer, since: clock.now().addingTimeInterval(-days * 86_400), excluding: conversationId)
        }
        switch ranking.algorithm {
        case .ROUND_ROBIN:
            ranking.lastOffered = lastOffered[queueId]
        case .LOAD_BALANCING, .PERFORMANCE_BASED:
            ranking.openConversations = (try? await contactCenter.openConversationCounts(free)) ?? [:]
            ranking.lastCallEnded = await lastCallEnded(of: free)
        }
        return ranking
    }

    /// When each agent's last call ended: kept as calls end, read from the stored call records
    /// for agents not seen since the gateway started.
    private func lastCallEnded(of agentIds: [String]) async -> [String: Date] {
        for agentId in agentIds where lastCallEnded[agentId] == nil {
            let records = try? await contactCenter.store.list(
                CallRecord.self,
                DocumentQuery(
                    collection: .call, filters: [.equals("agentId", agentId)], orderBy: "updatedAt", descending: true,
                    limit: 5)
            ).items
            lastCallEnded[agentId] = records?.compactMap(\.endedAt).max() ?? .distantPast
        }
        return Dictionary(agentIds.map { ($0, lastCallEnded[$0] ?? .distantPast) }) { first, _ in first }
    }
}
