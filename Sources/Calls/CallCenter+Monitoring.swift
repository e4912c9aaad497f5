import ContactCenter
import Foundation
import Media
import SDP
import SignalingFrames

/// Supervisor monitoring (listen, whisper, barge): the requests are checked here; what happens
/// next is the session's (`CallSession+Monitoring`), and the media the graph's conference.
extension CallCenter {
    /// The graph's name for a supervisor's monitor leg.
    static func monitorLeg(_ supervisor: String) -> String { "monitor:\(supervisor)" }

    /// The signed-in supervisor `agent` monitors call `callId` (from the supervisor page or the SDK).
    public func monitor(callId: String, mode: MonitorMode, by agent: Agent) async throws {
        guard let session = sessions[callId] else {
            throw ContactCenterError.preconditionFailed("No call \(callId) to monitor.")
        }
        try await monitor(
            conversationId: session.record.conversationId, supervisorId: agent.id, mode: mode, by: .agent(agent))
    }

    /// `supervisorId` monitors the conversation's answered call in `mode`, or changes the mode of
    /// their monitoring. The supervisor's softphone is offered a leg (`call.incoming` with
    /// `customData.monitor`), which joins the call once answered. Throws `ContactCenterError`:
    /// `forbidden` (403) when `actor` is not a supervisor acting for themselves or
    /// `supervisorId` is no supervisor, `absent` (404) for an unknown supervisor,
    /// `preconditionFailed` (412) without an answered call, `conflict` (409) when the supervisor
    /// is not connected, is a party of the call, monitors another call, the call is being
    /// transferred, or its conference is full.
    public func monitor(
        conversationId: String, supervisorId: String, mode: MonitorMode, by actor: ActingParty
    ) async throws {
        if case .agent(let acting) = actor, acting.role != .SUPERVISOR || acting.id != supervisorId {
            throw ContactCenterError.forbidden("Only a supervisor may monitor calls, and only for themselves.")
        }
        guard let supervisor = try? await contactCenter.agent(supervisorId).agent else {
            throw ContactCenterError.absent("Supervisor \(supervisorId) not found.")
        }
        guard supervisor.role == .SUPERVISOR else {
            throw ContactCenterError.forbidden("Agent \(supervisorId) is not a supervisor.")
        }
        guard await signaling.isConnected(supervisorId) else {
            throw ContactCenterError.conflict("Supervisor \(supervisorId) is not connected to signaling.")
        }
        guard
            let session = sessions.values.first(where: { $0.record.conversationId == conversationId && $0.isAnswered })
        else { throw ContactCenterError.preconditionFailed(Self.noCall) }
        try checkMonitoring(session, by: supervisorId)
        await input(session.id, .monitor(supervisor: supervisorId, mode: mode))
    }

    /// Ends `supervisorId`'s monitoring of the conversation's call (they are sent `call.hangup`).
    public func stopMonitoring(conversationId: String, supervisorId: String, by actor: ActingParty) async throws {
        if case .agent(let acting) = actor, acting.role != .SUPERVISOR || acting.id != supervisorId {
            throw ContactCenterError.forbidden("Only a supervisor may monitor calls, and only for themselves.")
        }
        guard
            let session = sessions.values.first(where: {
                $0.record.conversationId == conversationId && $0.monitors[supervisorId] != nil
            })
        else { throw ContactCenterError.preconditionFailed("Supervisor \(supervisorId) does not monitor this call.") }
        await input(session.id, .stopMonitoring(supervisorId))
    }

    private func checkMonitoring(_ session: CallSession, by supervisorId: String) throws {
        guard session.transfer == nil else { throw ContactCenterError.conflict("The call is being transferred.") }
        guard session.caller != supervisorId, session.callee != supervisorId else {
            throw ContactCenterError.conflict("A supervisor cannot monitor a call they are in.")
        }
        if sessions.values.contains(where: { $0.id != session.id && $0.monitors[supervisorId] != nil }) {
            throw ContactCenterError.conflict("Supervisor \(supervisorId) monitors another call.")
        }
        if session.monitors[supervisorId] == nil, session.monitors.count + 2 >= MediaGraph.conferenceCapacity {
            throw ContactCenterError.conflict("The call has \(MediaGraph.conferenceCapacity) parties already.")
        }
    }

