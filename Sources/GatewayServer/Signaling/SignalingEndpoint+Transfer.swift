import Calls
import ContactCenter
import Foundation
import SignalingFrames
import SignalingProtocol

/// Transfers from the softphone and the SDK: `call.transfer` and the targets to pick from.
extension SignalingEndpoint {
    /// The agent transfers its call; acknowledged once the target is offered it (as the REST route).
    static func transfer(
        _ callId: String, to target: TransferTarget, attended: Bool, id: String?, _ session: UUID,
        _ services: GatewayServices, agent: Agent?
    ) async {
        guard let agent else {
            return await send(SignalingFault("FORBIDDEN", "only agents transfer calls", id: id), session, services)
        }
        do {
            if attended {
                try await services.calls.consult(callId: callId, target: target, by: agent)
            } else {
                try await services.calls.transfer(callId: callId, to: target, by: agent)
            }
            await acknowledge(id, session, services)
        } catch {
            await send(fault(error, id: id), session, services)
        }
    }

    /// The agent completes, cancels or merges its attended transfer.
    static func consult(
        _ callId: String, _ action: ConsultAction, id: String?, _ session: UUID, _ services: GatewayServices,
        agent: Agent?
    ) async {
        guard let agent else {
            return await send(SignalingFault("FORBIDDEN", "only agents transfer calls", id: id), session, services)
        }
        do {
            try await services.calls.consult(callId: callId, action, by: agent)
            await acknowledge(id, session, services)
        } catch {
            await send(fault(error, id: id), session, services)
        }
    }

    /// Agents (other than the asking one) with their availability, and queues with theirs.
    static func transferTargets(id: String?, _ session: UUID, _ services: GatewayServices, agent: Agent?) async {
        guard let agent else {
            return await send(SignalingFault("FORBIDDEN", "only agents transfer calls", id: id), session, services)
        }
        let cc = services.contactCenter
        do {
            let agents = try await cc.agents(AgentFilter(), PageRequest(page: 0, limit: 1000, orderBy: "displayName"))
            let agentValues: [JSONValue] = agents.items.filter { $0.agent.id != agent.id }.map { other in
                .object([
                    "id": .string(other.agent.id), "displayName": .string(other.agent.displayName),
                    "availability": .string((other.live?.availability ?? .AWAY).rawValue),
                ])
            }
            let queues = try await cc.transferQueues(page: 0, size: 1000).elements
            let queueValues = try queues.map { try JSONValue.encoding($0) }
            await services.hub.send(
                .transferTargets(id: id, agents: agentValues, queues: queueValues), toSession: session)
        } catch {
            await send(fault(error, id: id), session, services)
        }
    }
}
