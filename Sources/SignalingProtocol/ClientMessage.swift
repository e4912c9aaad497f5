import ContactCenter
import Foundation
import JSON
import SignalingFrames

/// A message from a client, parsed and checked.
public enum ClientMessage: Sendable, Equatable {
    case ping(id: String?)
    case heartbeat(id: String?)
    case setStatus(id: String?, status: AgentStatus)
    /// From a customer: into their open conversation. From an agent: to a conversation's customer.
    case chat(id: String?, conversationId: String?, contentType: String, content: JSONValue)
    /// `callConversations`: an SDP offer and Infobip's custom data.
    case callStart(id: String?, sdp: String, customData: JSONValue)
    case callAccept(id: String?, callId: String, sdp: String)
    case callDecline(id: String?, callId: String)
    case callHangup(id: String?, callId: String)
    /// A trickled ICE candidate; the gateway is ICE-lite and learns addresses from checks.
    case callCandidate(id: String?, callId: String)
    case callMute(id: String?, callId: String, muted: Bool)
    /// The agent puts the phone on the other end on hold (or resumes it).
    case callHold(id: String?, callId: String, hold: Bool)
    /// The agent sends DTMF digits to the phone on the other end.
    case callDTMF(id: String?, callId: String, digits: String)
    /// The agent extends its own wrap-up by `seconds`.
    case wrapUpExtend(id: String?, seconds: Int)
    /// The agent ends its own wrap-up now.
    case wrapUpClear(id: String?)
    /// A supervisor asks for agents, queues with their waiting callers, and calls in progress.
    case supervisorSnapshot(id: String?)
    /// An agent opens the conversation its outbound call to `to` will belong to.
    case conversationOutbound(id: String?, to: String)
    /// The agent transfers the customer of its call to another agent or a queue: blind, or
    /// `attended` (the agent consults the target first).
    case callTransfer(id: String?, callId: String, target: TransferTarget, attended: Bool = false)
    /// The agent completes, cancels or merges its attended transfer.
    case callConsult(id: String?, callId: String, action: ConsultAction)
    /// An agent asks whom it could transfer to: agents and queues with their availability.
    case transferTargets(id: String?)
    /// A supervisor monitors a call (LISTEN, WHISPER, BARGE), or changes how.
    case callMonitor(id: String?, callId: String, mode: MonitorMode)
    /// The call's agent (or a supervisor) pauses or resumes the call's recording.
    case callRecord(id: String?, callId: String, paused: Bool)
    /// A supervisor lists recorded files: `filters` are the REST metadata route's parameters.
    case recordingsList(id: String?, filters: [String: String])
}

/// Why a client message was refused; sent back as an `error` frame, the connection stays up.
public struct SignalingFault: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public var id: String?
    public init(_ code: String, _ message: String, id: String? = nil) {
        self.code = code
        self.message = message
        self.id = id
    }
}

/// Parses client frames. Never traps: every malformed input becomes a `SignalingFault`.
public enum SignalingParser {
    static let types = [
        "ping", "heartbeat", "agent.setStatus", "chat.send", "call.start", "call.accept", "call.decline", "call.hangup",
        "call.candidate", "call.mute", "call.hold", "call.dtmf", "wrapup.extend", "wrapup.clear",
        "supervisor.snapshot", "conversation.outbound", "call.transfer", "transfer.targets",
        "call.monitor", "call.consult", "call.record", "recordings.list",
    ]