    /// The supervisor answered the monitor offer with their SDP; false when `identity` has no
    /// monitor offer pending in the call.
    func acceptMonitor(_ callId: String, by identity: String, answer: SessionDescription) async throws -> Bool {
        guard let session = sessions[callId], let monitoring = session.monitors[identity], !monitoring.joined,
            let leg = mediaStates[callId]?.monitorLegs[identity]
        else { return false }
        let (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(answer)
        try await leg.eventLoop.submit { try leg.configure(remote: answer, negotiated: negotiated, localSetup: setup) }
            .get()
        guard await input(callId, .monitorAnswered(identity)) else {
            throw CallRefusal(.invalidRequest, "call \(callId) ended while it was being answered")
        }
        return true
    }

    /// Makes the supervisor's leg on the call's loop and offers it to them.
    func prepareMonitor(_ callId: String, _ supervisor: String) async {
        guard let state = mediaStates[callId], let session = sessions[callId] else { return }
        let leg: WebRTCLeg
        do { leg = try await media.makeLeg(on: state.graph.eventLoop) } catch {
            await input(callId, .monitorLegEnded(supervisor, reason: "\(error)"))
            return
        }
        guard mediaStates[callId] != nil, sessions[callId]?.monitors[supervisor] != nil else { return leg.close() }
        state.graph.attach(Self.monitorLeg(supervisor), .webRTC(leg))
        mediaStates[callId]?.monitorLegs[supervisor] = leg
        let reports = legReports
        MediaLeg.webRTC(leg).watch { event in
            reports.yield(LegReport(callId: callId, side: .callee, epoch: 0, event: .monitor(supervisor, event)))
        }
        let offer = WebRTCDescriptionBuilder.offer(
            local: leg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: false)
        let mode = session.monitors[supervisor]?.mode ?? .LISTEN
        let customData = state.customData.setting(
            "monitor",
            .object(["mode": .string(mode.rawValue), "agentId": session.record.agentId.map(JSONValue.string) ?? .null]))
        let delivered = await signaling.send(
            .incoming(
                callId: callId, conversationId: session.record.conversationId, sdp: offer.text,
                counterpart: session.caller, customData: customData, video: false), to: supervisor)
        if delivered == 0 { await input(callId, .stopMonitoring(supervisor)) }
    }

    /// Puts the supervisor's leg in the call's conference as `mode` says.
    func joinMonitor(_ callId: String, _ supervisor: String, _ mode: MonitorMode, agent: CallSide) async {
        guard let graph = mediaStates[callId]?.graph else { return }
        let role: MixRole =
            switch mode {
            case .LISTEN: .listener
            case .WHISPER: .whisperer(to: agent.legName)
            case .BARGE: .party
            }
        do { try await graph.join(Self.monitorLeg(supervisor), as: role) } catch {
            await input(callId, .monitorLegEnded(supervisor, reason: "\(error)"))
        }
    }

    func dropMonitor(_ callId: String, _ supervisor: String) {
        guard mediaStates[callId]?.monitorLegs.removeValue(forKey: supervisor) != nil else { return }
        mediaStates[callId]?.graph.detach(Self.monitorLeg(supervisor))
    }

    /// The supervisors monitoring a call, for the supervisor page: `supervisorId`, `mode`, `joined`.
    func monitorValues(_ session: CallSession) -> [JSONValue] {
        session.monitors.sorted { $0.key < $1.key }.map { supervisor, monitoring in
            .object([
                "supervisorId": .string(supervisor), "mode": .string(monitoring.mode.rawValue),
                "joined": .bool(monitoring.joined),
            ])
        }
    }
}
