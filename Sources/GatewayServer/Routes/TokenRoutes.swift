import ContactCenter
import Foundation
import Hummingbird

/// `POST /webrtc/1/token`: a signed, expiring token for an agent id or a customer identity;
/// `POST /webrtc/1/token/revoke`: one token, or every token of an identity, refused from now on.
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

    static let revokeSchema = Schema.object([
        ("token", .string(.init(minLength: 1, maxLength: 4096))),
        ("identity", .string(.init(minLength: 3, maxLength: 64, extraCharacters: identityCharacters))),
    ])

    /// Closes the signaling sessions `revocation` refuses (4001 with `reason`), and answers
    /// `{identity, tokenId, revokedAt, sessionsClosed}`.
    static func closeSessions(refusedBy revocation: TokenRevocation, reason: String, _ s: GatewayServices) async
        -> Response
    {
        let closed = await s.hub.closeSessions(
            of: revocation.identity, code: SignalingEndpoint.CloseCode.unauthorized, reason: reason,
            where: revocation.refuses)
        return JSONResponse.make(
            JSONValue.object([
                "identity": .string(revocation.identity),
                "tokenId": revocation.tokenId.map(JSONValue.string) ?? .null,
                "revokedAt": .string(InfobipDate.format(revocation.revokedAt)),
                "sessionsClosed": .int(Int64(closed)),
            ]))
    }

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let maxTTL = s.configuration.maxTokenTimeToLiveSeconds
        let schema = schema(maxTTL: maxTTL)
        return [
            Endpoint(
                .post, "/webrtc/1/token/revoke",
                "Revoke a WebRTC token, or every token of an identity issued so far (extension)", tag: "WebRTC",
                body: revokeSchema, returns: "`{identity, tokenId, revokedAt, sessionsClosed}`"
            ) { request, _ in
                let body = try await s.parsing.json(request)
                var violations = revokeSchema.validate(body)
                let token = body["token"]?.stringValue
                let identity = body["identity"]?.stringValue
                if violations.isEmpty, (token == nil) == (identity == nil) {
                    violations.append(Violation(field: "", message: "give one of token or identity"))
                }
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                let revocation: TokenRevocation
                if let token {
                    let claims: TokenClaims
                    do { claims = try s.tokens.verifySignature(token) } catch let error as TokenError {
                        throw ContactCenterError.invalid([Violation(field: "token", message: error.description)])
                    }
                    revocation = try await s.revocations.revoke(token: claims)
                } else {
                    revocation = try await s.revocations.revoke(identity: identity!)
                }
                return await closeSessions(
                    refusedBy: revocation, reason: "unauthorized: \(TokenError.revoked.description)", s)
            },
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
                let (token, expires) = s.issueToken(
                    identity: identity, displayName: displayName, timeToLive: body["timeToLive"]?.intValue.map(Int.init)
                )
                return JSONResponse.make(
                    JSONValue.object(["token": .string(token), "expirationTime": .string(InfobipDate.format(expires))]))
            },
        ]
    }
}
