import Foundation
import Synchronization

/// An agent's live state as the system sees it.
public struct AgentLiveState: Sendable, Equatable, Codable {
    public var agentId: String
    /// Set by the agent.
    public var status: AgentStatus
    /// Derived by the system from presence, heartbeat freshness, calls and wrap-up.
    public var availability: AgentStatus
    /// Whether a WebSocket or a fresh heartbeat shows the agent present.
    public var online: Bool
    public var activeCalls: Int
    /// Seconds of wrap-up left, when wrapping up.
    public var wrapUpSecondsLeft: Int?
}

/// Why a wrap-up ended.
public enum WrapUpEndReason: String, Sendable, Codable {
    case timer = "TIMER"
    case cleared = "CLEARED"
    case newCall = "NEW_CALL"
}

/// Everything that changes, for WebSocket pushes and observers.
public enum ContactCenterEvent: Sendable, Equatable {
    case agentState(AgentLiveState)
    case wrapUpStarted(agentId: String, seconds: Int)
    case wrapUpExtended(agentId: String, secondsLeft: Int)
    case wrapUpEnded(agentId: String, reason: WrapUpEndReason)
    /// `assigneeId` is the agent the conversation is assigned to, if any.
    case messageCreated(Message, assigneeId: String?)
    case conversationChanged(Conversation)
}

/// Fans events out to any number of subscribers; a slow subscriber drops its oldest events
/// rather than holding up the publisher.
public final class EventBus: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<ContactCenterEvent>.Continuation]>([:])

    public init() {}

    public func publish(_ event: ContactCenterEvent) {
        let continuations = subscribers.withLock { Array($0.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// A stream of every event published after this call; it ends when the subscriber cancels.
    public func subscribe(bufferSize: Int = 1024) -> AsyncStream<ContactCenterEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(
            of: ContactCenterEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }
}
