import Foundation
import HummingbirdWSClient
import JSON
import Logging
import SignalingFrames
import Synchronization

/// One signaling WebSocket to the gateway: frames in as a stream, frames out as JSON objects.
public final class SignalingConnection: Sendable {
    public let frames: AsyncStream<ServerFrame>
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<String?, Never>

    /// How long a new connection may stay silent before it is given up: the gateway's first
    /// frame (the welcome, or its close) comes at once, so silence means the connection is dead.
    static let firstFrameTimeout = Duration.seconds(15)

    /// Opens `ws://…/webrtc/1/signaling?token=…` (or `wss://`, trusting
    /// `trustedCertificatesFile` when given). The connection runs until `close()` or until the
    /// gateway closes it; `frames` then ends and `closeReason()` says why.
    public init(url: String, trustedCertificatesFile: String? = nil, logger: Logger) {
        let (frames, incoming) = AsyncStream.makeStream(of: ServerFrame.self)
        let (outbox, outgoing) = AsyncStream.makeStream(of: String.self)
        self.frames = frames
        self.outgoing = outgoing
        task = Task {
            defer { incoming.finish() }
            do {
                let heard = HeardFlag()
                let close = try await WebSocketClient.connect(
                    url: url, tlsConfiguration: GatewayTrust.tlsConfiguration(trustedCertificatesFile), logger: logger
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outbox { try await outbound.write(.text(text)) }
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                heard.value.store(true, ordering: .relaxed)
                                if case .text(let text) = message, let frame = ServerFrame(text: text) {
                                    incoming.yield(frame)
                                }
                            }
                        }
                        group.addTask {
                            try await Task.sleep(for: Self.firstFrameTimeout)
                            guard heard.value.load(ordering: .relaxed) else { throw SignalingSilence() }
                            try await Task.sleep(for: .seconds(365 * 86_400))
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                return close?.reason.flatMap { $0.isEmpty ? nil : $0 } ?? close.map { "closed (\($0.closeCode))" }
            } catch is SignalingSilence {
                return
                    "the gateway sent nothing for \(Self.firstFrameTimeout.components.seconds) s after the connection opened"
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

/// The connection stayed silent past `SignalingConnection.firstFrameTimeout`.
struct SignalingSilence: Error {}

/// Whether a connection has received anything yet (set by its reader, read by its watchdog).
final class HeardFlag: Sendable {
    let value = Atomic(false)
}
