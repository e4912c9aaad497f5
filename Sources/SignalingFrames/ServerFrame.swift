import Foundation
import JSON

/// Version of the signaling JSON protocol; see docs/signaling.md.
public let signalingProtocolVersion: Int64 = 1

/// Every frame the gateway sends on the signaling WebSocket (docs/signaling.md), defined once:
/// the gateway encodes them, clients such as the headless agent read them. Payloads that are
/// REST resources (a chat message, the supervisor's lists) stay JSON, shaped as the REST API
/// documents them.
public enum ServerFrame: Sendable, Equatable {
    /// The first frame of a session.
    case welcome(Welcome)
    case pong(id: String?)
    case heartbeatAck(id: String?)
    /// A request succeeded; a chat message sent carries the message's and conversation's ids.
    case ack(id: String?, messageId: String? = nil, conversationId: String? = nil)
    /// A request was refused; the connection stays up.
    case error(code: String, message: String, id: String?)
    /// An agent's state changed: to the agent and to supervisors.
    case agentState(AgentState)
    case wrapUpStarted(agentId: String, seconds: Int)
    case wrapUpExtended(agentId: String, secondsLeft: Int)
    /// `reason`: `TIMER`, `CLEARED` or `NEW_CALL`.
    case wrapUpEnded(agentId: String, reason: String)
    /// A chat message (the REST API's message resource).
    case chatMessage(JSONValue)
    /// The conversation an agent's outbound call to `to` belongs to.
    case conversationOutbound(id: String?, conversationId: String, to: String, agentId: String)
    /// Everything a supervisor watches, as REST resources: agents, queues (with waiting
    /// counts), calls in progress and waiting calls.
    case supervisorSnapshot(
        id: String?, agents: [JSONValue], queues: [JSONValue], calls: [JSONValue], waitingCalls: [JSONValue])
    /// Whom an agent could transfer to: agents (`id`, `displayName`, `availability`) and queues
    /// (as `GET /ccaas/voice/2/transfer/queues` lists them).
    case transferTargets(id: String?, agents: [JSONValue], queues: [JSONValue])
    /// A frame about one call.
    case call(CallFrame)
    /// A call's recording started, stopped, is ready or failed (`event`: Infobip's
    /// `CALL_RECORDING_STARTED`, `_STOPPED`, `_READY`, `_FAILED`), with its files as
    /// `/ccaas/voice/2/recording/metadata` lists them.
    case recording(event: String, callId: String, recordings: [JSONValue])
    /// A page of recorded files (as `/ccaas/voice/2/recording/metadata` returns it), each with
    /// a `downloadUrl` signed for 15 minutes.
    case recordings(id: String?, page: JSONValue)

    /// What a session learns first.
    public struct Welcome: Codable, Sendable, Equatable {
        public var identity: String
        /// The name the token carries (an agent's display name unless the token named another).
        public var displayName: String?
        /// `agent`, `supervisor` or `customer`.
        public var kind: String
        public var sessionId: String
        public var heartbeatIntervalSeconds: Int
        public var heartbeatTimeoutSeconds: Int
        /// Seconds since 1970 when the session's token expires.
        public var tokenExpiresAt: Int64
        /// The party's calls still running (it came back within the grace).
        public var calls: [JSONValue]
        public var signalingGraceSeconds: Int

        public init(
            identity: String, kind: String, sessionId: String, heartbeatIntervalSeconds: Int,
            heartbeatTimeoutSeconds: Int, tokenExpiresAt: Int64, calls: [JSONValue], signalingGraceSeconds: Int,
            displayName: String? = nil
        ) {
            self.identity = identity
            self.displayName = displayName
            self.kind = kind
            self.sessionId = sessionId
            self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
            self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
            self.tokenExpiresAt = tokenExpiresAt
            self.calls = calls
            self.signalingGraceSeconds = signalingGraceSeconds
        }

        /// The members its `Codable` form has (an absent optional is left out), built directly:
        /// every sign-in sends one.
        var fields: [String: JSONValue] {
            var fields: [String: JSONValue] = [
                "identity": .string(identity), "kind": .string(kind), "sessionId": .string(sessionId),
                "heartbeatIntervalSeconds": .int(Int64(heartbeatIntervalSeconds)),
                "heartbeatTimeoutSeconds": .int(Int64(heartbeatTimeoutSeconds)), "tokenExpiresAt": .int(tokenExpiresAt),
                "calls": .array(calls), "signalingGraceSeconds": .int(Int64(signalingGraceSeconds)),
            ]
            if let displayName { fields["displayName"] = .string(displayName) }
            return fields
        }
    }

