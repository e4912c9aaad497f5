import ContactCenter
import Foundation
import Hummingbird

/// Reads request bodies and query parameters, turning every malformed input into an
/// `APIError` that names the problem.
struct RequestParsing: Sendable {
    let maxBodyBytes: Int
    /// How long a body may take to arrive after its request's head.
    var bodyTimeout: Duration = .seconds(60)

    /// The body parsed as JSON. Empty or non-JSON bodies and oversize bodies are refused.
    func json(_ request: Request, required: Bool = true) async throws -> JSONValue {
        let bytes = try await raw(request)
        if bytes.isEmpty {
            if required { throw APIError.unreadableBody }
            return .object([:])
        }
        guard let value = JSONValue.parse(Data(bytes)), !value.isNull else { throw APIError.unreadableBody }
        guard case .object = value else {
            throw APIError(
                .badRequest, "BAD_REQUEST", "Bad request",
                violations: [Violation(field: "", message: "body must be a JSON object, got \(value.typeName)")])
        }
        return value
    }

    func raw(_ request: Request, limit: Int? = nil) async throws -> [UInt8] {
        let max = limit ?? maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > max {
            throw APIError(
                .contentTooLarge, "PAYLOAD_TOO_LARGE", "Request body is \(length) bytes; the limit is \(max) bytes.")
        }
        do {
            let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await request.body.collect(upTo: max) }
                group.addTask { [bodyTimeout] in
                    try await Task.sleep(for: bodyTimeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let buffer = first else {
                    throw APIError(
                        .requestTimeout, "REQUEST_TIMEOUT",
                        "The request body did not arrive within \(bodyTimeout.components.seconds) seconds.")
                }
                return buffer
            }
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(
                .contentTooLarge, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit of \(max) bytes.")
        }
    }
}

/// Query-parameter readers with errors naming the parameter.
struct Query {
    let request: Request

    func string(_ name: String, maxLength: Int = 255) throws -> String? {
        guard let value = request.uri.queryParameters.get(name) else { return nil }
        guard value.count <= maxLength else {
            throw APIError.badRequest("\(name): size cannot be longer than \(maxLength) characters.")
        }
        return value
    }

    func strings(_ name: String) -> [String] {
        request.uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }
    }

    func int(_ name: String, default value: Int, min: Int, max: Int) throws -> Int {
        guard let raw = request.uri.queryParameters.get(name) else { return value }
        guard let parsed = Int(raw) else { throw APIError.badRequest("\(name): must be an integer, got '\(raw)'") }
        guard parsed >= min else { throw APIError.badRequest("\(name): must be greater than or equal to \(min)") }
        guard parsed <= max else { throw APIError.badRequest("\(name): must be less than or equal to \(max)") }
        return parsed
    }

    func bool(_ name: String) throws -> Bool? {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        switch raw.lowercased() {
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("\(name): must be true or false, got '\(raw)'")
        }
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws -> E?
    where E.RawValue == String {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        guard let value = E(rawValue: raw) else {
            throw APIError.badRequest(
                "\(name): must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'")
        }
        return value
    }

    func date(_ name: String) throws -> Date? {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        guard let date = InfobipDate.parse(raw) else {
            throw APIError.badRequest("\(name): must be a date-time like 2024-01-31T10:00:00.000+0000, got '\(raw)'")
        }
        return date
    }

    /// Infobip paging: `page` ≥ 0, `limit` 0…999 (default 10), `orderBy=field:asc|desc` over `fields`.
    func page(fields: [String]) throws -> PageRequest {
        let page = try int("page", default: 0, min: 0, max: 1_000_000)
        guard let limitText = request.uri.queryParameters.get("limit") ?? Optional("10"), let limit = Int(limitText)
        else {
            throw APIError.badRequest("limit: must be an integer")
        }
        guard limit >= 0 else { throw APIError.badRequest("Page size has to be bigger or equal to zero!") }
        guard limit <= 999 else { throw APIError.badRequest("limit: must be less than or equal to 999") }
        var orderBy = "id"
        var descending = false
        if let raw = request.uri.queryParameters.get("orderBy") {
            let parts = raw.split(separator: ":", maxSplits: 1).map(String.init)
            guard let field = parts.first, fields.contains(field) else {
                throw APIError.badRequest(
                    "orderBy: unknown field in '\(raw)'; use one of \(fields.joined(separator: ", "))")
            }
            orderBy = field
            if parts.count == 2 {
                switch parts[1].lowercased() {
                case "asc": descending = false
                case "desc": descending = true
                default: throw APIError.badRequest("orderBy: direction must be asc or desc, got '\(parts[1])'")
                }
            }
        }
        return PageRequest(page: page, limit: limit, orderBy: orderBy, descending: descending)
    }
}

extension Page where Item: Encodable {
    /// `{<key>: [...], "pagination": {totalItems, page, limit, orderBy}}`.
    func response(key: String) -> Response {
        let pagination: [String: JSONValue] = [
            "totalItems": .int(Int64(total)), "page": .int(Int64(request.page)), "limit": .int(Int64(request.limit)),
            "orderBy": .string(request.orderByText),
        ]
        return JSONResponse.make(PageBody(key: key, items: items, pagination: pagination))
    }
}

/// A page under a named key with Infobip's `pagination` object.
struct PageBody<Item: Encodable>: Encodable {
    let key: String
    let items: [Item]
    let pagination: [String: JSONValue]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(stringValue: key))
        try c.encode(pagination, forKey: Key(stringValue: "pagination"))
    }
}

/// Voice-style page: `{"elements": [...], "total": n, "totalPages": n}`.
struct VoicePageBody<Element: Encodable>: Encodable {
    let elements: [Element]
    let total: Int
    let totalPages: Int
}

func voicePage<T: Encodable>(_ elements: [T], total: Int, size: Int) -> Response {
    JSONResponse.make(
        VoicePageBody(elements: elements, total: total, totalPages: size == 0 ? 0 : (total + size - 1) / size))
}
