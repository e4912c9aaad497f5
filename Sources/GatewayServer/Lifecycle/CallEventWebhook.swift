import ContactCenter
import Foundation
import Logging
import ServiceLifecycle

/// Posts call events to the operator's webhook in the shape of Infobip's calls event webhook:
/// `{type, callId, conferenceId, dialogId, callsConfigurationId, platform, bulkId, timestamp,
/// properties}`. For now the recording events: `properties.recordings` lists the files as
/// `/ccaas/voice/2/recording/metadata` does. Each event is tried three times (1 s, then 2 s
/// apart) and then dropped: the metadata route stays the record of what happened.
struct CallEventWebhook: Service {
    let transport: any WebhookTransport
    let events: EventBus
    let logger: Logger
    var retryDelays: [Duration] = [.seconds(1), .seconds(2)]

    func run() async throws {
        for await event in events.subscribe().cancelOnGracefulShutdown() {
            guard case .recording(let recording) = event else { continue }
            await deliver(Self.body(recording))
        }
    }

    /// The webhook's body for a recording event.
    static func body(_ event: RecordingEvent) -> JSONValue {
        .object([
            "type": .string(event.type.rawValue), "callId": .string(event.callId),
            "conferenceId": event.files.first?.conferenceId.map(JSONValue.string) ?? .null, "dialogId": .null,
            "callsConfigurationId": .null, "platform": .null, "bulkId": .null,
            "timestamp": .string(InfobipDate.format(event.at)),
            "properties": .object([
                "agentId": event.agentId.map(JSONValue.string) ?? .null,
                "conversationId": event.files.first.map { .string($0.conversationId) } ?? .null,
                "recordings": .array(event.files.map(\.json)),
            ]),
        ])
    }

    private func deliver(_ body: JSONValue) async {
        guard let data = try? JSONEncoder().encode(body) else { return }
        for attempt in 0...retryDelays.count {
            if attempt > 0 { try? await Task.sleep(for: retryDelays[attempt - 1]) }
            do {
                let status = try await transport.post(json: data)
                if (200..<300).contains(status) { return }
                logger.warning("call event webhook refused", metadata: ["status": "\(status)"])
            } catch {
                logger.warning("call event webhook unreachable", metadata: ["error": "\(error)"])
            }
        }
        logger.error("call event dropped after three attempts", metadata: ["type": "\(body["type"] ?? .null)"])
    }
}
