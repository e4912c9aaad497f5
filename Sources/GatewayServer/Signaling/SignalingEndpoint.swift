import Calls
import ContactCenter
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import SignalingFrames
import SignalingProtocol

/// `GET /webrtc/1/signaling?token=…`: the authenticated signaling WebSocket.
enum SignalingEndpoint {
    static let path = "/webrtc/1/signaling"

    /// Close codes of the protocol (4000–4999 are the application's).
    enum CloseCode {
        static let unauthorized: UInt16 = 4001
        static let forbidden: UInt16 = 4003
        static let policyViolation: UInt16 = 1008
        static let goingAway: UInt16 = 1001
        static let tryAgainLater: UInt16 = 1013
    }

    /// How long a closing connection's queued frames may take to go out.
    static let closeDrainTime = Duration.seconds(5)
    /// How long a connection refused right after its upgrade waits before the close. The close
    /// frame and the FIN that follows it must not reach a client that is still completing its
    /// upgrade: swift-websocket's client (over NIO's typed upgrade) then loses both, and its
    /// inbound stream never ends (seen under load: the client hung until killed).
    static let refusalGrace = Duration.milliseconds(200)

    /// Refuses a connection with a close code and reason, after `refusalGrace`.
    static func refuse(_ outbound: WebSocketOutboundWriter, _ code: WebSocketErrorCode, _ reason: String) async {
        try? await Task.sleep(for: refusalGrace)
        try? await outbound.close(code, reason: reason)
    }

    static func install(on router: Router<GatewayRequestContext>, services: GatewayServices) {
        router.ws(RouterPath(path)) { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            await serve(
                inbound: inbound, outbound: outbound, token: context.request.uri.queryParameters.get("token") ?? "",
                address: services.clientAddress(context.request, context.requestContext),
                loop: EventLoopTaskExecutor(context.requestContext.eventLoop), services: services)
        }
    }

