import ContactCenter
import Foundation
import SignalingFrames

/// Infobip's transfer routes (`PATCH /ccaas/voice/2/conversation/{id}/transfer/...`): the agent
/// of a conversation's established call (inbound, or one the agent placed) hands the customer to
/// another agent, a queue or a number.
/// What happens next is the session's (`CallSession+Transfer`); here the request is checked and
/// an agent target is held, so that an unavailable target is refused before anything moves.
extension CallCenter {
    /// The graph's name for the transferring agent's leg while the target rings.
    static let transferorLeg = "transferor"

    static let noCall = "Conference is missing for given conversationId."
    static let destinationMissing = "Destination for given transfer is not found."
    static let destinationUnavailable = "Given destination for transfer is currently not available."

    /// `agent` transfers its call `callId` (from the softphone or the SDK); throws as below.
    public func transfer(callId: String, to target: TransferTarget, by agent: Agent) async throws {
        guard let session = sessions[callId], session.side(of: agent.id) == session.agentSide else {
            throw ContactCenterError.preconditionFailed("No call \(callId) of yours to transfer.")
        }
        try await transfer(conversationId: session.record.conversationId, to: target, by: .agent(agent))
    }

    /// Transfers the conversation's established call. Throws `ContactCenterError`:
    /// `preconditionFailed` (412) without an established call with an agent,
    /// `forbidden` when `actor` is another agent, `absent` (404) for an unknown target,
    /// `conflict` (409) when the target cannot take the call now.
    public func transfer(
        conversationId: String, to target: TransferTarget, from: String? = nil, by actor: ActingParty
    ) async throws {
        guard
            let session = sessions.values.first(where: {
                $0.record.conversationId == conversationId && ($0.isAnswered || $0.transfer != nil)
                    && $0.record.agentId != nil
            }), let agent = session.record.agentId
        else { throw ContactCenterError.preconditionFailed(Self.noCall) }
        guard actor.mayActOn(agentId: agent) else {
            throw ContactCenterError.forbidden("Agent may transfer only its own calls.")
        }
        guard session.transfer == nil, session.consultation == nil else {
            throw ContactCenterError.conflict("The call is being transferred already.")
        }
        guard session.party(session.agentSide) == agent, session.kind(of: session.agentSide) == .browser else {
            throw ContactCenterError.preconditionFailed(Self.noCall)
        }
        let callId = session.id
        // One request at a time per call: the checks below await, and a second request must not
        // pass them meanwhile.
        guard transferring.insert(callId).inserted else {
            throw ContactCenterError.conflict("The call is being transferred already.")
        }
        defer { transferring.remove(callId) }
        var phoneTarget: PhoneSide?
        switch target {
        case .agent(let targetId):
            guard (try? await contactCenter.agent(targetId)) != nil else {
                throw ContactCenterError.absent(Self.destinationMissing)
            }
            guard targetId != agent,
                await contactCenter.registry.reserve(firstOf: [targetId], for: callId) != nil
            else { throw ContactCenterError.conflict(Self.destinationUnavailable) }
        case .number(let number):
            phoneTarget = try await numberTarget(number, callId: callId, from: from)
        case .queue(let queueId):
            guard let queue = try? await contactCenter.queue(queueId) else {
                throw ContactCenterError.absent(Self.destinationMissing)
            }
            let open = (try? await contactCenter.isOpen(queue)) ?? true
            let members = (try? await contactCenter.agentIds(inQueue: queueId)) ?? []
            guard queue.isAutoAssignmentEnabled, open,
                await contactCenter.registry.anySignedIn(members.filter { $0 != agent })
            else { throw ContactCenterError.conflict(Self.destinationUnavailable) }
        }
        // The call may have ended or moved on while the checks awaited: then nothing moves.
        guard let current = sessions[callId], current.isAnswered, current.transfer == nil, current.consultation == nil
        else {
            if case .agent(let targetId) = target {
                await contactCenter.registry.release(agentId: targetId, from: callId)
            }
            throw ContactCenterError.preconditionFailed(Self.noCall)
        }
        // From here on nothing awaits until the session has the transfer.
        if let phoneTarget {
            // The number takes a channel of its trunk, counted from now on like any call's.
            do { try admitChannel(on: phoneTarget.trunk) } catch {
                throw ContactCenterError.conflict(Self.destinationUnavailable)
            }
            mediaStates[callId]?.transferPhone = phoneTarget
            admittingByTrunk[phoneTarget.trunk.id, default: 1] -= 1
        }
        var customData = mediaStates[callId]?.customData ?? .object([:])
        customData = customData.setting("transferredFrom", .string(agent))
        if let queueId = session.record.queueId {
            customData = customData.setting("transferredFromQueue", .string(queueId))
        }
        mediaStates[callId]?.customData = customData
        await input(callId, .transfer(target))
    }

    /// A number to transfer to (blind or attended): allowed by the external-number configuration,
    /// dialled through the trunk the customer came in on (else the first), showing `from` (else the
    /// trunk's default caller id), with a dialog id of its own.
    func numberTarget(_ number: String, callId: String, from: String? = nil) async throws -> PhoneSide {
        guard try await contactCenter.mayTransfer(toNumber: number) else {
            throw ContactCenterError.forbidden(
                "\(number) is not one of the allowed numbers (transfer-configs/external-number: transferToAnyNumberEnabled is false)."
            )
        }
        var fields: [String: JSONValue] = [:]
        if let trunkId = mediaStates[callId]?.phone?.trunk.id { fields["trunkId"] = .string(trunkId) }
        if let from { fields["outboundFrom"] = .string(from) }
        var phone: PhoneSide
        do { phone = try await phoneTarget(to: number, customData: .object(fields)) } catch let refusal as CallRefusal {
            switch refusal.code.id {
            case HangupCode.forbidden.id: throw ContactCenterError.forbidden(refusal.code.description)
            case HangupCode.invalidRequest.id: throw ContactCenterError.badRequest(refusal.code.description)
            default: throw ContactCenterError.conflict(Self.destinationUnavailable)
            }
        }
        phone.dialogId = "\(callId)~\(Identifiers.uuid())"
        return phone
    }
}
