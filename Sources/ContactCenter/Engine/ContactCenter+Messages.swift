import Foundation

/// Filters of `GET /ccaas/1/conversations/{id}/messages`.
public struct MessageFilter: Sendable, Equatable {
    public var messageIds: [String] = []
    public var channel: MessageChannel?
    public var direction: MessageDirection?
    public var createdAfter: Date?
    public var createdBefore: Date?
    public init() {}
}

extension ContactCenter {
    /// Infobip's `CreateMessageApiRequest`.
    public static let createMessageSchema = Schema.object(
        [
            ("from", .string(.init(minLength: 1, maxLength: 255))),
            ("to", .string(.init(minLength: 1, maxLength: 255))),
            ("channel", .enumeration(MessageChannel.self)),
            ("contentType", .string(.init(minLength: 1, maxLength: 64))),
            ("content", .freeform),
        ],
        required: ["from", "to", "channel", "contentType", "content"],
        missingMessages: [
            "from": "must not be blank", "to": "must not be blank", "channel": "must not be null",
            "contentType": "must not be null", "content": "must not be blank",
        ])

    /// Largest text a message may carry.
    public static let maximumTextLength = 4096

    /// Infobip's `ContentType` enum (Conversations OpenAPI 3.210.0), each value once.
    public static let contentTypes: Set<String> = [
        "TEXT", "IMAGE", "LOCATION", "TEMPLATE", "AUDIO", "UNKNOWN", "VOICE", "VIDEO", "DOCUMENT", "CONTACT",
        "VOICE_CALL", "VIDEO_CALL", "BUTTON", "TYPING_INDICATOR", "LIST_PICKER", "FILE", "LIST_PICKER_RESPONSE",
        "POSTBACK", "WA_BUTTON_FEEDBACK", "SURVEY_REQUEST", "SURVEY_RESPONSE", "MEDIA_TEMPLATE", "FACEBOOK_TEMPLATE",
        "PRE_CHAT_FORM", "LC_QUICK_REPLY", "TEXT_WITH_BUTTON", "TEXT_WITH_IMAGE_AND_BUTTON", "SUGGESTION_RESPONSE",
        "ABC_MULTI_TYPE", "FOLLOW", "UNFOLLOW", "CALL", "EMAIL", "CARD", "CAROUSEL", "TEXT_WITH_SUGGESTION",
        "RICH_LINK", "TIME_PICKER", "TIME_PICKER_RESPONSE", "BUTTON_RESPONSE", "VIBER_BOT_STICKER",
        "WHATSAPP_STICKER", "VIBER_BOT_CAROUSEL", "VIBER_BOT_EVENT", "VIBER_BOT_VIDEO", "VIBER_BOT_FILE", "URL",
        "LC_CAROUSEL", "INSTAGRAM_STICKER", "CALL_START", "CALL_HANGUP", "CALL_TRANSCRIPT", "CALL_FILE",
        "APPLE_CUSTOM_INTERACTIVE_CONTENT", "APPLE_AUTH_REQUEST_CONTENT", "APPLE_PAY_REQUEST_CONTENT",
        "APPLE_PAY_RESPONSE", "AUTHENTICATION_RESPONSE", "CLOSE_CONVERSATION", "BUTTON_LIST",
        "KAKAO_SANGDAM_SESSION_EXPIRED", "INSTAGRAM_TEMPLATE", "SHARE", "STORY_MENTION",
        "CUSTOM_INTERACTIVE_RESPONSE", "INTERACTIVE", "INTERACTIVE_LIST_REPLY", "INTERACTIVE_BUTTON_REPLY",
        "LC_FORM_RESPONSE", "PRODUCT", "APPLE_QUICK_REPLY_CONTENT", "QUICK_REPLY", "WHATSAPP_PRODUCT",
        "WHATSAPP_MULTI_PRODUCT", "WHATSAPP_TEXT_WITH_ADDITIONAL_DATA", "ORDER", "TELEGRAM_CONTACT", "FORM_RESPONSE",
        "LINE_TEMPLATE", "APPLE_FORM_CONTENT", "LINE_POSTBACK_EVENT", "LIVE_CHAT_KNOWLEDGE_BASE_ARTICLE",
        "LIVE_CHAT_KNOWLEDGE_BASE_SEARCH", "LINE_STICKER", "INTERACTIVE_FLOW_REPLY", "RCS_TEXT", "RCS_FILE",
        "RCS_CARD", "RCS_CAROUSEL", "BUNDLE", "PRIVATE_REPLY_TO_SOCIAL_COMMENT", "LIVE_CHAT_BUTTON",
        "TEXT_WITH_RATING", "EMPTY", "JSON", "ROADSIDE_ASSISTANCE", "CUSTOM_DATA", "WHATSAPP_CALL_PERMISSION_REPLY",
        "TIKTOK_SHARE_POST", "TIKTOK_REFERRAL_SHORT_LINK", "TIKTOK_REFERRAL_AD", "ZALO_GIF", "VIBER_STICKER",
        "ABC_CUSTOM_INTERACTIVE_CONTENT",
    ]

