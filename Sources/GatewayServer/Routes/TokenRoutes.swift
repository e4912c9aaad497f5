import ContactCenter
import Foundation
import Hummingbird

/// `POST /webrtc/1/token`: a signed, expiring token for an agent id or a customer identity.
enum TokenRoutes {
    static let identityCharacters = "-_.@+="

    static func schema(maxTTL: Int) -> Schema {
        .object(
            [
                ("identity", .string(.init(minLength: 3, maxLength: 64, extraCharacters: identityCharacters))),
                ("applicationId", .string(.init(maxLength: 255))),
                ("displayName", .string(.init(minLength: 5, maxLength: 50))),
                ("timeToLive", .integer(minimum: 1, maximum: Int64(maxTTL))),
                ("capabilities", .freeform),
            ], required: ["identity"])
    }

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let maxTTL = s.configuration.maxTokenTimeToLiveSeconds
        let schema = schema(maxTTL: maxTTL)
        return [
            Endpoint(
                .post, "/webrtc/1/token", "Issue a WebRTC token for an agent id or a customer identity", tag: "WebRTC",
                body: schema, returns: "`{token, expirationTime}`"
            ) { request, _ in
                let body = try await s.parsing.json(request)
                let violations = schema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                let identity = body["identity"]!.stringValue!
                var displayName = body["displayName"]?.stringValue
                if let agent = try await s.store.load(Agent.self, id: identity) {
                    guard agent.enabled else {
                        throw APIError(.forbidden, "FORBIDDEN", "Agent \(identity) is disabled.")
                    }
                    displayName = displayName ?? agent.displayName
                }
                let now = s.clock.now()
                let ttl = Int(body["timeToLive"]?.intValue ?? Int64(min(28_800, maxTTL)))
                let expires = now.addingTimeInterval(TimeInterval(ttl))
                let token = s.tokens.issue(
                    TokenClaims(
                        sub: identity, name: displayName, iat: Int64(now.timeIntervalSince1970),
                        exp: Int64(expires.timeIntervalSince1970), jti: Identifiers.uuid()))
                return JSONResponse.make(
                    JSONValue.object(["token": .string(token), "expirationTime": .string(InfobipDate.format(expires))]))
            }
        ]
    }
}
