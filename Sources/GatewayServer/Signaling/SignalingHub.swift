import Calls
import ContactCenter
import Foundation
import Logging
import SignalingFrames

/// Who is on the other end of a signaling connection.
public enum SessionKind: String, Sendable {
    case agent, supervisor, customer
}

/// The open signaling sessions, by identity. Routes contact-center events to the sessions
/// they concern and delivers LIVE_CHAT messages to customers.
public actor SignalingHub: LiveChatDelivery, CallSignaling {
    struct Session {
        let identity: String
        let kind: SessionKind
        let outbox: SessionOutbox
        /// The token the session signed in with (`closeSessions(of:where:)`).
        var token: TokenClaims?
    }

    private let contactCenter: ContactCenter
    private let metrics: GatewayMetrics
    private let logger: Logger
    private var sessions: [UUID: Session] = [:]
    /// Each identity's open sessions, and the supervisors' sessions: every event goes only to the
    /// sessions it concerns, found without scanning the others (20,000 agents signing in at
    /// once would otherwise cost a scan of every session for each of their state changes).
    private var byIdentity: [String: Set<UUID>] = [:]
    private var supervisors: Set<UUID> = []
    /// Sessions whose `agent.state` frames wait until their `agent.setStatus` is acknowledged.
    private var heldStates: [UUID: [String]] = [:]
    /// Sessions not yet welcomed, and the frames that wait for their welcome: the welcome is a
    /// session's first frame (an agent's state published before it signed in, routed late, once
    /// came first, and a client that reads the welcome first gave up on the session).
    private var awaitingWelcome: [UUID: [String]] = [:]
    private var closing = false
    private var calls: CallCenter?

    init(contactCenter: ContactCenter, metrics: GatewayMetrics, logger: Logger) {
        self.contactCenter = contactCenter
        self.metrics = metrics
        self.logger = logger
    }

    public var sessionCount: Int { sessions.count }

    func attach(calls: CallCenter) { self.calls = calls }

    @discardableResult
    public func send(_ frame: CallFrame, to identity: String) async -> Int {
        send(ServerFrame.call(frame).text, to: identity)
    }

    func send(_ frame: ServerFrame, toSession id: UUID) {
        send(frame.text, toSession: id)
    }

    public func isConnected(_ identity: String) async -> Bool {
        byIdentity[identity] != nil
    }

    /// Registers a session that sends through `outbox`; nil when the gateway is shutting down.
    func open(identity: String, kind: SessionKind, token: TokenClaims? = nil, outbox: SessionOutbox) -> UUID? {
        guard !closing else { return nil }
        let id = UUID()
        sessions[id] = Session(identity: identity, kind: kind, outbox: outbox, token: token)
        awaitingWelcome[id] = []
        byIdentity[identity, default: []].insert(id)
        if kind == .supervisor { supervisors.insert(id) }
        metrics.webSocketConnections.set(Double(sessions.count))
        return id
    }

    func close(_ id: UUID) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        heldStates[id] = nil
        awaitingWelcome[id] = nil
        supervisors.remove(id)
        session.outbox.finish()
        metrics.webSocketConnections.set(Double(sessions.count))
        let identity = session.identity
        byIdentity[identity]?.remove(id)
        if byIdentity[identity]?.isEmpty == true {
            byIdentity[identity] = nil
            if let calls { Task { await calls.sessionLost(identity) } }
        }
    }

    /// Closes the sessions of `identity` whose token `refused` says no to, with `code` and
    /// `reason`; returns how many.
    func closeSessions(
        of identity: String, code: UInt16, reason: String, where refused: (TokenClaims) -> Bool
    ) -> Int {
        var closed = 0
        for id in byIdentity[identity] ?? [] {
            guard let session = sessions[id], let token = session.token, refused(token) else { continue }
            session.outbox.close(code: code, reason: reason)
            closed += 1
        }
        return closed
    }

    /// Sends a close frame to every session (graceful shutdown) and refuses new ones.
    public func closeAll(reason: String) {
        closing = true
        for session in sessions.values {
            session.outbox.close(code: 1001, reason: reason)
        }
    }

    func send(_ text: String, to identity: String) -> Int {
        var count = 0
        for id in byIdentity[identity] ?? [] {
            send(text, toSession: id)
            count += 1
        }
        return count
    }

    /// Sends the session its welcome, then the call frames it missed while away, then what
    /// waited for the welcome; from then on frames go out as they come.
    func welcome(_ welcome: ServerFrame.Welcome, missed: [CallFrame], toSession id: UUID) {
        guard let session = sessions[id], let waiting = awaitingWelcome.removeValue(forKey: id) else { return }
        session.outbox.send(ServerFrame.welcome(welcome).text)
        for frame in missed { session.outbox.send(ServerFrame.call(frame).text) }
        for text in waiting { session.outbox.send(text) }
    }

    /// Closes one session with a code and reason.
    func closeSession(_ id: UUID, code: UInt16, reason: String) {
        sessions[id]?.outbox.close(code: code, reason: reason)
    }

    /// Holds the session's `agent.state` frames back (its `agent.setStatus` is being carried out).
    func holdAgentStates(of id: UUID) { heldStates[id] = [] }

    /// Sends the held `agent.state` frames, after the request's answer went out.
    func releaseAgentStates(of id: UUID) {
        for frame in heldStates.removeValue(forKey: id) ?? [] { send(frame, toSession: id) }
    }

    func send(_ text: String, toSession id: UUID) {
        if let waiting = awaitingWelcome[id]?.count {
            // Bounded as the outbox is: the oldest goes first.
            if waiting >= SessionOutbox.capacity { awaitingWelcome[id]?.removeFirst() }
            awaitingWelcome[id]?.append(text)
        } else {
            sessions[id]?.outbox.send(text)
        }
    }

    private func sendToSupervisors(_ text: String, except identity: String) {
        for id in supervisors {
            guard let session = sessions[id], session.identity != identity else { continue }
            send(text, toSession: id)
        }
    }

    public func deliver(_ message: Message, to identity: String) async -> Bool {
        send(ServerFrame(message).text, to: identity) > 0
    }

    /// Routes events until the bus's stream ends.
    func run<Events: AsyncSequence & Sendable>(events: Events) async where Events.Element == ContactCenterEvent {
        do { for try await event in events { route(event) } } catch {}
    }

    private func route(_ event: ContactCenterEvent) {
        switch event {
        case .agentState(let state):
            let frame = ServerFrame(state).text
            for id in byIdentity[state.agentId] ?? [] {
                if heldStates[id] != nil {
                    heldStates[id]?.append(frame)
                } else {
                    send(frame, toSession: id)
                }
            }
            sendToSupervisors(frame, except: state.agentId)
        case .wrapUpStarted(let agentId, let seconds):
            _ = send(ServerFrame.wrapUpStarted(agentId: agentId, seconds: seconds).text, to: agentId)
        case .wrapUpExtended(let agentId, let left):
            _ = send(ServerFrame.wrapUpExtended(agentId: agentId, secondsLeft: left).text, to: agentId)
        case .wrapUpEnded(let agentId, let reason):
            _ = send(ServerFrame.wrapUpEnded(agentId: agentId, reason: reason.rawValue).text, to: agentId)
        case .messageCreated(let message, let assigneeId):
            // Agents see the customer's side of their conversations; customers get theirs through `deliver`.
            if message.direction == .INBOUND, message.channel == .LIVE_CHAT, let assigneeId {
                _ = send(ServerFrame(message).text, to: assigneeId)
            }
        case .conversationChanged:
            break
        case .recording(let event):
            let frame = ServerFrame.recording(
                event: event.type.rawValue, callId: event.callId, recordings: event.files.map(\.json)
            ).text
            if let agentId = event.agentId { _ = send(frame, to: agentId) }
            sendToSupervisors(frame, except: event.agentId ?? "")
        }
    }
}