    /// A `contentType` outside Infobip's enum, named.
    static func checkContentType(_ value: String?) -> [Violation] {
        guard let value, !contentTypes.contains(value) else { return [] }
        return [
            Violation(
                field: "contentType",
                message:
                    "'\(value)' is not one of Infobip's content types (TEXT, IMAGE, AUDIO, VIDEO, DOCUMENT, FILE, …)")
        ]
    }

    /// Creates an outbound message in a conversation, applying the `x-agent-id` rules:
    ///
    /// | conversation            | no x-agent-id | x-agent-id = assignee (AGENT) | x-agent-id = a SUPERVISOR |
    /// |-------------------------|---------------|-------------------------------|---------------------------|
    /// | unassigned              | OK            | error                         | error                     |
    /// | assigned to an AGENT    | error         | OK                            | OK                        |
    /// | assigned to a SUPERVISOR| error         | error                         | OK                        |
    ///
    /// An AGENT who is not the assignee is refused (403).
    public func createMessage(_ conversationId: String, _ body: JSONValue, by actor: ActingParty) async throws
        -> Message
    {
        let invalid = Self.createMessageSchema.validate(body) + Self.checkContentType(body["contentType"]?.stringValue)
        if !invalid.isEmpty { throw ContactCenterError.invalid(invalid) }
        if let text = body["content"]?["text"] {
            guard let s = text.stringValue else {
                throw ContactCenterError.invalid([
                    Violation(field: "content.text", message: "must be a string, got \(text.typeName)")
                ])
            }
            if s.count > Self.maximumTextLength {
                throw ContactCenterError.invalid([
                    Violation(
                        field: "content", message: "size cannot be longer than \(Self.maximumTextLength) characters.")
                ])
            }
        }
        let conversation = try await requireOpenConversation(conversationId)
        let author = try await authorizeMessage(in: conversation, by: actor)
        let channel = MessageChannel(rawValue: body["channel"]!.stringValue!)!
        var message = Message(
            channel: channel, from: body["from"]!.stringValue!, to: body["to"]!.stringValue!, direction: .OUTBOUND,
            conversationId: conversation.id, authorId: author?.id, authorType: author == nil ? nil : .AGENT,
            createdAt: now(), content: body["content"]!, contentType: body["contentType"]!.stringValue!,
            delivery: MessageDelivery(state: .PENDING))
        if channel != .LIVE_CHAT, webhook == nil {
            message.delivery = MessageDelivery(
                state: .FAILED,
                lastError: "no outbound webhook is configured (messageWebhookURL) for channel \(channel.rawValue)")
        }
        try await store.save(message)
        events.publish(.messageCreated(message, assigneeId: conversation.agentId))
        if channel == .LIVE_CHAT {
            message = try await deliverLiveChat(message)
        } else if let webhook, message.delivery.state == .PENDING {
            await webhook.enqueue(message.id, due: message.createdAt)
        }
        return message
    }

