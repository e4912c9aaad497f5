import JSON

/// The frames the gateway sends a party about one of its calls (docs/signaling.md), defined
/// once: the gateway encodes them, clients such as the headless agent read them.
public enum CallFrame: Sendable, Equatable {
    /// The answer to the caller's `call.start` (`requestId` echoes its `id`).
    case created(callId: String, conversationId: String, sdp: String, requestId: String?)
    /// An offer to the callee: the gateway's SDP, who calls, the call's custom data, and for an
    /// agent offered a customer's call (inbound, or transferred to them), `offer`: caller, queue,
    /// wait and who transferred it.
    case incoming(
        callId: String, conversationId: String, sdp: String, counterpart: String, customData: JSONValue, video: Bool,
        offer: JSONValue = .null)
    /// The callee is being offered the call.
    case ringing(callId: String)
    /// The caller waits in its queue and hears the waiting strategy from the gateway.
    case queued(callId: String)
    /// The phone network plays audio before answering; it is already bridged.
    case earlyMedia(callId: String)
    /// Both legs' media are up and the call is answered.
    case established(callId: String)
    /// The call ended for this party, with why.
    case hangup(callId: String, errorCode: ErrorCode)
    /// The other party sent a DTMF digit.
    case dtmf(callId: String, digit: String)
    /// The other party held the call, or resumed it.
    case held(callId: String, held: Bool)
    /// The other party muted (`call.remoteMuted`) or unmuted (`call.remoteUnmuted`) itself.
    case remoteMuted(callId: String, muted: Bool)
    /// A transfer this party made started, completed, or failed (`errorCode` says why).
    case transfer(callId: String, state: TransferState, errorCode: ErrorCode?)

    /// Where a transfer stands. An attended transfer goes CONSULTING (the target rings, the
    /// customer is on hold), CONSULTED (talking to the target), perhaps MERGED (three-way), and
    /// ends TRANSFERRED, CONSULT_CANCELLED (back with the customer) or TRANSFER_FAILED.
    public enum TransferState: String, Sendable, Equatable, CaseIterable {
        case TRANSFERRING, TRANSFERRED, TRANSFER_FAILED, CONSULTING, CONSULTED, MERGED, CONSULT_CANCELLED
    }

    /// Why a call ended: Infobip's `{id, name, description}`.
    public struct ErrorCode: Codable, Sendable, Equatable {
        public var id: Int
        public var name: String
        public var description: String

        public init(id: Int, name: String, description: String) {
            self.id = id
            self.name = name
            self.description = description
        }

        /// `{id, name, description}` as a frame carries it.
        public var json: JSONValue {
            .object(["id": .int(Int64(id)), "name": .string(name), "description": .string(description)])
        }

        /// Reads `{id, name, description}`; nil when `id` or `name` is missing.
        public init?(json: JSONValue) {
            guard let id = json["id"]?.intValue, let name = json["name"]?.stringValue else { return nil }
            self.init(id: Int(id), name: name, description: json["description"]?.stringValue ?? "")
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(Int.self, forKey: .id)
            name = try container.decode(String.self, forKey: .name)
            description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        }
    }

    /// The frame's `type`.
    public var type: String {
        switch self {
        case .created: "call.created"
        case .incoming: "call.incoming"
        case .ringing: "call.ringing"
        case .queued: "call.queued"
        case .earlyMedia: "call.early-media"
        case .established: "call.established"
        case .hangup: "call.hangup"
        case .dtmf: "call.dtmf"
        case .held: "call.held"
        case .remoteMuted(_, let muted): muted ? "call.remoteMuted" : "call.remoteUnmuted"
        case .transfer: "call.transfer"
        }
    }

    public var callId: String {
        switch self {
        case .created(let id, _, _, _), .incoming(let id, _, _, _, _, _, _), .ringing(let id), .queued(let id),
            .earlyMedia(let id),
            .established(let id), .hangup(let id, _), .dtmf(let id, _), .held(let id, _), .remoteMuted(let id, _),
            .transfer(let id, _, _):
            id
        }
    }

    /// The frame as a JSON object, `type` included.
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["type": .string(type), "callId": .string(callId)]
        switch self {
        case .created(_, let conversationId, let sdp, let requestId):
            fields["conversationId"] = .string(conversationId)
            fields["sdp"] = .string(sdp)
            if let requestId { fields["id"] = .string(requestId) }
        case .incoming(_, let conversationId, let sdp, let counterpart, let customData, let video, let offer):
            fields["conversationId"] = .string(conversationId)
            fields["sdp"] = .string(sdp)
            fields["counterpart"] = .object(["identity": .string(counterpart)])
            fields["customData"] = customData
            fields["video"] = .bool(video)
            if !offer.isNull { fields["offer"] = offer }
        case .hangup(_, let code):
            fields["errorCode"] = code.json
        case .transfer(_, let state, let code):
            fields["state"] = .string(state.rawValue)
            if let code { fields["errorCode"] = code.json }
        case .dtmf(_, let digit):
            fields["digit"] = .string(digit)
        case .held(_, let held):
            fields["held"] = .bool(held)
        case .ringing, .queued, .earlyMedia, .established, .remoteMuted:
            break
        }
        return .object(fields)
    }

    /// Reads a call frame from a frame's JSON object; nil for any other frame, or one whose
    /// fields are missing or of the wrong kind.
    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue, let callId = json["callId"]?.stringValue else { return nil }
        switch type {
        case "call.created":
            guard let conversationId = json["conversationId"]?.stringValue, let sdp = json["sdp"]?.stringValue
            else { return nil }
            self = .created(
                callId: callId, conversationId: conversationId, sdp: sdp, requestId: json["id"]?.stringValue)
        case "call.remoteMuted", "call.remoteUnmuted":
            self = .remoteMuted(callId: callId, muted: type == "call.remoteMuted")
        case "call.incoming":
            guard let conversationId = json["conversationId"]?.stringValue, let sdp = json["sdp"]?.stringValue,
                let counterpart = json["counterpart"]?["identity"]?.stringValue
            else { return nil }
            self = .incoming(
                callId: callId, conversationId: conversationId, sdp: sdp, counterpart: counterpart,
                customData: json["customData"] ?? .object([:]), video: json["video"]?.boolValue ?? false,
                offer: json["offer"] ?? .null)
        case "call.ringing": self = .ringing(callId: callId)
        case "call.queued": self = .queued(callId: callId)
        case "call.early-media": self = .earlyMedia(callId: callId)
        case "call.established": self = .established(callId: callId)
        case "call.hangup":
            guard let code = json["errorCode"].flatMap(ErrorCode.init(json:)) else { return nil }
            self = .hangup(callId: callId, errorCode: code)
        case "call.dtmf":
            guard let digit = json["digit"]?.stringValue else { return nil }
            self = .dtmf(callId: callId, digit: digit)
        case "call.held":
            guard let held = json["held"]?.boolValue else { return nil }
            self = .held(callId: callId, held: held)
        case "call.transfer":
            guard let state = json["state"]?.stringValue.flatMap(TransferState.init(rawValue:)) else { return nil }
            var code: ErrorCode?
            if let value = json["errorCode"] {
                guard let parsed = ErrorCode(json: value) else { return nil }
                code = parsed
            }
            self = .transfer(callId: callId, state: state, errorCode: code)
        default:
            return nil
        }
    }
}
