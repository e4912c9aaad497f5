import Foundation

/// Channels a message can be created on (Infobip's `CreateMessageApiRequest.channel`).
public enum MessageChannel: String, Codable, Sendable, CaseIterable {
    case SMS, VIBER, FACEBOOK_MESSENGER, WHATSAPP, RCS, LIVE_CHAT, LINE, APPLE_BUSINESS_CHAT, EMAIL, TELEGRAM
    case INSTAGRAM_MESSAGING, KAKAO_SANGDAM, VIBER_BOT
}

public enum MessageDirection: String, Codable, Sendable, CaseIterable {
    case INBOUND, OUTBOUND
}

public enum MessageAuthorType: String, Codable, Sendable, CaseIterable {
    case CUSTOMER, AGENT, SYSTEM, BOT
}

/// Delivery of an outbound message (an extension to Infobip's message model).
public enum DeliveryState: String, Codable, Sendable, CaseIterable {
    /// Waiting for the customer's socket or the next webhook attempt.
    case PENDING
    case DELIVERED
    /// Webhook attempts ran out.
    case FAILED
    /// Inbound messages, and outbound ones with nowhere to go.
    case NOT_APPLICABLE
}

public struct MessageDelivery: Codable, Sendable, Equatable {
    public var state: DeliveryState
    public var attempts: Int
    public var lastError: String?
    public var lastAttemptAt: Date?
    public var nextAttemptAt: Date?
    public init(
        state: DeliveryState, attempts: Int = 0, lastError: String? = nil, lastAttemptAt: Date? = nil,
        nextAttemptAt: Date? = nil
    ) {
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.nextAttemptAt = nextAttemptAt
    }
}

/// A message in a conversation.
public struct Message: Persistable, Equatable {
    public static let collection = DocumentCollection.message
    public var id: String
    public var channel: MessageChannel
    public var from: String
    public var to: String
    public var direction: MessageDirection
    public var conversationId: String
    public var authorId: String?
    public var authorType: MessageAuthorType?
    public var createdAt: Date
    public var updatedAt: Date
    public var content: JSONValue
    public var contentType: String
    public var delivery: MessageDelivery

    public init(
        id: String = Identifiers.uuid(), channel: MessageChannel, from: String, to: String, direction: MessageDirection,
        conversationId: String, authorId: String?, authorType: MessageAuthorType?, createdAt: Date,
        content: JSONValue, contentType: String, delivery: MessageDelivery
    ) {
        self.id = id
        self.channel = channel
        self.from = from
        self.to = to
        self.direction = direction
        self.conversationId = conversationId
        self.authorId = authorId
        self.authorType = authorType
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.content = content
        self.contentType = contentType
        self.delivery = delivery
    }
}
