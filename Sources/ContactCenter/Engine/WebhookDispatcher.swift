import Foundation
import Logging

/// Posts a message to the operator's webhook. Returns the HTTP status.
public protocol WebhookTransport: Sendable {
    func post(json: Data) async throws -> Int
}

/// Hands messages of channels the gateway does not deliver itself to the operator's webhook:
/// POST JSON, retried with exponential back-off; the state is kept on the message, so a
/// restart resumes deliveries still pending.
public actor WebhookDispatcher {
    private let store: any ContactCenterStore
    private let transport: any WebhookTransport
    private let clock: any WallClock
    private let maxAttempts: Int
    private let logger: Logger
    private var due: [String: Date] = [:]
    private var running = false

    public init(
        store: any ContactCenterStore, transport: any WebhookTransport, clock: any WallClock, maxAttempts: Int,
        logger: Logger = Logger(label: "webhook")
    ) {
        self.store = store
        self.transport = transport
        self.clock = clock
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    /// Back-off before attempt `n + 1` after `n` failed attempts: 1 s, 2 s, 4 s … capped at 5 minutes.
    public static func backoff(afterAttempts n: Int) -> TimeInterval {
        min(300, pow(2, Double(max(0, n - 1))))
    }

    public func enqueue(_ messageId: String, due date: Date) { due[messageId] = date }

    public var pendingCount: Int { due.count }

    /// Picks up deliveries left pending by an earlier run.
    public func resume() async throws {
        let (pending, _) = try await store.list(
            Message.self, DocumentQuery(collection: .message, filters: [.equals("direction", "OUTBOUND")]))
        for message in pending where message.channel != .LIVE_CHAT && message.delivery.state == .PENDING {
            due[message.id] = message.delivery.nextAttemptAt ?? clock.now()
        }
    }

    /// Attempts every delivery that is due.
    public func tick() async {
        guard !running else { return }
        running = true
        defer { running = false }
        let now = clock.now()
        for (id, date) in due.sorted(by: { $0.value < $1.value }) where date <= now {
            due[id] = nil
            do {
                try await attempt(id)
            } catch {
                logger.error("webhook bookkeeping failed", metadata: ["messageId": "\(id)", "error": "\(error)"])
            }
        }
    }

    private func attempt(_ id: String) async throws {
        guard var message = try await store.load(Message.self, id: id), message.delivery.state == .PENDING else {
            return
        }
        let body = try InfobipDate.encoder().encode(WebhookPayload(message: message))
        var failure: String?
        do {
            let status = try await transport.post(json: body)
            if !(200..<300).contains(status) { failure = "webhook answered HTTP \(status)" }
        } catch {
            failure = "webhook unreachable: \(error)"
        }
        let now = clock.now()
        message.delivery.attempts += 1
        message.delivery.lastAttemptAt = now
        message.delivery.lastError = failure
        message.updatedAt = now
        if failure == nil {
            message.delivery.state = .DELIVERED
            message.delivery.nextAttemptAt = nil
        } else if message.delivery.attempts >= maxAttempts {
            message.delivery.state = .FAILED
            message.delivery.nextAttemptAt = nil
            logger.warning("webhook delivery failed", metadata: ["messageId": "\(id)", "error": "\(failure!)"])
        } else {
            let next = now.addingTimeInterval(Self.backoff(afterAttempts: message.delivery.attempts))
            message.delivery.nextAttemptAt = next
            due[id] = next
        }
        try await store.save(message)
    }
}

/// The JSON body posted to the webhook.
struct WebhookPayload: Encodable {
    let event = "MESSAGE_CREATED"
    let message: Message
}
