import ContactCenter
import Foundation
import Media
import SDP
import SignalingFrames

/// Attended transfers: the agent of an established call (inbound, or one the agent placed)
/// consults another agent (or the longest idle free agent of a queue) while the customer hears
/// hold music, then completes, cancels or merges. The requests are checked here and the target agent held; what happens next
/// is the session's (`CallSession+Consultation`).
extension CallCenter {
    /// The graph's name for the consulted agent's leg.
    static let consulteeLeg = "consultee"

    /// `agent` starts consulting `target` about its call `callId`. Throws `ContactCenterError`:
    /// `preconditionFailed` (412) without an established call of the agent's, `absent`
    /// (404) for an unknown agent or queue, `conflict` (409) when the target cannot take a call
    /// now (a number: no free channel on its trunk) or the call is being transferred, `forbidden`
    /// (403) for a number the external-number configuration does not allow.
    public func consult(callId: String, target: TransferTarget, by agent: Agent) async throws {
        guard let session = sessions[callId], session.side(of: agent.id) == session.agentSide, session.isAnswered
        else { throw ContactCenterError.preconditionFailed("No established call \(callId) of yours to transfer.") }
        guard session.transfer == nil, session.consultation == nil else {
            throw ContactCenterError.conflict("The call is being transferred already.")
        }
        guard transferring.insert(callId).inserted else {
            throw ContactCenterError.conflict("The call is being transferred already.")
        }
        defer { transferring.remove(callId) }
        let held: String
        var queueId: String?
        switch target {
        case .agent(let targetId):
            guard (try? await contactCenter.agent(targetId)) != nil else {
                throw ContactCenterError.absent(Self.destinationMissing)
            }
            guard targetId != agent.id, await contactCenter.registry.reserve(firstOf: [targetId], for: callId) != nil
            else { throw ContactCenterError.conflict(Self.destinationUnavailable) }
            held = targetId
        case .queue(let id):
            guard (try? await contactCenter.queue(id)) != nil else {
                throw ContactCenterError.absent(Self.destinationMissing)
            }
            let members = ((try? await contactCenter.agentIds(inQueue: id)) ?? []).filter { $0 != agent.id }
                .sorted { (lastCallEnded[$0] ?? .distantPast) < (lastCallEnded[$1] ?? .distantPast) }
            guard let found = await contactCenter.registry.reserve(firstOf: members, for: callId) else {
                throw ContactCenterError.conflict(Self.destinationUnavailable)
            }
            (held, queueId) = (found, id)
        case .number(let number):
            let phone = try await numberTarget(number, callId: callId)
            guard let current = sessions[callId], current.isAnswered, current.party(current.agentSide) == agent.id,
                current.transfer == nil, current.consultation == nil
            else { throw ContactCenterError.preconditionFailed(Self.noCall) }
            // From here on nothing awaits until the session has the consultation.
            do { try admitChannel(on: phone.trunk) } catch {
                throw ContactCenterError.conflict(Self.destinationUnavailable)
            }
            mediaStates[callId]?.consultPhone = phone
            admittingByTrunk[phone.trunk.id, default: 1] -= 1
            await input(callId, .consult(agent: number, queueId: nil, phone: true))
            return
        }
        guard let current = sessions[callId], current.isAnswered, current.party(current.agentSide) == agent.id,
            current.transfer == nil, current.consultation == nil
        else {
            await contactCenter.registry.release(agentId: held, from: callId)
            throw ContactCenterError.preconditionFailed(Self.noCall)
        }
        await input(callId, .consult(agent: held, queueId: queueId))
    }

    /// The consulting agent completes, cancels or merges. Throws `preconditionFailed` (412)
    /// without a consultation of theirs, `conflict` (409) to complete or merge before the
    /// consulted agent answered (or to merge twice).
    public func consult(callId: String, _ action: ConsultAction, by agent: Agent) async throws {
        guard let consultation = sessions[callId]?.consultation, consultation.from == agent.id,
            consultation.fromConnected
        else { throw ContactCenterError.preconditionFailed("No consultation of yours in call \(callId).") }
        switch (action, consultation.phase) {
        case (.CANCEL, _), (.COMPLETE, .talking), (.COMPLETE, .merged), (.MERGE, .talking):
            break
        case (.MERGE, .merged):
            throw ContactCenterError.conflict("The call is a three-way call already.")
        default:
            throw ContactCenterError.conflict("The consulted agent has not answered yet.")
        }
        await input(callId, .consultAction(action))
    }

