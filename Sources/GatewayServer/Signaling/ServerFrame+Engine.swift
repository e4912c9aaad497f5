import ContactCenter
import SignalingFrames

extension ServerFrame {
    /// An `agent.state` frame for the engine's live state.
    init(_ state: AgentLiveState) {
        self = .agentState(
            AgentState(
                agentId: state.agentId, status: state.status.rawValue, availability: state.availability.rawValue,
                online: state.online, activeCalls: state.activeCalls, wrapUpSecondsLeft: state.wrapUpSecondsLeft,
                statusReason: state.statusReason,
                availabilitySince: state.availabilitySince.map { Int64($0.timeIntervalSince1970.rounded(.down)) }))
    }

    /// A `chat.message` frame: the message as the REST API shows it.
    init(_ message: Message) {
        self = .chatMessage((try? JSONValue.encoding(message)) ?? .null)
    }
}