    /// Serves one connection. Its tasks (sign-in, reader, the outbox's writer and each message's)
    /// prefer the connection's event loop, `loop` (see docs/architecture.md, "Threads").
    static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, token: String, address: String,
        loop: EventLoopTaskExecutor, services: GatewayServices
    ) async {
        // Over the connection limit (see `ConnectionLimit`): closed at once, as REST is answered 503.
        guard services.connections.admitSession() else {
            services.metrics.connectionRefused()
            services.metrics.signalingClosed("over_capacity")
            await refuse(
                outbound, .unknown(CloseCode.tryAgainLater),
                "try again later: the gateway holds its maximum of \(services.connections.maximum) connections")
            return
        }
        defer { services.connections.endSession() }
        guard services.sessionsPerAddress.admit(address) else {
            services.metrics.connectionRefused()
            services.metrics.signalingClosed("address_limit")
            await refuse(
                outbound, .unknown(CloseCode.tryAgainLater),
                "try again later: this address holds its maximum of \(services.sessionsPerAddress.maximum) sessions")
            return
        }
        defer { services.sessionsPerAddress.end(address) }
        // Signing in runs in a task of its own, as each message does (see `inTaskOfItsOwn`).
        guard
            let opened = await inTaskOfItsOwn(
                preferring: loop,
                {
                    await open(outbound: outbound, token: token, loop: loop, services: services)
                })
        else { return }
        let (sessionId, outbox, claims, agent) = (opened.sessionId, opened.outbox, opened.claims, opened.agent)
        // The reader is the connection's one long-lived task of its own (frames go out through
        // `SessionOutbox`, whose writer task lives only while it has something to write). The
        // outbox ending (a close sent, the connection gone, shutdown) ends the reader.
        let reader = Task(executorPreference: loop) {
            await readLoop(inbound: inbound, session: sessionId, claims: claims, agent: agent, services: services)
        }
        outbox.onEnd { reader.cancel() }
        await withTaskCancellationHandler {
            await reader.value
        } onCancel: {
            reader.cancel()
        }
        // What the session queued is written before the handler returns: a close frame the
        // reader queued (rate limit) must go out first (Hummingbird would otherwise close with
        // 1000). A peer that stops reading cannot hold the connection longer than `closeDrainTime`.
        await services.hub.close(sessionId)
        await outbox.drain(within: closeDrainTime)
        if agent != nil { await services.contactCenter.registry.disconnected(agentId: claims.sub) }
    }

    /// A signed-in session: what `open` made.
    struct OpenedSession: Sendable {
        let sessionId: UUID
        let outbox: SessionOutbox
        let claims: TokenClaims
        let agent: Agent?
    }

    /// Checks the token and the agent, opens the session in the hub and sends the welcome (and
    /// what the party missed); nil when the connection was refused (and closed).
    static func open(
        outbound: WebSocketOutboundWriter, token: String, loop: EventLoopTaskExecutor, services: GatewayServices
    ) async -> OpenedSession? {
        let hub = services.hub
        let cc = services.contactCenter
        let claims: TokenClaims
        do {
            claims = try services.tokens.verify(token, now: Int64(services.clock.now().timeIntervalSince1970))
        } catch {
            services.metrics.signalingClosed("unauthorized")
            await refuse(
                outbound, .unknown(CloseCode.unauthorized),
                "unauthorized: \(token.isEmpty ? "token is missing" : error.description)")
            return nil
        }
        func refuseRevoked() async {
            services.metrics.signalingClosed("unauthorized")
            await refuse(outbound, .unknown(CloseCode.unauthorized), "unauthorized: \(TokenError.revoked.description)")
        }
        if await services.revocations.isRevoked(claims) {
            await refuseRevoked()
            return nil
        }
        let agent = try? await services.store.load(Agent.self, id: claims.sub)
        if let agent, !agent.enabled {
            services.metrics.signalingClosed("forbidden")
            await refuse(outbound, .unknown(CloseCode.forbidden), "forbidden: agent is disabled")
            return nil
        }
        let kind: SessionKind = agent == nil ? .customer : (agent!.role == .SUPERVISOR ? .supervisor : .agent)
        let outbox = SessionOutbox(executor: loop) { frame in
            switch frame {
            case .text(let text): try await outbound.write(.text(text))
            case .close(let code, let reason): try await outbound.close(.init(codeNumber: Int(code)), reason: reason)
            }
        }
        guard let sessionId = await hub.open(identity: claims.sub, kind: kind, token: claims, outbox: outbox) else {
            try? await outbound.close(.unknown(CloseCode.goingAway), reason: "server shutting down")
            return nil
        }
        // Revoked while this session was opening: the revocation's sweep of open sessions may
        // have run before it was listed.
        if await services.revocations.isRevoked(claims) {
            await hub.close(sessionId)
            await refuseRevoked()
            return nil
        }
        let config = services.configuration
        // A party back within the grace keeps its calls; the welcome lists them.
        let (activeCalls, missed) = await services.calls.sessionResumed(claims.sub)
        let welcome = ServerFrame.Welcome(
            identity: claims.sub, kind: kind.rawValue, sessionId: sessionId.uuidString.lowercased(),
            heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
            heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds, tokenExpiresAt: claims.exp, calls: activeCalls,
            signalingGraceSeconds: config.signalingGraceSeconds, displayName: claims.name)
        await hub.welcome(welcome, missed: missed, toSession: sessionId)
        if agent != nil {
            // Publishes the agent's state, which reaches this session after the welcome.
            await cc.registry.connected(agentId: claims.sub)
        } else if let pending = try? await cc.pendingLiveChat(for: claims.sub) {
            for message in pending where await hub.deliver(message, to: claims.sub) {
                try? await cc.markDelivered(message.id)
            }
        }
        return OpenedSession(sessionId: sessionId, outbox: outbox, claims: claims, agent: agent)
    }

    static func readLoop(
        inbound: WebSocketInboundStream, session: UUID, claims: TokenClaims, agent: Agent?, services: GatewayServices
    ) async {
        let hub = services.hub
        var limiter = MessageRateLimiter(
            perSecond: services.configuration.maxWebSocketMessagesPerSecond, now: services.clock.now())
        do {
            for try await message in inbound.messages(maxSize: services.configuration.maxWebSocketFrameBytes) {
                guard limiter.allow(now: services.clock.now()) else {
                    services.metrics.signalingClosed("rate_limited")
                    await hub.closeSession(
                        session, code: CloseCode.policyViolation, reason: "message rate limit exceeded")
                    return
                }
                guard case .text(let text) = message else {
                    await send(
                        SignalingFault("BAD_MESSAGE", "binary frames are not part of the protocol"), session, services)
                    continue
                }
                switch SignalingParser.parse(text) {
                case .failure(let fault):
                    await send(fault, session, services)
                case .success(let parsed):
                    await inTaskOfItsOwn {
                        await handle(parsed, session: session, claims: claims, agent: agent, services: services)
                    }
                }
            }
        } catch {
            services.metrics.signalingClosed("read_error")
        }
    }

    /// Runs `work` in a child task and waits for it. The runtime frees the memory of a task's
    /// async frames only when the task ends (it keeps a task's stack slabs for reuse), and the
    /// call layer's handlers need tens of KiB of them (`CallCenter.execute` alone about 50 KiB):
    /// run in the connection's own tasks, every signed-in party would hold that for as long as
    /// it stays connected. Measured in docs/performance.md, "Signaling at scale".
    /// The child prefers `executor` when one is given, and else what the caller prefers.
    static func inTaskOfItsOwn<Result: Sendable>(
        preferring executor: (any TaskExecutor)? = nil, _ work: @escaping @Sendable () async -> Result
    ) async -> Result {
        await withTaskGroup(of: Result.self) { group in
            group.addTask(executorPreference: executor, operation: work)
            guard let result = await group.next() else { preconditionFailure("the one child task returned nothing") }
            return result
        }
    }
}