    public static func parse(_ text: String) -> Result<ClientMessage, SignalingFault> {
        guard let value = JSONValue.parse(text) else {
            return .failure(SignalingFault("BAD_JSON", "frame is not valid JSON"))
        }
        guard case .object(let members) = value else {
            return .failure(SignalingFault("BAD_MESSAGE", "frame must be a JSON object, got \(value.typeName)"))
        }
        var id: String?
        if let raw = members["id"] {
            guard let s = raw.stringValue, s.count <= 64 else {
                return .failure(SignalingFault("BAD_MESSAGE", "id: must be a string of at most 64 characters"))
            }
            id = s
        }
        if let version = members["v"], version.intValue != signalingProtocolVersion {
            return .failure(
                SignalingFault(
                    "UNSUPPORTED_VERSION", "v: this server speaks version \(signalingProtocolVersion)", id: id))
        }
        guard let type = members["type"]?.stringValue else {
            return .failure(SignalingFault("BAD_MESSAGE", "type: must be a string", id: id))
        }
        switch type {
        case "ping": return .success(.ping(id: id))
        case "heartbeat": return .success(.heartbeat(id: id))
        case "agent.setStatus":
            guard let raw = members["status"]?.stringValue, let status = AgentStatus(rawValue: raw) else {
                return .failure(
                    SignalingFault(
                        "BAD_MESSAGE",
                        "status: must be one of \(AgentStatus.allCases.map(\.rawValue).joined(separator: ", "))", id: id
                    ))
            }
            return .success(.setStatus(id: id, status: status))
        case "chat.send":
            guard let content = members["content"], case .object = content else {
                return .failure(SignalingFault("BAD_MESSAGE", "content: must be an object", id: id))
            }
            let contentType = members["contentType"]?.stringValue ?? "TEXT"
            guard (1...64).contains(contentType.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "contentType: must be 1 to 64 characters", id: id))
            }
            var conversationId: String?
            if let raw = members["conversationId"] {
                guard let s = raw.stringValue, (1...255).contains(s.count) else {
                    return .failure(SignalingFault("BAD_MESSAGE", "conversationId: must be a string", id: id))
                }
                conversationId = s
            }
            return .success(.chat(id: id, conversationId: conversationId, contentType: contentType, content: content))
        case "wrapup.extend":
            guard let seconds = members["seconds"]?.intValue, (1...3600).contains(seconds) else {
                return .failure(SignalingFault("BAD_MESSAGE", "seconds: must be an integer from 1 to 3600", id: id))
            }
            return .success(.wrapUpExtend(id: id, seconds: Int(seconds)))
        case "wrapup.clear":
            return .success(.wrapUpClear(id: id))
        case "supervisor.snapshot":
            return .success(.supervisorSnapshot(id: id))
        case "conversation.outbound":
            guard let to = members["to"]?.stringValue, (1...64).contains(to.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "to: must be a string of 1 to 64 characters", id: id))
            }
            return .success(.conversationOutbound(id: id, to: to))
        case "call.start":
            guard let sdp = members["sdp"]?.stringValue, !sdp.isEmpty, sdp.utf8.count <= 65536 else {
                return .failure(
                    SignalingFault("BAD_MESSAGE", "sdp: must be a non-empty string of at most 64 KiB", id: id))
            }
            let customData = members["customData"] ?? .object([:])
            guard case .object = customData else {
                return .failure(SignalingFault("BAD_MESSAGE", "customData: must be an object", id: id))
            }
            return .success(.callStart(id: id, sdp: sdp, customData: customData))
        case "transfer.targets":
            return .success(.transferTargets(id: id))
        case "call.consult":
            guard let callId = members["callId"]?.stringValue, (1...64).contains(callId.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "callId: must be a string", id: id))
            }
            guard let action = members["action"]?.stringValue.flatMap(ConsultAction.init(rawValue:)) else {
                return .failure(SignalingFault("BAD_MESSAGE", "action: must be COMPLETE, CANCEL or MERGE", id: id))
            }
            return .success(.callConsult(id: id, callId: callId, action: action))
        case "recordings.list":
            var filters: [String: String] = [:]
            if let given = members["filters"] {
                guard case .object(let fields) = given, fields.count <= 32 else {
                    return .failure(SignalingFault("BAD_MESSAGE", "filters: must be an object", id: id))
                }
                for (name, value) in fields {
                    let text = value.stringValue ?? value.intValue.map(String.init)
                    guard let text, text.count <= 255 else {
                        return .failure(
                            SignalingFault("BAD_MESSAGE", "filters.\(name): must be a string or a number", id: id))
                    }
                    filters[name] = text
                }
            }
            return .success(.recordingsList(id: id, filters: filters))
        case "call.record":
            guard let callId = members["callId"]?.stringValue, (1...64).contains(callId.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "callId: must be a string", id: id))
            }
            guard let action = members["action"]?.stringValue, action == "PAUSE" || action == "RESUME" else {
                return .failure(SignalingFault("BAD_MESSAGE", "action: must be PAUSE or RESUME", id: id))
            }
            return .success(.callRecord(id: id, callId: callId, paused: action == "PAUSE"))
        case "call.monitor":
            guard let callId = members["callId"]?.stringValue, (1...64).contains(callId.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "callId: must be a string", id: id))
            }
            guard let mode = members["mode"]?.stringValue.flatMap(MonitorMode.init(rawValue:)) else {
                return .failure(SignalingFault("BAD_MESSAGE", "mode: must be LISTEN, WHISPER or BARGE", id: id))
            }
            return .success(.callMonitor(id: id, callId: callId, mode: mode))
        case "call.transfer":
            guard let callId = members["callId"]?.stringValue, (1...64).contains(callId.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "callId: must be a string", id: id))
            }
            var attended = false
            if let value = members["attended"] {
                guard let flag = value.boolValue else {
                    return .failure(SignalingFault("BAD_MESSAGE", "attended: must be a boolean", id: id))
                }
                attended = flag
            }
            switch (
                members["agentId"]?.stringValue, members["queueId"]?.stringValue,
                members["externalNumber"]?.stringValue
            ) {
            case (let agent?, nil, nil) where (1...255).contains(agent.count):
                return .success(.callTransfer(id: id, callId: callId, target: .agent(agent), attended: attended))
            case (nil, let queue?, nil) where (1...255).contains(queue.count):
                return .success(.callTransfer(id: id, callId: callId, target: .queue(queue), attended: attended))
            case (nil, nil, let number?):
                guard ContactCenter.isE164(number) else {
                    return .failure(
                        SignalingFault(
                            "BAD_MESSAGE", "externalNumber: must be an E.164 number, got '\(number)'", id: id))
                }
                return .success(.callTransfer(id: id, callId: callId, target: .number(number), attended: attended))
            default:
                return .failure(SignalingFault("BAD_MESSAGE", "give one of agentId, queueId or externalNumber", id: id))
            }
        case "call.accept", "call.decline", "call.hangup", "call.candidate", "call.mute", "call.hold", "call.dtmf":
            guard let callId = members["callId"]?.stringValue, (1...64).contains(callId.count) else {
                return .failure(SignalingFault("BAD_MESSAGE", "callId: must be a string", id: id))
            }
            switch type {
            case "call.accept":
                guard let sdp = members["sdp"]?.stringValue, !sdp.isEmpty, sdp.utf8.count <= 65536 else {
                    return .failure(
                        SignalingFault("BAD_MESSAGE", "sdp: must be a non-empty string of at most 64 KiB", id: id))
                }
                return .success(.callAccept(id: id, callId: callId, sdp: sdp))
            case "call.decline": return .success(.callDecline(id: id, callId: callId))
            case "call.hangup": return .success(.callHangup(id: id, callId: callId))
            case "call.candidate": return .success(.callCandidate(id: id, callId: callId))
            case "call.dtmf":
                guard let digits = members["digits"]?.stringValue, (1...32).contains(digits.count),
                    digits.allSatisfy({ "0123456789*#ABCDabcd".contains($0) })
                else {
                    return .failure(
                        SignalingFault("BAD_MESSAGE", "digits: 1 to 32 of 0-9, *, #, A-D", id: id))
                }
                return .success(.callDTMF(id: id, callId: callId, digits: digits))
            case "call.hold":
                guard let hold = members["hold"]?.boolValue else {
                    return .failure(SignalingFault("BAD_MESSAGE", "hold: must be a boolean", id: id))
                }
                return .success(.callHold(id: id, callId: callId, hold: hold))
            default:
                guard let muted = members["muted"]?.boolValue else {
                    return .failure(SignalingFault("BAD_MESSAGE", "muted: must be a boolean", id: id))
                }
                return .success(.callMute(id: id, callId: callId, muted: muted))
            }
        default:
            return .failure(
                SignalingFault(
                    "UNKNOWN_TYPE", "type '\(type)' is unknown; known: \(types.joined(separator: ", "))", id: id))
        }
    }
}
