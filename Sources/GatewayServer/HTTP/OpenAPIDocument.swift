import ContactCenter
import Foundation

/// Renders the gateway's OpenAPI 3.1 document from the endpoint list and the request schemas.
public enum OpenAPIDocument {
    public static func render(_ endpoints: [Endpoint]) -> String {
        var paths: [String: [String: JSONValue]] = [:]
        for endpoint in endpoints {
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation(endpoint)
        }
        let document = JSONValue.object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "Call gateway API",
                "version": "1.0.0",
                "description": .string(
                    "Contact-center call gateway. Paths and fields follow the Infobip Conversations API. "
                        + "Errors under /ccaas/1 and /webrtc/1 use {requestError:{serviceException:{messageId,text,validationErrors}}}; "
                        + "under /ccaas/voice/2 and /ccca/1 they use {status:\"ERROR\",message}."),
            ]),
            "components": .object([
                "schemas": .object(["ApiException": apiException, "StatusError": statusError]),
                "parameters": .object([
                    "XAgentId": .object([
                        "name": "x-agent-id", "in": "header", "required": .bool(false),
                        "description": "The acting agent: an agent may act on itself only, a supervisor on anyone.",
                        "schema": .object(["type": "string"]),
                    ])
                ]),
                "securitySchemes": .object([
                    "APIKeyHeader": .object([
                        "type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "`App <key>`; keys are made with `gateway api-key create`.",
                    ]),
                    "AgentToken": .object([
                        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description":
                            "An agent's WebRTC token (`POST /webrtc/1/sign-in`), where the operation allows it: the request acts as that agent.",
                    ]),
                ]),
            ]),
            "paths": .object(paths.mapValues { .object($0) }),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// Style A error envelope.
    static let apiException: JSONValue = .object([
        "type": "object",
        "properties": .object([
            "requestError": .object([
                "type": "object",
                "properties": .object([
                    "serviceException": .object([
                        "type": "object",
                        "properties": .object([
                            "messageId": .object(["type": "string"]), "text": .object(["type": "string"]),
                            "validationErrors": .object([
                                "type": "object",
                                "additionalProperties": .object(["type": "array", "items": .object(["type": "string"])]
                                ),
                            ]),
                        ]),
                    ])
                ]),
            ])
        ]),
    ])

    /// Style B error envelope.
    static let statusError: JSONValue = .object([
        "type": "object",
        "properties": .object([
            "status": .object(["type": "string", "enum": .array(["ERROR"])]), "message": .object(["type": "string"]),
        ]),
    ])

    static func operation(_ endpoint: Endpoint) -> JSONValue {
        var op: [String: JSONValue] = [
            "summary": .string(endpoint.summary),
            "tags": .array([.string(endpoint.tag)]),
            "operationId": .string(operationId(endpoint)),
        ]
        var parameters: [JSONValue] = endpoint.pathParameters.map {
            .object(["name": .string($0), "in": "path", "required": .bool(true), "schema": .object(["type": "string"])])
        }
        parameters += endpoint.query.map {
            .object([
                "name": .string($0.name), "in": "query", "required": .bool(false),
                "description": .string($0.description),
                "schema": json($0.schema),
            ])
        }
        if endpoint.access == .apiKeyOrAgentToken {
            op["security"] = .array([.object(["APIKeyHeader": .array([])]), .object(["AgentToken": .array([])])])
            parameters.append(.object(["$ref": "#/components/parameters/XAgentId"]))
        } else if endpoint.access.takesAPIKey {
            op["security"] = .array([.object(["APIKeyHeader": .array([])])])
            parameters.append(.object(["$ref": "#/components/parameters/XAgentId"]))
        }
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if let schema = endpoint.requestSchema {
            op["requestBody"] = .object([
                "required": .bool(true), "content": .object(["application/json": .object(["schema": json(schema)])]),
            ])
        } else if let raw = endpoint.rawBodyType {
            op["requestBody"] = .object([
                "required": .bool(true),
                "content": .object([.init(raw): .object(["schema": .object(["type": "string", "format": "binary"])])]),
            ])
        }
        let errorSchema: JSONValue = .object([
            "$ref": .string(
                endpoint.errorStyle == .statusMessage
                    ? "#/components/schemas/StatusError" : "#/components/schemas/ApiException")
        ])
        var responses: [String: JSONValue] = ["200": .object(["description": .string(endpoint.responseDescription)])]
        let error = JSONValue.object(["content": .object(["application/json": .object(["schema": errorSchema])])])
        let errorCodes =
            endpoint.access.takesAPIKey
            ? [
                ("400", "Bad request: the field is named"), ("401", "Missing, unknown or revoked API key"),
                ("403", "The acting agent may not do this"), ("404", "Not found"),
            ] : []
        for (code, text) in errorCodes { responses[code] = error.setting("description", .string(text)) }
        op["responses"] = .object(responses)
        return .object(op)
    }

    static func operationId(_ endpoint: Endpoint) -> String {
        let words = endpoint.path.split(separator: "/").map { part -> String in
            part.hasPrefix("{") ? "by-" + part.dropFirst().dropLast() : String(part)
        }
        return ([endpoint.method.rawValue.lowercased()] + words).joined(separator: "-")
    }

    /// A schema in OpenAPI's JSON Schema dialect.
    static func json(_ schema: Schema) -> JSONValue {
        switch schema {
        case .described(let inner, let text): return json(inner).setting("description", .string(text))
        case .nullable(let inner):
            return .object(["oneOf": .array([json(inner), .object(["type": "null"])])])
        case .freeform: return .object(["type": "object", "additionalProperties": .bool(true)])
        case .boolean: return .object(["type": "boolean"])
        case .integer(let minimum, let maximum):
            var o: [String: JSONValue] = ["type": "integer"]
            if let minimum { o["minimum"] = .int(minimum) }
            if let maximum { o["maximum"] = .int(maximum) }
            return .object(o)
        case .number(let minimum, let maximum):
            var o: [String: JSONValue] = ["type": "number"]
            if let minimum { o["minimum"] = .double(minimum) }
            if let maximum { o["maximum"] = .double(maximum) }
            return .object(o)
        case .string(let rules):
            var o: [String: JSONValue] = ["type": "string"]
            if let v = rules.minLength { o["minLength"] = .int(Int64(v)) }
            if let v = rules.maxLength { o["maxLength"] = .int(Int64(v)) }
            if let v = rules.allowed { o["enum"] = .array(v.map { .string($0) }) }
            if let v = rules.format { o["format"] = .string(v) }
            return .object(o)
        case .array(let items, let minItems, let maxItems):
            var o: [String: JSONValue] = ["type": "array", "items": json(items)]
            if let v = minItems { o["minItems"] = .int(Int64(v)) }
            if let v = maxItems { o["maxItems"] = .int(Int64(v)) }
            return .object(o)
        case .object(let rules):
            var o: [String: JSONValue] = [
                "type": "object",
                "properties": .object(
                    Dictionary(uniqueKeysWithValues: rules.properties.map { ($0.name, json($0.schema)) })),
            ]
            if !rules.required.isEmpty { o["required"] = .array(rules.required.sorted().map { .string($0) }) }
            if !rules.allowsUnknown { o["additionalProperties"] = .bool(false) }
            return .object(o)
        }
    }
}