    /// An agent's live state.
    public struct AgentState: Codable, Sendable, Equatable {
        public var agentId: String
        /// Set by the agent: `ACTIVE`, `BUSY`, `AWAY`, `OFFLINE`.
        public var status: String
        /// Derived from presence, heartbeats, calls and wrap-up.
        public var availability: String
        public var online: Bool
        public var activeCalls: Int
        /// Seconds of wrap-up left, when wrapping up.
        public var wrapUpSecondsLeft: Int?
        /// Why the system set `status` (an agent set AWAY after unanswered offers).
        public var statusReason: String?
        /// Seconds since 1970 when `availability` took its present value.
        public var availabilitySince: Int64?

        public init(
            agentId: String, status: String, availability: String, online: Bool, activeCalls: Int,
            wrapUpSecondsLeft: Int?, statusReason: String? = nil, availabilitySince: Int64? = nil
        ) {
            self.statusReason = statusReason
            self.availabilitySince = availabilitySince
            self.agentId = agentId
            self.status = status
            self.availability = availability
            self.online = online
            self.activeCalls = activeCalls
            self.wrapUpSecondsLeft = wrapUpSecondsLeft
        }

        /// The members its `Codable` form has (an absent optional is left out), built directly:
        /// each change of an agent's state sends one to the agent and to every supervisor.
        var fields: [String: JSONValue] {
            var fields: [String: JSONValue] = [
                "agentId": .string(agentId), "status": .string(status), "availability": .string(availability),
                "online": .bool(online), "activeCalls": .int(Int64(activeCalls)),
            ]
            if let wrapUpSecondsLeft { fields["wrapUpSecondsLeft"] = .int(Int64(wrapUpSecondsLeft)) }
            if let statusReason { fields["statusReason"] = .string(statusReason) }
            if let availabilitySince { fields["availabilitySince"] = .int(availabilitySince) }
            return fields
        }
    }

