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
    /// Why the system set `status` (the agent's stored `statusReason`).
    public var statusReason: String? = nil
    /// When `availability` took its present value (as published; nil before the first).
    public var availabilitySince: Date? = nil
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
    /// A call's recording changed: to the agent recorded, supervisors and the call-event webhook.
    case recording(RecordingEvent)
}

/// A change of a call's recording, named as Infobip's call events name it.
public struct RecordingEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case CALL_RECORDING_STARTED, CALL_RECORDING_STOPPED, CALL_RECORDING_READY, CALL_RECORDING_FAILED
    }

    public var type: Kind
    public var callId: String
    /// The agent whose call is recorded.
    public var agentId: String?
    public var files: [RecordingFile]
    public var at: Date

    public init(type: Kind, callId: String, agentId: String?, files: [RecordingFile], at: Date) {
        self.type = type
        self.callId = callId
        self.agentId = agentId
        self.files = files
        self.at = at
    }
}

/// Fans events out to any number of subscribers. Publishing never waits: each subscriber keeps
/// every event until it reads it, however far behind it falls.
///
/// The subscribers are the gateway's own (the signaling hub, the call layer, the recording
/// webhook); none may lose an event (an agent's new state, a call's turn), and each catches up
/// between bursts. A bounded buffer that dropped the oldest events did lose them: 10,000 agents
/// signing in at once put the hub more than 1,024 events behind, and the agents whose
/// `agent.state` was dropped waited for it until they gave up.
public final class EventBus: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<ContactCenterEvent>.Continuation]>([:])

    public init() {}

    public func publish(_ event: ContactCenterEvent) {
        let continuations = subscribers.withLock { Array($0.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// A stream of every event published after this call; it ends when the subscriber cancels.
    public func subscribe() -> AsyncStream<ContactCenterEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: ContactCenterEvent.self, bufferingPolicy: .unbounded)
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }
}
