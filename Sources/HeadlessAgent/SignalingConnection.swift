import Foundation
import HummingbirdWSClient
import JSON
import Logging
import SignalingFrames

/// A frame from the gateway; every field but `type` is optional (see docs/signaling.md). Call
/// frames are read as the gateway typed them (`call`).
public struct ServerFrame: Decodable, Sendable {
    public typealias ErrorCode = CallFrame.ErrorCode

    /// An agent's state (`agent.state`).
    public struct AgentState: Decodable, Sendable {
        public var agentId: String
        public var availability: String?
        public var wrapUpSecondsLeft: Int?
    }

    public var type: String
    public var id: String?
    public var callId: String?
    public var conversationId: String?
    public var sdp: String?
    public var code: String?
    public var message: String?
    public var kind: String?
    public var identity: String?
    public var heartbeatIntervalSeconds: Double?
    public var errorCode: ErrorCode?
    public var seconds: Int?
    public var state: AgentState?
    /// The call frame this is, when it is one (`call.incoming`, `call.hangup`, …).
    public var call: CallFrame?

    enum CodingKeys: String, CodingKey {
        case type, id, callId, conversationId, sdp, code, message, kind, identity, heartbeatIntervalSeconds, errorCode
        case seconds, state
    }

    public static func decode(_ text: String) -> ServerFrame? {
        let data = Data(text.utf8)
        guard var frame = try? JSONDecoder().decode(ServerFrame.self, from: data) else { return nil }
        frame.call = JSONValue.parse(data).flatMap(CallFrame.init(json:))
        return frame
    }
}

/// One signaling WebSocket to the gateway: frames in as a stream, frames out as JSON objects.
public final class SignalingConnection: Sendable {
    public let frames: AsyncStream<ServerFrame>
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<String?, Never>

    /// Opens `ws://…/webrtc/1/signaling?token=…`. The connection runs until `close()` or until
    /// the gateway closes it; `frames` then ends and `closeReason()` says why.
    public init(url: String, logger: Logger) {
        let (frames, incoming) = AsyncStream.makeStream(of: ServerFrame.self)
        let (outbox, outgoing) = AsyncStream.makeStream(of: String.self)
        self.frames = frames
        self.outgoing = outgoing
        task = Task {
            defer { incoming.finish() }
            do {
                let close = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outbox { try await outbound.write(.text(text)) }
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message, let frame = ServerFrame.decode(text) {
                                    incoming.yield(frame)
                                }
                            }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                return close?.reason.flatMap { $0.isEmpty ? nil : $0 } ?? close.map { "closed (\($0.closeCode))" }
            } catch {
                return "cannot connect to \(url.split(separator: "?").first ?? ""): \(error)"
            }
        }
    }

    /// Sends one frame (a JSON object).
    public func send(_ frame: [String: any Sendable]) {
        guard let data = try? JSONSerialization.data(withJSONObject: frame) else { return }
        outgoing.yield(String(decoding: data, as: UTF8.self))
    }

    public func close() { outgoing.finish() }

    /// Why the connection ended (the gateway's close reason, or the connection error); waits
    /// for the end.
    public func closeReason() async -> String? { await task.value }
}
