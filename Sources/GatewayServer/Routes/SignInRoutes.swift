import ContactCenter
import Foundation
import HTTPTypes
import Hummingbird

/// Signing agents in without an API key (extensions; Infobip leaves this to its own portal).
/// With the API key an administrator sets an agent's login and password or makes a one-time
/// sign-in link; the softphone and supervisor pages trade either for the agent's WebRTC token at
/// `POST /webrtc/1/sign-in`, and give it back at `POST /webrtc/1/sign-out`.
enum SignInRoutes {
    static let credentialsSchema = Schema.object(
        [
            ("login", .string(.init(minLength: 3, maxLength: 64, extraCharacters: AgentSignIn.loginCharacters))),
            (
                "password",
                .string(
                    .init(
                        minLength: PasswordHasher.passwordLength.lowerBound,
                        maxLength: PasswordHasher.passwordLength.upperBound))
            ),
        ], required: ["password"])

    static let linkSchema = Schema.object([
        ("timeToLive", .integer(minimum: 60, maximum: Int64(AgentSignIn.maxLinkTimeToLive)))
    ])

    static let signInSchema = Schema.object([
        ("login", .string(.init(minLength: 1, maxLength: 64))),
        ("password", .string(.init(minLength: 1, maxLength: PasswordHasher.passwordLength.upperBound))),
        ("link", .string(.init(minLength: 1, maxLength: 128))),
    ])

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let tag = "Agents"
        return [
            Endpoint(
                .put, "/ccaas/1/agents/{agentId}/credentials",
                "Set the agent's login and password for the softphone's sign-in (extension)", tag: tag,
                body: credentialsSchema, returns: "`{agentId, login, createdAt, updatedAt}`"
            ) { request, context in
                let agentId = try context.parameter("agentId")
                try mayAdminister(context)
                let body = try await s.parsing.json(request)
                let violations = credentialsSchema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                let credential = try await s.signIn.setPassword(
                    agentId: agentId, login: body["login"]?.stringValue, password: body["password"]!.stringValue!)
                return JSONResponse.make(view(credential))
            },
            Endpoint(
                .get, "/ccaas/1/agents/{agentId}/credentials",
                "The agent's login and when its password was set (extension; never the password)", tag: tag,
                returns: "`{agentId, login, createdAt, updatedAt}`"
            ) { _, context in
                let agentId = try context.parameter("agentId")
                try mayAdminister(context)
                guard let credential = try await s.signIn.credential(agentId: agentId) else {
                    throw ContactCenterError.absent("No password is set for agent \(agentId).")
                }
                return JSONResponse.make(view(credential))
            },
            Endpoint(
                .delete, "/ccaas/1/agents/{agentId}/credentials",
                "Remove the agent's password and unused sign-in links (extension; tokens already issued stay valid)",
                tag: tag
            ) { _, context in
                let agentId = try context.parameter("agentId")
                try mayAdminister(context)
                guard try await s.signIn.forget(agentId: agentId) else {
                    throw ContactCenterError.absent("No password is set for agent \(agentId).")
                }
                return JSONResponse.success("Credentials deleted successfully.", style: .serviceException)
            },
            Endpoint(
                .post, "/ccaas/1/agents/{agentId}/sign-in-links",
                "Make a one-time sign-in link for the agent (extension; the softphone, or the supervisor page for a supervisor)",
                tag: tag, body: linkSchema, returns: "`{url, expirationTime}`"
            ) { request, context in
                let agentId = try context.parameter("agentId")
                try mayAdminister(context)
                let body = try await s.parsing.json(request, required: false)
                let violations = linkSchema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                guard let agent = try await s.store.load(Agent.self, id: agentId) else {
                    throw ContactCenterError.notFound(resource: "agent", id: agentId)
                }
                let ttl = body["timeToLive"]?.intValue.map(Int.init) ?? AgentSignIn.defaultLinkTimeToLive
                let (code, expires) = try await s.signIn.createLink(agentId: agentId, timeToLive: ttl)
                return JSONResponse.make(
                    JSONValue.object([
                        "url": .string(baseURL(request, s) + linkPath(role: agent.role, code: code)),
                        "expirationTime": .string(InfobipDate.format(expires)),
                    ]))
            },
            Endpoint(
                .post, "/webrtc/1/sign-in",
                "Sign an agent in with `{login, password}` or `{link}` (a one-time link's code): the agent's WebRTC token (extension)",
                tag: "WebRTC", access: .open, body: signInSchema,
                returns: "`{token, expirationTime, agent: {id, displayName, role}, page}`"
            ) { request, context in
                let body = try await s.parsing.json(request)
                var violations = signInSchema.validate(body)
                let login = body["login"]?.stringValue
                let password = body["password"]?.stringValue
                let link = body["link"]?.stringValue
                if violations.isEmpty,
                    (link == nil) == (login == nil || password == nil) || (link != nil && login != nil)
                {
                    violations.append(Violation(field: "", message: "give login and password, or link"))
                }
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                let source = s.clientAddress(request, context)
                let agent: Agent
                do {
                    if let link {
                        agent = try await s.signIn.redeem(code: link, source: source)
                    } else {
                        agent = try await s.signIn.signIn(login: login!, password: password!, source: source)
                    }
                } catch let refusal as SignInRefusal {
                    s.metrics.authFailure(refusal.metricReason)
                    throw refusal.apiError
                }
                let (token, expires) = s.issueToken(identity: agent.id, displayName: agent.displayName)
                return JSONResponse.make(
                    JSONValue.object([
                        "token": .string(token),
                        "expirationTime": .string(InfobipDate.format(expires)),
                        "agent": .object([
                            "id": .string(agent.id), "displayName": .string(agent.displayName),
                            "role": .string(agent.role.rawValue),
                        ]),
                        "page": .string(page(for: agent.role)),
                    ]))
            },
            Endpoint(
                .post, "/webrtc/1/sign-out",
                "Sign out: revokes the token given as `Authorization: Bearer <token>` and closes its sessions (extension)",
                tag: "WebRTC", access: .open, returns: "`{identity, tokenId, revokedAt, sessionsClosed}`"
            ) { request, _ in
                let header = request.headers[.authorization] ?? ""
                let parts = header.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                    throw APIError(.unauthorized, "UNAUTHORIZED", "Give the token as Authorization: Bearer <token>.")
                }
                let claims: TokenClaims
                do {
                    claims = try s.tokens.verify(
                        String(parts[1]).trimmingCharacters(in: .whitespaces),
                        now: Int64(s.clock.now().timeIntervalSince1970))
                } catch let error as TokenError {
                    throw APIError(.unauthorized, "UNAUTHORIZED", error.description)
                }
                let revocation = try await s.revocations.revoke(token: claims)
                return await TokenRoutes.closeSessions(refusedBy: revocation, reason: "unauthorized: signed out", s)
            },
        ]
    }

    /// An agent (`x-agent-id`) may not set sign-in for others; a supervisor and the integration may.
    static func mayAdminister(_ context: GatewayRequestContext) throws {
        guard context.actingParty.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only supervisors set agents' sign-in.")
        }
    }

    static func view(_ credential: AgentCredential) -> JSONValue {
        .object([
            "agentId": .string(credential.agentId), "login": .string(credential.login),
            "createdAt": .string(InfobipDate.format(credential.createdAt)),
            "updatedAt": .string(InfobipDate.format(credential.updatedAt)),
        ])
    }

    /// Where an agent of `role` works: supervisors on the wallboard, agents on the softphone.
    static func page(for role: AgentRole) -> String { role == .SUPERVISOR ? "/supervisor" : "/softphone" }

    /// The code rides in the fragment, which browsers never send: it stays out of access logs and
    /// `Referer` headers.
    static func linkPath(role: AgentRole, code: String) -> String { "\(page(for: role))#signin=\(code)" }

    /// `scheme://host` as the administrator reached the gateway (https when the gateway serves TLS
    /// or a TLS proxy says `X-Forwarded-Proto: https`), else the listener's address.
    static func baseURL(_ request: Request, _ s: GatewayServices) -> String {
        let proto =
            s.tls != nil || request.headers[HTTPField.Name("x-forwarded-proto")!] == "https" ? "https" : "http"
        let host = request.head.authority ?? "\(s.configuration.bindAddress):\(s.configuration.httpPort)"
        return "\(proto)://\(host)"
    }
}

extension SignInRefusal {
    var apiError: APIError {
        switch self {
        case .throttled(let seconds):
            var error = APIError(.tooManyRequests, "TOO_MANY_REQUESTS", description)
            error.retryAfterSeconds = seconds
            return error
        case .disabled: return APIError(.forbidden, "FORBIDDEN", description)
        case .wrongPassword, .unknownLink, .expiredLink: return APIError(.unauthorized, "UNAUTHORIZED", description)
        }
    }

    var metricReason: String {
        switch self {
        case .throttled: "sign_in_throttled"
        case .disabled: "sign_in_disabled"
        case .wrongPassword: "sign_in_wrong_password"
        case .unknownLink, .expiredLink: "sign_in_bad_link"
        }
    }
}
