import Foundation

extension ContactCenter {
    /// Infobip's `CreateNoteApiRequest`, as documented: `content` is the text.
    public static let createNoteSchema = Schema.object(
        [
            ("type", .enumeration(NoteType.self)),
            (
                "content",
                .described(
                    .string(.init(minLength: 1, maxLength: maximumNoteLength)),
                    "The note's text (an object with `text` is accepted too).")
            ),
            ("agentId", .string(.init(maxLength: 255))),
        ], required: ["content"])

    /// What is checked by schema; `content` (a string or `{text}`) is checked by hand.
    static let noteFieldsSchema = Schema.object(
        [("type", .enumeration(NoteType.self)), ("agentId", .string(.init(maxLength: 255)))])

    /// Longest text a note may carry (Infobip's limit).
    public static let maximumNoteLength = 4000

    /// Adds a note to a conversation. The author is the acting agent (`x-agent-id` or the agent's
    /// token), who must be the conversation's assignee or a supervisor; the integration may name
    /// one in `agentId`.
    public func createNote(_ conversationId: String, _ body: JSONValue, by actor: ActingParty) async throws -> Note {
        if case .object(var fields) = body {
            fields["content"] = nil
            try check(.object(fields), against: Self.noteFieldsSchema)
        }
        guard body["content"] != nil, body["content"]?.isNull == false else {
            throw ContactCenterError.invalid([Violation(field: "content", message: "must not be null")])
        }
        if body["type"]?.stringValue == NoteType.ATTACHMENT.rawValue {
            throw ContactCenterError.invalid([
                Violation(field: "type", message: "ATTACHMENT notes are not kept by this gateway; use INTERNAL")
            ])
        }
        let text = body["content"]?.stringValue ?? body["content"]?["text"]?.stringValue
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ContactCenterError.invalid([
                Violation(field: "content", message: "must be the note's text, or an object with its text")
            ])
        }
        guard text.count <= Self.maximumNoteLength else {
            throw ContactCenterError.invalid([
                Violation(field: "content", message: "size cannot be longer than \(Self.maximumNoteLength) characters.")
            ])
        }
        let conversation = try await requireConversation(conversationId)
        let author = try authorizeNotes(of: conversation, by: actor)
        var agentId = author?.id
        if let named = body["agentId"]?.stringValue {
            if let author, named != author.id, author.role != .SUPERVISOR {
                throw ContactCenterError.forbidden("Agent \(author.id) may not write notes as agent \(named).")
            }
            agentId = try await requireAgent(named).id
        }
        let note = Note(conversationId: conversationId, agentId: agentId, content: text, createdAt: now())
        try await store.save(note)
        return note
    }

    /// A page of a conversation's notes (the same access rule as writing them).
    public func notes(_ conversationId: String, _ page: PageRequest, by actor: ActingParty) async throws -> Page<Note> {
        let conversation = try await requireConversation(conversationId)
        _ = try authorizeNotes(of: conversation, by: actor)
        let (items, total) = try await store.list(
            Note.self, pageQuery(.note, [.equals("conversationId", conversationId)], page))
        return Page(items: items, total: total, request: page)
    }

    /// One note of a conversation.
    public func note(_ conversationId: String, _ noteId: String, by actor: ActingParty) async throws -> Note {
        let conversation = try await requireConversation(conversationId)
        _ = try authorizeNotes(of: conversation, by: actor)
        guard let note = try await store.load(Note.self, id: noteId), note.conversationId == conversationId else {
            throw ContactCenterError.notFound(resource: "note", id: noteId)
        }
        return note
    }

    /// The acting agent, who must be the assignee or a supervisor; nil for the integration.
    private func authorizeNotes(of conversation: Conversation, by actor: ActingParty) throws -> Agent? {
        guard case .agent(let agent) = actor else { return nil }
        if agent.role == .SUPERVISOR || agent.id == conversation.agentId { return agent }
        throw ContactCenterError.forbidden(
            "Agent \(agent.id) is not the assignee of conversation \(conversation.id) and is not a supervisor.")
    }
}
