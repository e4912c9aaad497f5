import ContactCenter
import Foundation

/// Waiting calls meet agents who became free: the call waiting longest in the highest
/// priority is offered first. A callback request waits among them, in its caller's place.
extension CallCenter {
    /// A caller waiting for an agent: on the line, or to be called back.
    enum Waiter {
        case call(CallSession)
        case callback(CallbackRequest)

        var queueId: String {
            switch self {
            case .call(let session): session.record.queueId ?? ""
            case .callback(let request): request.queueId
            }
        }
    }

    /// Waiting calls and due callbacks in the order they are offered: conversation priority
    /// (URGENT first), then arrival (a callback's is its caller's first call).
    func waitingOrder() -> [Waiter] {
        let now = clock.now()
        let calls = sessions.values.filter { $0.phase == .waiting }.map { session in
            (
                waiter: Waiter.call(session), rank: Self.rank(mediaStates[session.id]?.priority),
                since: mediaStates[session.id]?.arrivedAt ?? session.record.createdAt
            )
        }
        let requests = callbacks.values.filter { $0.isDue(at: now) }.map { request in
            (waiter: Waiter.callback(request), rank: Self.rank(request.priority), since: request.waitingSince)
        }
        return (calls + requests).sorted { a, b in a.rank != b.rank ? a.rank < b.rank : a.since < b.since }
            .map(\.waiter)
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
            queuesWithoutFreeMember = []
            let waiting = waitingOrder()
            guard !waiting.isEmpty else { continue }
            if !sweeping, !(await contactCenter.registry.hasFreeAgent()) { continue }
            let askEveryCall = sweeping
            sweeping = false
            for waiter in waiting {
                // Once a queue had nobody free this round, the calls behind in it are not asked
                // (an agent freed meanwhile makes another round); a sweep asks every call, since
                // it also ends those whose queue has nobody signed in.
                if !askEveryCall, queuesWithoutFreeMember.contains(waiter.queueId) { continue }
                switch waiter {
                case .call(let session): await input(session.id, .retryRouting)
                case .callback(let request): await serveCallback(request.id)
                }
            }
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
                case .wrapUpEnded(let agentId, _):
                    statistics.wrapUpEnded(agentId: agentId, now: clock.now())
                default:
                    break
                }
            }
        } catch {}
    }
}
