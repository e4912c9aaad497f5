import Foundation
import HummingbirdWSClient
import JSON
import Logging
import SignalingFrames

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
                                if case .text(let text) = message, let frame = ServerFrame(text: text) {
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
