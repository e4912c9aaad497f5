import ContactCenter
import Foundation
import Hummingbird

/// `/ccaas/1/conversations/{conversationId}/notes`: Infobip's notes. Open to an agent's own token
/// as well as the API key, so that the agent desktop writes the wrap-up note itself.
enum NoteRoutes {
    static let orderFields = ["id", "createdAt", "updatedAt"]

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        return [
            Endpoint(
                .get, "/ccaas/1/conversations/{conversationId}/notes",
                "Get notes (the assignee, a supervisor or the integration)", tag: "Notes",
                access: .apiKeyOrAgentToken, query: Paging.parameters(orderFields)
            ) { request, context in
                try await cc.notes(
                    try context.parameter("conversationId"), Query(request: request).page(fields: orderFields),
                    by: context.actingParty
                ).response(key: "notes")
            },
            Endpoint(
                .post, "/ccaas/1/conversations/{conversationId}/notes",
                "Create note (INTERNAL text up to 4000 characters; the author is the acting agent)", tag: "Notes",
                access: .apiKeyOrAgentToken, body: ContactCenter.createNoteSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.createNote(
                        try context.parameter("conversationId"), try await s.parsing.json(request),
                        by: context.actingParty))
            },
            Endpoint(
                .get, "/ccaas/1/conversations/{conversationId}/notes/{noteId}", "Get note", tag: "Notes",
                access: .apiKeyOrAgentToken
            ) { _, context in
                JSONResponse.make(
                    try await cc.note(
                        try context.parameter("conversationId"), try context.parameter("noteId"),
                        by: context.actingParty))
            },
        ]
    }
}
