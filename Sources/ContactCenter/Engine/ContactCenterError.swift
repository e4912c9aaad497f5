/// A refusal from the contact-center domain. The REST layer renders it in Infobip's error
/// envelope for the path family (style A under `/ccaas/1`, style B under voice and `/ccca`).
public enum ContactCenterError: Error, Equatable, Sendable {
    /// Body fields that failed validation.
    case invalid([Violation])
    /// A request that cannot be carried out as asked; the text says why.
    case badRequest(String)
    /// An id that names nothing (`resource` e.g. "agent", `id` the value given).
    case notFound(resource: String, id: String)
    /// Something never configured; the text says what (e.g. "No transfer strategy found.").
    case absent(String)
    /// The acting agent may not do this.
    case forbidden(String)
    /// The request conflicts with the current state (e.g. a record that already exists).
    case conflict(String)
    /// What the request acts on is not there (e.g. no call in the conversation to transfer).
    case preconditionFailed(String)

    public var message: String {
        switch self {
        case .invalid(let violations): violations.map(\.description).joined(separator: "; ")
        case .badRequest(let text), .forbidden(let text), .conflict(let text), .absent(let text),
            .preconditionFailed(let text):
            text
        case .notFound(let resource, let id): "No \(resource) found with id=\(id)"
        }
    }
}
