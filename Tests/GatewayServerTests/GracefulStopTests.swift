import ContactCenter
import Foundation
import Testing

@testable import Calls
@testable import GatewayServer

/// Stopping without losing track of calls: a stopping gateway takes no new call but keeps those
/// in progress, then ends them with every party told; a gateway that died leaves calls the next
/// start closes.
@Suite struct GracefulStopTests {
    @Test func aStoppingGatewayRefusesNewCallsKeepsTheOthersThenEndsThem() async throws {
        let gw = try await TestGateway.make()
        let (_, trunk, number) = try await CallAdmissionTests.busyQueueWithTrunk(gw)
        let calls = gw.services.calls
        for caller in ["+15550001", "+15550002"] {
            _ = try await calls.startFromPhone(
                trunk: trunk, number: number, caller: caller, offer: CallAdmissionTests.offer)
        }
        #expect(await calls.activeCallCount == 2)

        await calls.stopTakingCalls()
        await #expect(
            throws: CallRefusal(
                .serviceUnavailable.withDescription(
                    "The gateway is shutting down and takes no new calls."))
        ) {
            _ = try await calls.startFromPhone(
                trunk: trunk, number: number, caller: "+15550003", offer: CallAdmissionTests.offer)
        }
        #expect(await calls.activeCallCount == 2, "the callers already waiting keep waiting")
        try await gw.withClient { client in
            let health = try await client.call(.get, "/health", key: nil)
            #expect(health.status == .serviceUnavailable)
            #expect(health.json["status"]?.stringValue == "DRAINING" && health.json["callsInProgress"]?.intValue == 2)
        }

        await calls.endAllCalls()
        #expect(await calls.activeCallCount == 0)
        let records = try await calls.calls(conversationId: nil)
        #expect(records.count == 2)
        for record in records {
            #expect(record.state == .FAILED && record.endedAt != nil, "\(record)")
            #expect(record.hangupCode == .gatewayStopping && record.hangupCode?.id == 10503)
        }
        try await gw.close()
    }

    @Test func theNextStartClosesTheCallsADeadGatewayLeftInProgress() async throws {
        let gw = try await TestGateway.make()
        // Whole seconds: the store keeps dates to the millisecond.
        let started = Date(timeIntervalSince1970: (gw.clock.now().timeIntervalSince1970 - 120).rounded(.down))
        func record(_ id: String, _ state: CallState, answered: Bool) -> CallRecord {
            CallRecord(
                id: id, conversationId: "conversation-\(id)", direction: "INBOUND", caller: "+15550001",
                callee: "agent", agentId: "agent", queueId: nil, state: state, video: false,
                hangupCode: state == .FINISHED ? .normalHangup : nil, createdAt: started, updatedAt: started,
                answeredAt: answered ? started : nil, endedAt: state == .FINISHED ? started : nil)
        }
        let before = [
            record("talking", .ESTABLISHED, answered: true), record("ringing", .RINGING, answered: false),
            record("early", .PRE_ESTABLISHED, answered: false), record("done", .FINISHED, answered: true),
        ]
        for call in before { try await gw.store.save(call) }
        try await gw.close()

        let again = try await TestGateway.make(directory: gw.directory)
        var after: [String: CallRecord] = [:]
        for call in try await again.services.calls.calls(conversationId: nil) { after[call.id] = call }
        #expect(after["talking"]?.state == .FINISHED && after["talking"]?.hangupCode == .gatewayStopped)
        #expect(after["ringing"]?.state == .FAILED && after["ringing"]?.hangupCode == .gatewayStopped)
        #expect(after["early"]?.state == .FAILED && after["early"]?.endedAt != nil)
        #expect(after["done"] == before[3], "a call that had ended is left as it was")
        #expect(try await again.services.calls.closeCallsOfPreviousRun() == 0, "closed once")
        try await again.close()
    }
}
