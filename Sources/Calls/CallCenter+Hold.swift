import ContactCenter
import Foundation

/// Hold and resume, for every call: the relay pauses both ways (each leg keeps one continuous
/// stream for when it resumes), the held party hears the queue's hold music and, on signaling,
/// gets `call.held`; a phone on the other end is also held by re-INVITE.
extension CallCenter {
    /// `identity` holds its established call, or resumes it. Only the party that held a call
    /// resumes it; holding a held call (or resuming a running one) changes nothing.
    public func hold(_ callId: String, by identity: String, held: Bool) async throws {
        guard let session = sessions[callId], session.isAnswered, let side = session.side(of: identity) else {
            throw CallRefusal(.invalidRequest, "no established call \(callId) of yours to hold")
        }
        if held == (session.heldBy != nil) { return }
        guard held || session.heldBy == side else {
            throw CallRefusal(.invalidRequest, "call \(callId) is held by the other party")
        }
        await input(callId, .hold(by: side, held: held))
    }

    /// Infobip's `PATCH /ccaas/voice/2/{conversationId}/hold` (and `/unhold`): the agent of the
    /// conversation's established call holds the other party. Throws `ContactCenterError`:
    /// `absent` when the conversation has no established call with an agent, `forbidden` for
    /// another agent, `badRequest` when the hold cannot be done.
    public func hold(conversationId: String, held: Bool, by actor: ActingParty) async throws {
        let action = held ? "Hold" : "Unhold"
        guard
            let session = sessions.values.first(where: {
                $0.record.conversationId == conversationId && $0.isAnswered && $0.record.agentId != nil
            }), let agent = session.record.agentId
        else { throw ContactCenterError.absent("Not Found.") }
        guard actor.mayActOn(agentId: agent) else {
            throw ContactCenterError.forbidden("Agent may hold only its own calls.")
        }
        do { try await hold(session.id, by: agent, held: held) } catch let refusal as CallRefusal {
            throw ContactCenterError.badRequest("\(action) action failed. \(refusal.code.description)")
        }
    }
}
