import ContactCenter
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import GatewayServer

@Suite struct BadInputTests {
    @Test func malformedBodiesGetTheDocumentedErrorNamingTheField() async throws {
        let gw = try await TestGateway.make { $0.maxRequestBodyBytes = 4096 }
        let alice = try await gw.agent("Alice")
        try await gw.withClient { client in
            // (method, path, body, expected status, a string the error must contain)
            let cases: [(HTTPRequest.Method, String, String, HTTPResponse.Status, String)] = [
                (.post, "/ccaas/1/agents", "{", .badRequest, "Required request body is missing or not valid."),
                (.post, "/ccaas/1/agents", "", .badRequest, "Required request body is missing or not valid."),
                (
                    .post, "/ccaas/1/agents", #"{"displayName":"A","status":"ACTIVE","role":"AGENT",}"#, .badRequest,
                    "Required request body is missing or not valid."
                ),
                (.post, "/ccaas/1/agents", "[1]", .badRequest, "body must be a JSON object"),
                (
                    .post, "/ccaas/1/agents", #"{"displayName":"A","status":"ACTIVE","role":"KING"}"#, .badRequest,
                    "role"
                ),
                (
                    .post, "/ccaas/1/agents", #"{"displayName":"A","status":"ACTIVE","role":"AGENT","extra":1}"#,
                    .badRequest, "extra"
                ),
                (
                    .post, "/ccaas/1/agents",
                    #"{"displayName":"\#(String(repeating: "a", count: 256))","status":"ACTIVE","role":"AGENT"}"#,
                    .badRequest, "displayName"
                ),
                (
                    .post, "/ccaas/1/agents", #"{"displayName":"A","status":"ACTIVE","role":"AGENT","enabled":"yes"}"#,
                    .badRequest, "enabled"
                ),
                (.put, "/ccaas/1/agents/\(alice.id)/status", #"{"status":null}"#, .badRequest, "status"),
                (.put, "/ccaas/1/agents/\(alice.id)/status", #"{}"#, .badRequest, "status"),
                (.post, "/ccaas/1/queues", #"{"name":42}"#, .badRequest, "name"),
                (.post, "/ccaas/1/conversations", #"{"priority":"MEDIUM"}"#, .badRequest, "priority"),
                (.post, "/ccaas/1/conversations", #"{"topic":["a"]}"#, .badRequest, "topic"),
                (
                    .put, "/ccaas/voice/2/account-wrap-up-config",
                    #"{"wrapUpSeconds":"30","canExtendWrapUp":true,"enabled":true}"#, .badRequest,
                    "wrapUpSeconds: must be an integer"
                ),
                (
                    .put, "/ccaas/voice/2/call-timeouts", #"{"inbound":61}"#, .badRequest,
                    "inbound: must be less than or equal to 60"
                ),
                (.post, "/ccaas/voice/2/waiting-strategies", "null", .badRequest, "Empty or invalid request payload"),
                (.post, "/ccaas/voice/2/waiting-strategies", "{", .badRequest, "Empty or invalid request payload"),
                (.post, "/webrtc/1/token", #"{"identity":12}"#, .badRequest, "identity"),
                (
                    .post, "/ccaas/1/agents", #"{"displayName":"\#(String(repeating: "a", count: 5000))"}"#,
                    .contentTooLarge, "the limit is 4096 bytes"
                ),
            ]
            for (method, path, body, status, fragment) in cases {
                let reply = try await client.call(method, path, key: gw.key, body: body)
                #expect(reply.status == status, "\(method) \(path) \(body.prefix(60))")
                #expect(reply.text.contains(fragment), "\(method) \(path): \(reply.text)")
            }
            // Unknown ids: 404 in the path family's shape.
            let unknown: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/ccaas/1/agents/NOPE", nil), (.put, "/ccaas/1/agents/NOPE/status", #"{"status":"BUSY"}"#),
                (.get, "/ccaas/1/conversations/NOPE", nil), (.delete, "/ccaas/1/queues/NOPE", nil),
                (.get, "/ccaas/voice/2/waiting-strategies/NOPE", nil), (.get, "/ccca/1/agent-configs/NOPE", nil),
                (.patch, "/ccaas/voice/2/agent/NOPE/wrap-up-time/add/5", nil),
                (.get, "/ccaas/voice/2/audio-files/NOPE", nil),
            ]
            for (method, path, body) in unknown {
                let reply = try await client.call(method, path, key: gw.key, body: body)
                #expect(reply.status == .notFound, "\(path)")
                #expect(
                    reply.messageId == "NOT_FOUND" || reply.statusMessage?.hasPrefix("No ") == true,
                    "\(path): \(reply.text)")
            }
            let badSeconds = try await client.call(
                .patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/add/ten", key: gw.key)
            #expect(badSeconds.statusMessage == "seconds: must be an integer, got 'ten'")
            let badDate = try await client.call(.get, "/ccaas/1/agents?createdAfter=yesterday", key: gw.key)
            #expect(badDate.serviceText?.hasPrefix("createdAfter: must be a date-time") == true)
            let badBool = try await client.call(.get, "/ccaas/1/agents?enabled=maybe", key: gw.key)
            #expect(badBool.serviceText == "enabled: must be true or false, got 'maybe'")
            let bigLimit = try await client.call(.get, "/ccaas/1/agents?limit=1000", key: gw.key)
            #expect(bigLimit.status == .badRequest)
        }
        try await gw.close()
    }

    /// Random and truncated bodies against every endpoint: never a 500, never a crash.
    @Test func unknownRoutesAndWrongMethodsGetInfobipsEnvelope() async throws {
        let gw = try await TestGateway.make()
        try await gw.withClient { client in
            let unknown = try await client.call(.get, "/ccaas/1/nothing-here", key: gw.key)
            #expect(unknown.status == .notFound && unknown.messageId == "NOT_FOUND", "\(unknown.text)")
            let unknownVoice = try await client.call(.get, "/ccaas/voice/2/nothing", key: gw.key)
            #expect(unknownVoice.status == .notFound && unknownVoice.json["status"] == .string("ERROR"))
            let wrongMethod = try await client.call(.delete, "/ccaas/1/queues", key: gw.key)
            #expect(wrongMethod.status == .methodNotAllowed, "\(wrongMethod.text)")
            #expect(wrongMethod.headers[.allow] == "GET, POST", "\(wrongMethod.headers)")
            #expect(wrongMethod.messageId == "METHOD_NOT_ALLOWED")
            let withParameter = try await client.call(.post, "/ccaas/1/queues/q1", key: gw.key)
            #expect(withParameter.status == .methodNotAllowed)
            #expect(withParameter.headers[.allow]?.contains("PUT") == true, "\(withParameter.headers)")
        }
        try await gw.close()
    }

    @Test func eachAPIKeyIsLimitedToItsRateWithInfobipsEnvelope() async throws {
        let gw = try await TestGateway.make { $0.maxRequestsPerSecondPerKey = 5 }
        let (_, other) = try await gw.services.apiKeys.create(name: "other")
        try await gw.withClient { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<8 { statuses.append(try await client.call(.get, "/ccaas/1/queues", key: gw.key).status) }
            #expect(statuses == Array(repeating: .ok, count: 5) + Array(repeating: .tooManyRequests, count: 3))
            // Over the limit on a voice path too: Infobip's service-exception envelope, Retry-After.
            let refused = try await client.call(.get, "/ccaas/voice/2/call-timeouts", key: gw.key)
            #expect(refused.status == .tooManyRequests && refused.messageId == "TOO_MANY_REQUESTS")
            #expect(refused.serviceText == "Too many requests" && refused.headers[.retryAfter] == "1")
            #expect(try await client.call(.get, "/ccaas/1/queues", key: other).status == .ok, "another key has its own")
            #expect(try await client.call(.get, "/health", key: nil).status == .ok, "open routes are not limited")
            // A second later the bucket has refilled by the rate.
            gw.clock.advance(by: 1)
            for _ in 0..<5 { #expect(try await client.call(.get, "/ccaas/1/queues", key: gw.key).status == .ok) }
            #expect(try await client.call(.get, "/ccaas/1/queues", key: gw.key).status == .tooManyRequests)
            let wrongKey = try await client.call(.get, "/ccaas/1/queues", key: "not-a-key")
            #expect(wrongKey.status == .unauthorized, "an unknown key is refused before any bucket")
        }
        try await gw.close()
    }

    @Test func randomBodiesNeverCauseA500() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        var generator = SeededGenerator(seed: 0x5eed)
        let endpoints = GatewayApplication.endpoints(gw.services).filter { $0.method != .get }
        let valid =
            #"{"displayName":"A","status":"ACTIVE","role":"AGENT","name":"Q","maximumWaitTime":{"unit":"SECONDS","value":3},"conditionType":"QUEUE","condition":{"queues":["default"]},"mediaType":"AUDIO","inbound":true}"#
        let bodies =
            (0..<12).map { _ in JSONFuzz.randomJSON(&generator, depth: 3) }
            + (1..<valid.count).filter { $0 % 7 == 0 }.map { String(valid.prefix($0)) }
            + [
                "\u{0}", "{\"a\":", "\"just a string\"", "1e999",
                "{\"displayName\":\"\u{1F600}\",\"status\":\"ACTIVE\",\"role\":\"AGENT\"}",
            ]
        try await gw.withClient { client in
            for endpoint in endpoints {
                let uri = endpoint.path.replacingOccurrences(of: "{agentId}", with: alice.id)
                    .replacingOccurrences(of: "{seconds}", with: "5")
                    .replacingOccurrences(of: #"\{[A-Za-z]+\}"#, with: "x", options: .regularExpression)
                for body in bodies {
                    let reply = try await client.call(endpoint.method, uri, key: gw.key, body: body)
                    #expect(reply.status.code < 500, "\(endpoint.method) \(uri) \(body.prefix(40)): \(reply.text)")
                }
            }
        }
        try await gw.close()
    }
}

enum JSONFuzz {
    static let keys = [
        "displayName", "status", "role", "name", "queueId", "agentId", "content", "channel", "from", "to",
        "maximumWaitTime", "unit", "value", "conditionType", "condition", "queues", "mediaType", "wrapUpSeconds", "x",
    ]

    static func randomJSON(_ g: inout SeededGenerator, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &g) {
        case 0: return "null"
        case 1: return Bool.random(using: &g) ? "true" : "false"
        case 2: return String(Int.random(in: -100_000...100_000, using: &g))
        case 3: return "\"\(["ACTIVE", "AGENT", "SECONDS", "QUEUE", "", "zz", "LIVE_CHAT"].randomElement(using: &g)!)\""
        case 4: return String(Double.random(in: -1e6...1e6, using: &g))
        case 5, 6:
            let members = (0..<Int.random(in: 0...5, using: &g)).map { _ in
                "\"\(keys.randomElement(using: &g)!)\":\(randomJSON(&g, depth: depth - 1))"
            }
            return "{" + members.joined(separator: ",") + "}"
        default:
            return "["
                + (0..<Int.random(in: 0...3, using: &g)).map { _ in randomJSON(&g, depth: depth - 1) }.joined(
                    separator: ",") + "]"
        }
    }
}
