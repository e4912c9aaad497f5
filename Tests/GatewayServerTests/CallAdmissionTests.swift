import Calls
import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

/// Admission limits hold when INVITEs are admitted side by side (the SIP service runs up to 8
/// admissions at once, each awaiting legs and the store).
@Suite struct CallAdmissionTests {
    static let offer =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

    /// A queue whose only agent (Alice) is signed in but on a call, so callers wait (and keep
    /// their channel) instead of ending, and a trunk of 2 channels whose number routes to it.
    static func busyQueueWithTrunk(_ gw: TestGateway) async throws -> (
        queue: Queue, trunk: SIPTrunk, number: SIPTrunkNumber
    ) {
        let queue = try await gw.cc.createQueue(
            .object(["name": "Sales", "isAutoAssignmentEnabled": true]), by: .integration)
        let alice = try await gw.agent("Alice")
        _ = try await gw.cc.addAgentToQueue(alice.id, .object(["queueId": .string(queue.id)]), by: .integration)
        await gw.cc.registry.connected(agentId: alice.id)
        try await gw.cc.callStarted(agentId: alice.id)
        try await gw.withClient { client in
            _ = try await client.call(.post, "/calls/1/sip-trunks", key: gw.key, body: SIPTrunkTests.body(queue.id))
        }
        let (trunk, number) = try #require(try await gw.cc.sipTrunk(forNumber: "+15550100"))
        return (queue, trunk, number)
    }

    /// Eight phone calls admitted at once through a trunk of 2 channels and a gateway of `maxCalls`:
    /// how many were admitted, and the refusals' texts.
    func admit(maxCalls: Int) async throws -> (admitted: Int, refusals: [String], active: Int) {
        let gw = try await TestGateway.make { $0.maxCalls = maxCalls }
        let (_, trunk, number) = try await Self.busyQueueWithTrunk(gw)
        let calls = gw.services.calls
        let results = await withTaskGroup(of: String?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        _ = try await calls.startFromPhone(
                            trunk: trunk, number: number, caller: "+1555000\(i)", offer: Self.offer)
                        return nil
                    } catch let refusal as CallRefusal {
                        return refusal.code.description
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        let active = await calls.activeCalls(onTrunk: trunk.id)
        try await gw.close()
        return (results.filter { $0 == nil }.count, results.compactMap { $0 }, active)
    }

    @Test func theTrunkChannelLimitIsNeverOvershot() async throws {
        let (admitted, refusals, active) = try await admit(maxCalls: 1000)
        #expect(admitted == 2 && active == 2)
        #expect(
            refusals.count == 6 && refusals.allSatisfy { $0.contains("carries its limit of 2 calls") }, "\(refusals)")
    }

    @Test func theGatewayCallLimitIsNeverOvershot() async throws {
        let (admitted, refusals, _) = try await admit(maxCalls: 1)
        #expect(admitted == 1)
        #expect(refusals.count == 7 && refusals.allSatisfy { $0.contains("maximum of 1 calls") }, "\(refusals)")
    }
}
