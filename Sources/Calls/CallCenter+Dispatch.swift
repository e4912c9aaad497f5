import ContactCenter
import Foundation

/// Waiting calls meet agents who became free: the call waiting longest in the highest
/// priority is offered first.
extension CallCenter {
    /// Waiting calls in the order they are offered: conversation priority (URGENT first), then
    /// arrival.
    func waitingOrder() -> [CallSession] {
        sessions.values.filter { $0.phase == .waiting }.sorted { a, b in
            let pa = Self.rank(mediaStates[a.id]?.priority), pb = Self.rank(mediaStates[b.id]?.priority)
            return pa != pb ? pa < pb : a.record.createdAt < b.record.createdAt
        }
    }

    static func rank(_ priority: ConversationPriority?) -> Int {
        switch priority ?? .NORMAL {
        case .URGENT: 0
        case .HIGH: 1
        case .NORMAL: 2
        case .LOW: 3
        }
    }

    /// Lets every waiting call ask for an agent again, in `waitingOrder`. Runs one round at a
    /// time; a request while a round runs makes one more round. Without `sweep` a round is skipped
    /// when no agent is free at all; a sweep asks anyway, which also ends calls whose queue has
    /// nobody signed in any more.
    func dispatch(sweep: Bool = false) async {
        guard !dispatching else {
            dispatchAgain = true
            return
        }
        dispatching = true
        defer { dispatching = false }
        var sweeping = sweep
        repeat {
            dispatchAgain = false
            let waiting = waitingOrder()
            guard !waiting.isEmpty else { continue }
            if !sweeping, !(await contactCenter.registry.hasFreeAgent()) { continue }
            sweeping = false
            for session in waiting { await input(session.id, .retryRouting) }
        } while dispatchAgain
    }

    /// Follows what changes in the center: an agent becoming available offers waiting calls;
    /// a conversation's new priority reorders them. Returns when `events` ends.
    public func follow<Events: AsyncSequence & Sendable>(events: Events) async
    where Events.Element == ContactCenterEvent {
        do {
            for try await event in events {
                switch event {
                case .agentState(let state) where state.availability == .ACTIVE:
                    await dispatch()
                case .conversationChanged(let conversation):
                    guard let session = sessions.values.first(where: { $0.record.conversationId == conversation.id })
                    else { break }
                    mediaStates[session.id]?.priority = conversation.priority
                    // Assigned while waiting (a queue without auto-assignment): offered to the assignee.
                    if session.phase == .waiting, conversation.agentId != nil { await dispatch() }
                default:
                    break
                }
            }
        } catch {}
    }
}