    /// The frame's `type`.
    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .pong: "pong"
        case .heartbeatAck: "heartbeat.ack"
        case .ack: "ack"
        case .error: "error"
        case .agentState: "agent.state"
        case .wrapUpStarted: "wrapup.started"
        case .wrapUpExtended: "wrapup.extended"
        case .wrapUpEnded: "wrapup.ended"
        case .chatMessage: "chat.message"
        case .conversationOutbound: "conversation.outbound"
        case .supervisorSnapshot: "supervisor.snapshot"
        case .transferTargets: "transfer.targets"
        case .call(let frame): frame.type
        case .recording: "call.recording"
        case .recordings: "recordings"
        }
    }

    /// The request id the frame answers, when it answers one.
    public var id: String? {
        switch self {
        case .pong(let id), .heartbeatAck(let id), .ack(let id, _, _), .error(_, _, let id),
            .conversationOutbound(let id, _, _, _), .supervisorSnapshot(let id, _, _, _, _),
            .transferTargets(let id, _, _), .recordings(let id, _):
            id
        case .call(.created(_, _, _, let requestId)): requestId
        default: nil
        }
    }

    /// The frame as a JSON object, `type` and `v` included.
    public var json: JSONValue {
        var fields: [String: JSONValue]
        switch self {
        case .welcome(let welcome): fields = welcome.fields
        case .pong, .heartbeatAck: fields = [:]
        case .ack(_, let messageId, let conversationId):
            fields = [:]
            if let messageId { fields["messageId"] = .string(messageId) }
            if let conversationId { fields["conversationId"] = .string(conversationId) }
        case .error(let code, let message, _): fields = ["code": .string(code), "message": .string(message)]
        case .agentState(let state): fields = ["state": .object(state.fields)]
        case .wrapUpStarted(let agentId, let seconds):
            fields = ["agentId": .string(agentId), "seconds": .int(Int64(seconds))]
        case .wrapUpExtended(let agentId, let left):
            fields = ["agentId": .string(agentId), "secondsLeft": .int(Int64(left))]
        case .wrapUpEnded(let agentId, let reason): fields = ["agentId": .string(agentId), "reason": .string(reason)]
        case .chatMessage(let message): fields = ["message": message]
        case .conversationOutbound(_, let conversationId, let to, let agentId):
            fields = ["conversationId": .string(conversationId), "to": .string(to), "agentId": .string(agentId)]
        case .supervisorSnapshot(_, let agents, let queues, let calls, let waitingCalls):
            fields = [
                "agents": .array(agents), "queues": .array(queues), "calls": .array(calls),
                "waitingCalls": .array(waitingCalls),
            ]
        case .transferTargets(_, let agents, let queues):
            fields = ["agents": .array(agents), "queues": .array(queues)]
        case .call(let frame):
            guard case .object(let callFields) = frame.json else { return .null }
            fields = callFields
        case .recording(let event, let callId, let recordings):
            fields = ["event": .string(event), "callId": .string(callId), "recordings": .array(recordings)]
        case .recordings(_, let page):
            fields = ["page": page]
        }
        if let id { fields["id"] = .string(id) }
        fields["type"] = .string(type)
        fields["v"] = .int(signalingProtocolVersion)
        return .object(fields)
    }

    /// The frame as sent: compact JSON with sorted keys.
    public var text: String { json.compactText }

    /// Reads a frame as received; nil for text that is not a frame this protocol knows, or
    /// whose fields are missing or of the wrong kind.
    public init?(text: String) {
        guard let json = JSONValue.parse(text) else { return nil }
        self.init(json: json)
    }

    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        let id = json["id"]?.stringValue
        switch type {
        case "welcome":
            guard let welcome = Self.decode(Welcome.self, json) else { return nil }
            self = .welcome(welcome)
        case "pong": self = .pong(id: id)
        case "heartbeat.ack": self = .heartbeatAck(id: id)
        case "ack":
            self = .ack(
                id: id, messageId: json["messageId"]?.stringValue, conversationId: json["conversationId"]?.stringValue)
        case "error":
            guard let code = json["code"]?.stringValue, let message = json["message"]?.stringValue else { return nil }
            self = .error(code: code, message: message, id: id)
        case "agent.state":
            guard let state = json["state"].flatMap({ Self.decode(AgentState.self, $0) }) else { return nil }
            self = .agentState(state)
        case "wrapup.started", "wrapup.extended", "wrapup.ended":
            guard let agentId = json["agentId"]?.stringValue else { return nil }
            if type == "wrapup.ended" {
                guard let reason = json["reason"]?.stringValue else { return nil }
                self = .wrapUpEnded(agentId: agentId, reason: reason)
            } else if let seconds = json[type == "wrapup.started" ? "seconds" : "secondsLeft"]?.intValue {
                self =
                    type == "wrapup.started"
                    ? .wrapUpStarted(agentId: agentId, seconds: Int(seconds))
                    : .wrapUpExtended(agentId: agentId, secondsLeft: Int(seconds))
            } else {
                return nil
            }
        case "chat.message":
            guard let message = json["message"] else { return nil }
            self = .chatMessage(message)
        case "conversation.outbound":
            guard let conversationId = json["conversationId"]?.stringValue, let to = json["to"]?.stringValue,
                let agentId = json["agentId"]?.stringValue
            else { return nil }
            self = .conversationOutbound(id: id, conversationId: conversationId, to: to, agentId: agentId)
        case "supervisor.snapshot":
            self = .supervisorSnapshot(
                id: id, agents: json["agents"]?.arrayValue ?? [], queues: json["queues"]?.arrayValue ?? [],
                calls: json["calls"]?.arrayValue ?? [], waitingCalls: json["waitingCalls"]?.arrayValue ?? [])
        case "transfer.targets":
            guard let agents = json["agents"]?.arrayValue, let queues = json["queues"]?.arrayValue else { return nil }
            self = .transferTargets(id: id, agents: agents, queues: queues)
        case "recordings":
            guard let page = json["page"] else { return nil }
            self = .recordings(id: id, page: page)
        case "call.recording":
            guard let event = json["event"]?.stringValue, let callId = json["callId"]?.stringValue,
                let recordings = json["recordings"]?.arrayValue
            else { return nil }
            self = .recording(event: event, callId: callId, recordings: recordings)
        default:
            guard let frame = CallFrame(json: json) else { return nil }
            self = .call(frame)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ json: JSONValue) -> T? {
        guard let data = try? JSONEncoder().encode(json) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}