    /// The consulted agent answered with their SDP; false when `identity` is not being consulted.
    func acceptConsultation(_ callId: String, by identity: String, answer: SessionDescription) async throws -> Bool {
        guard let consultation = sessions[callId]?.consultation, consultation.target == identity,
            case .ringing = consultation.phase, let consultee = mediaStates[callId]?.consultee,
            consultee.epoch == consultation.epoch
        else { return false }
        let (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(answer)
        guard let leg = consultee.leg.webRTC else { return false }
        try await leg.eventLoop.submit { try leg.configure(remote: answer, negotiated: negotiated, localSetup: setup) }
            .get()
        guard await input(callId, .consulteeAnswered(epoch: consultation.epoch)) else {
            throw CallRefusal(.invalidRequest, "call \(callId) ended or moved on while it was being answered")
        }
        return true
    }

    func execute(consultation effect: CallEffect, callId: String) async {
        guard let state = mediaStates[callId] else { return }
        switch effect {
        case .prepareConsultee(let target, let epoch):
            await prepareConsultee(callId, target, epoch: epoch)
        case .connectConsultee:
            do { try await state.graph.connect(CallSide.callee.legName, Self.consulteeLeg) } catch {
                let epoch = sessions[callId]?.consultation?.epoch ?? 0
                await input(callId, .consulteeLegFailed(reason: "\(error)", epoch: epoch))
            }
        case .mergeConsultee:
            do { try await state.graph.join(CallSide.caller.legName, as: .party) } catch {
                logger.error("three-way call not merged", metadata: ["callId": "\(callId)", "error": "\(error)"])
            }
        case .closeConsultee:
            if let phone = state.consultPhone {
                // CANCEL while it rings, BYE once answered (nothing when it already ended).
                mediaStates[callId]?.consultPhone = nil
                await phoneNetwork?.hangup(callId: phone.dialogId ?? callId, reason: .normalHangup)
            }
            guard state.consultee != nil else { return }
            state.graph.detach(Self.consulteeLeg)
            mediaStates[callId]?.consultee = nil
        case .promoteConsultee(let epoch):
            guard let consultee = state.consultee else { return }
            state.graph.detach(CallSide.callee.legName)
            state.graph.rename(Self.consulteeLeg, to: CallSide.callee.legName)
            mediaStates[callId]?.callee = (epoch, consultee.leg)
            mediaStates[callId]?.consultee = nil
            if let phone = state.consultPhone {
                // The number is the call's callee phone now, as after a blind transfer to it.
                mediaStates[callId]?.transferPhone = phone
                mediaStates[callId]?.consultPhone = nil
            }
            watch(consultee.leg, callId: callId, side: .callee, epoch: epoch)
            do { try await state.graph.connect(CallSide.caller.legName, CallSide.callee.legName) } catch {
                await input(callId, .bridgeFailed(reason: "\(error)"))
            }
            state.graph.stop(playingTo: CallSide.caller.legName)
        case .assignConversation(let agentId):
            guard let conversationId = sessions[callId]?.record.conversationId else { return }
            _ = try? await contactCenter.assign(
                conversationId, .object(["agentId": .string(agentId)]), by: .integration)
        default:
            break
        }
    }

    /// Dials the consulted number: an RTP leg on the call's loop, offered through the trunk.
    private func dialConsultee(_ callId: String, _ phone: PhoneSide, epoch: Int) async {
        guard let state = mediaStates[callId] else { return }
        let leg: RTPLeg
        do {
            leg = try await media.makeRTPLeg(
                on: state.graph.eventLoop, range: phone.trunk.rtpPortRange.flatMap(ContactCenter.portRange),
                srtp: phone.trunk.encryptsMedia)
        } catch {
            await input(callId, .consulteeLegFailed(reason: "\(error)", epoch: epoch))
            return
        }
        guard sessions[callId]?.consultation?.epoch == epoch else { return leg.close() }
        state.graph.attach(Self.consulteeLeg, .rtp(leg))
        mediaStates[callId]?.consultee = (epoch, .rtp(leg))
        let reports = legReports
        MediaLeg.rtp(leg).watch { event in
            reports.yield(LegReport(callId: callId, side: .callee, epoch: epoch, event: .consultee(event)))
        }
        let offer = PlainRTPDescriptionBuilder.offer(
            address: leg.address, port: leg.port, preference: phone.preference,
            sessionId: UInt64.random(in: 1...UInt64(Int64.max)), localKey: leg.sdesKey)
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        await phoneNetwork?.dial(
            callId: phone.dialogId ?? callId, trunk: phone.trunk, to: phone.number, callerId: phone.callerId,
            sdp: offer.text)
        await input(
            callId,
            .consulteeOffered(ringSeconds: Int(timeouts["outbound"]?.intValue ?? 45), delivered: true, epoch: epoch))
    }

    /// The phone network on a consulted number's dialog; false when `dialogId` is not one.
    func consulteePhoneEvent(_ dialogId: String, _ event: ConsulteePhoneEvent, answer sdp: String? = nil) async -> Bool
    {
        guard let (callId, state) = mediaStates.first(where: { $0.value.consultPhone?.dialogId == dialogId }),
            let phone = state.consultPhone, let epoch = state.consultee?.epoch ?? sessions[callId]?.consultation?.epoch
        else { return false }
        var event = event
        if case .answered = event {
            var usable = false
            if let sdp, let leg = state.consultee?.leg.rtp, let description = try? SessionDescription.parse(sdp),
                let negotiation = try? PlainRTPDescriptionBuilder.readAnswer(
                    description, preference: phone.preference, localKey: leg.sdesKey)
            {
                usable = (try? await configure(leg, negotiation, for: phone.trunk)) != nil
            }
            event = .answered(usable: usable)
        }
        if case .answered = event {} else { mediaStates[callId]?.consultPhone = nil }
        await input(callId, .consulteePhone(event, epoch: epoch))
        return true
    }

    /// Makes the consulted agent's leg on the call's loop and offers it to them (a number: dials it).
    private func prepareConsultee(_ callId: String, _ target: String, epoch: Int) async {
        guard let state = mediaStates[callId], let session = sessions[callId] else { return }
        if let phone = state.consultPhone { return await dialConsultee(callId, phone, epoch: epoch) }
        let leg: WebRTCLeg
        do { leg = try await media.makeLeg(on: state.graph.eventLoop) } catch {
            await input(callId, .consulteeLegFailed(reason: "\(error)", epoch: epoch))
            return
        }
        guard sessions[callId]?.consultation?.epoch == epoch else { return leg.close() }
        state.graph.attach(Self.consulteeLeg, .webRTC(leg))
        mediaStates[callId]?.consultee = (epoch, .webRTC(leg))
        let reports = legReports
        MediaLeg.webRTC(leg).watch { event in
            reports.yield(LegReport(callId: callId, side: .callee, epoch: epoch, event: .consultee(event)))
        }
        let offer = WebRTCDescriptionBuilder.offer(
            local: leg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: false)
        var customData = state.customData.setting("consultedBy", .string(session.consultation?.from ?? ""))
        if let queueId = session.record.queueId {
            customData = customData.setting("transferredFromQueue", .string(queueId))
        }
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        let delivered = await signaling.send(
            .incoming(
                callId: callId, conversationId: session.record.conversationId, sdp: offer.text,
                counterpart: session.caller, customData: customData, video: false,
                offer: await offerDetails(session, transferredBy: session.consultation?.from)), to: target)
        await input(
            callId,
            .consulteeOffered(
                ringSeconds: Int(timeouts["inbound"]?.intValue ?? 30), delivered: delivered > 0, epoch: epoch))
    }
}
