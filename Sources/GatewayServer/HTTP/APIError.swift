import ContactCenter
import Foundation
import Hummingbird

/// Infobip's two error envelopes. Style A (`/ccaas/1`, `/webrtc/1`):
/// `{"requestError":{"serviceException":{"messageId","text","validationErrors"}}}`.
/// Style B (`/ccaas/voice/2`, `/ccca/1`): `{"status":"ERROR","message":"field: text; …"}`.
public enum ErrorStyle: Sendable {
    case serviceException
    case statusMessage

    /// The style Infobip uses under `path`.
    public static func forPath(_ path: String) -> ErrorStyle {
        path.hasPrefix("/ccaas/voice/") || path.hasPrefix("/ccca/") ? .statusMessage : .serviceException
    }
}

/// An error response ready to render in either style.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var messageId: String
    public var text: String
    public var violations: [Violation]
    /// Wording for the `{status, message}` style when Infobip words it differently there.
    public var statusText: String?
    /// For a 429: seconds the client should wait (`Retry-After`).
    public var retryAfterSeconds = 1

    public init(
        _ status: HTTPResponse.Status, _ messageId: String, _ text: String, violations: [Violation] = [],
        statusText: String? = nil
    ) {
        self.status = status
        self.messageId = messageId
        self.text = text
        self.violations = violations
        self.statusText = statusText
    }

    /// A body that is missing or not JSON.
    public static let unreadableBody = APIError(
        .badRequest, "BAD_REQUEST", "Required request body is missing or not valid.",
        statusText: "Empty or invalid request payload")

    public static let unauthorized = APIError(.unauthorized, "UNAUTHORIZED", "Unauthorized")
    public static let tooManyRequests = APIError(.tooManyRequests, "TOO_MANY_REQUESTS", "Too many requests")
    public static let notFoundRoute = APIError(.notFound, "NOT_FOUND", "Not found")
    public static let general = APIError(
        .internalServerError, "GENERAL_ERROR", "Something went wrong. Please contact support.")

    public static func badRequest(_ text: String) -> APIError { APIError(.badRequest, "BAD_REQUEST", text) }

    /// Maps a domain refusal to its HTTP form.
    public init(_ error: ContactCenterError, style: ErrorStyle) {
        switch error {
        case .invalid(let violations):
            self.init(.badRequest, "BAD_REQUEST", "Bad request", violations: violations)
        case .badRequest(let text):
            self.init(.badRequest, "BAD_REQUEST", text)
        case .notFound(let resource, let id):
            self.init(
                .notFound, "NOT_FOUND",
                style == .statusMessage
                    ? "No \(resource) found with id=\(id)" : "Invalid id '\(id)' given! No such entity exists.")
        case .forbidden(let text):
            self.init(.forbidden, "FORBIDDEN", text)
        case .absent(let text):
            self.init(.notFound, "NOT_FOUND", text)
        case .conflict(let text):
            self.init(.conflict, "CONFLICT", text)
        case .preconditionFailed(let text):
            self.init(.preconditionFailed, "PRECONDITION_FAILED", text)
        }
    }

    /// The error as a response; `headers` are added (e.g. `Content-Range` on a 416).
    public func response(style: ErrorStyle, headers: HTTPFields = [:]) -> Response {
        let body: JSONValue
        switch style {
        case .serviceException:
            var exception: [String: JSONValue] = ["messageId": .string(messageId), "text": .string(text)]
            if !violations.isEmpty {
                var fields: [String: [JSONValue]] = [:]
                for v in violations { fields[v.field, default: []].append(.string(v.message)) }
                exception["validationErrors"] = .object(fields.mapValues { .array($0) })
            }
            body = .object(["requestError": .object(["serviceException": .object(exception)])])
        case .statusMessage:
            let message =
                violations.isEmpty ? statusText ?? text : violations.map(\.description).joined(separator: "; ")
            body = .object(["status": .string("ERROR"), "message": .string(message)])
        }
        var response = JSONResponse.make(body, status: status)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}

/// JSON responses with Infobip's date format.
public enum JSONResponse {
    public static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? InfobipDate.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"statusCode":"SUCCESS","message":…}` under `/ccaas/1`, `{"status":"SUCCESS",…}` under voice paths.
    public static func success(_ message: String, style: ErrorStyle) -> Response {
        make(
            JSONValue.object([
                style == .statusMessage ? "status" : "statusCode": .string("SUCCESS"), "message": .string(message),
            ]))
    }
}