    /// A chat message a customer sent over their WebSocket: threaded into the customer's open
    /// LIVE_CHAT conversation, or a new one.
    public func receiveCustomerChat(from identity: String, contentType: String, content: JSONValue) async throws
        -> Message
    {
        let violations = Schema.freeform.validate(content, at: "content") + Self.checkContentType(contentType)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        if let text = content["text"]?.stringValue, text.count > Self.maximumTextLength {
            throw ContactCenterError.invalid([
                Violation(field: "content", message: "size cannot be longer than \(Self.maximumTextLength) characters.")
            ])
        }
        let (open, _) = try await store.list(
            Conversation.self,
            DocumentQuery(
                collection: .conversation,
                filters: [.equals("customerIdentity", identity), .oneOf("status", ["OPEN", "WAITING", "SOLVED"])],
                orderBy: "createdAt", descending: true, limit: 1))
        let now = now()
        var conversation: Conversation
        if let existing = open.first {
            conversation = existing
            conversation.updatedAt = now
        } else {
            conversation = Conversation(
                topic: "Chat with \(identity)", channel: .LIVE_CHAT, customerIdentity: identity, createdAt: now,
                updatedAt: now)
        }
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        let message = Message(
            channel: .LIVE_CHAT, from: identity, to: conversation.agentId ?? "LIVE_CHAT", direction: .INBOUND,
            conversationId: conversation.id, authorId: identity, authorType: .CUSTOMER, createdAt: now,
            content: content,
            contentType: contentType, delivery: MessageDelivery(state: .NOT_APPLICABLE))
        try await store.save(message)
        events.publish(.messageCreated(message, assigneeId: conversation.agentId))
        return message
    }

    /// LIVE_CHAT messages to `identity` not yet delivered, oldest first (sent on reconnect).
    public func pendingLiveChat(for identity: String) async throws -> [Message] {
        try await store.list(
            Message.self,
            DocumentQuery(
                collection: .message,
                filters: [.equals("channel", "LIVE_CHAT"), .equals("to", identity), .equals("direction", "OUTBOUND")],
                orderBy: "createdAt")
        ).items.filter { $0.delivery.state == .PENDING }
    }

    /// Records that a LIVE_CHAT message reached the customer's socket.
    public func markDelivered(_ messageId: String) async throws {
        guard var message = try await store.load(Message.self, id: messageId) else { return }
        message.delivery.state = .DELIVERED
        message.delivery.attempts += 1
        message.delivery.lastAttemptAt = now()
        message.updatedAt = now()
        try await store.save(message)
    }

    public func messages(_ conversationId: String, _ filter: MessageFilter, _ page: PageRequest) async throws -> Page<
        Message
    > {
        _ = try await requireConversation(conversationId)
        var filters: [DocumentFilter] = [.equals("conversationId", conversationId)]
        if !filter.messageIds.isEmpty { filters.append(.idIn(filter.messageIds)) }
        if let v = filter.channel { filters.append(.equals("channel", v.rawValue)) }
        if let v = filter.direction { filters.append(.equals("direction", v.rawValue)) }
        if let v = filter.createdAfter { filters.append(.createdAfter(v)) }
        if let v = filter.createdBefore { filters.append(.createdBefore(v)) }
        let (items, total) = try await store.list(Message.self, pageQuery(.message, filters, page))
        return Page(items: items, total: total, request: page)
    }

    public func message(_ id: String) async throws -> Message? { try await store.load(Message.self, id: id) }

    private func authorizeMessage(in conversation: Conversation, by actor: ActingParty) async throws -> Agent? {
        guard let assigneeId = conversation.agentId else {
            if case .agent = actor {
                throw ContactCenterError.badRequest(
                    "Conversation \(conversation.id) is not assigned to an agent; omit the x-agent-id header.")
            }
            return nil
        }
        guard case .agent(let agent) = actor else {
            throw ContactCenterError.badRequest(
                "Conversation \(conversation.id) is assigned to an agent; the x-agent-id header is required.")
        }
        if agent.role == .SUPERVISOR || agent.id == assigneeId { return agent }
        throw ContactCenterError.forbidden(
            "Agent \(agent.id) is not the assignee of conversation \(conversation.id) and is not a supervisor.")
    }

    private func deliverLiveChat(_ message: Message) async throws -> Message {
        guard let liveChat, await liveChat.deliver(message, to: message.to) else { return message }
        try await markDelivered(message.id)
        return try await store.load(Message.self, id: message.id) ?? message
    }
}
