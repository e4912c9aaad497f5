import ContactCenter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Testing

@testable import Calls
@testable import GatewayServer

/// What the phone network was asked to do, in order.
actor RecordingPhoneNetwork: PhoneNetwork {
    enum Command: Equatable {
        case dial(callId: String, to: String, callerId: String)
        case answer(String)
        case hangup(String, code: String)
        case other(String)
    }

    private(set) var commands: [Command] = []

    func dial(callId: String, trunk: SIPTrunk, to number: String, callerId: String, sdp: String) {
        commands.append(.dial(callId: callId, to: number, callerId: callerId))
    }
    func ringing(callId: String) { commands.append(.other("ringing")) }
    func answer(callId: String, sdp: String) { commands.append(.answer(callId)) }
    func reject(callId: String, status: Int, reason: String) { commands.append(.other("reject \(status)")) }
    func hangup(callId: String, reason: HangupCode) { commands.append(.hangup(callId, code: reason.name)) }
    func reoffer(callId: String, sdp: String) { commands.append(.other("reoffer")) }

    var dials: [(callId: String, to: String, callerId: String)] {
        commands.compactMap { if case .dial(let id, let to, let from) = $0 { (id, to, from) } else { nil } }
    }
}

/// A phone caller presses the CALLBACK key during the announcement: the request is stored with
/// the caller's place, survives a restart, waits among the queue's calls, and at its turn the
/// gateway dials the customer from the number they called; a customer who does not answer is
/// tried again, then given up.
@Suite struct CallbackRequestTests {
    /// The called-back phone's SDP answer.
    static let phoneAnswer =
        "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

    static let strategy =
        #"{"name":"W","maximumWaitTime":{"unit":"MINUTES","value":10},"conditionType":"QUEUE","condition":{"queues":["QUEUE"]},"announcementMessage":{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"Press 1 to be called back.","language":"en","voice":{"name":"A","gender":"FEMALE"},"speechRate":1.0},"repeatInterval":{"unit":"SECONDS","value":30},"collectables":[{"code":"1","action":"CALLBACK","value":"callback"}]},"callbackConfirmationMessage":{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"We will call you back.","language":"en","voice":{"name":"A","gender":"FEMALE"},"speechRate":1.0}}}"#

    /// A caller of the busy queue asks for a callback and hangs up; returns the queue, trunk and
    /// the agent who is busy.
    static func requestCallback(_ gw: TestGateway, network: RecordingPhoneNetwork) async throws -> (
        queue: Queue, trunk: SIPTrunk, number: SIPTrunkNumber
    ) {
        let (queue, trunk, number) = try await CallAdmissionTests.busyQueueWithTrunk(gw)
        try await gw.withClient { client in
            let created = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body: strategy.replacingOccurrences(of: "QUEUE\"]", with: "\(queue.id)\"]"))
            #expect(created.status == .ok, "\(created.text)")
        }
        let calls = gw.services.calls
        await calls.attach(phoneNetwork: network)
        let (callId, _) = try await calls.startFromPhone(
            trunk: trunk, number: number, caller: "+15550001", offer: CallAdmissionTests.offer)
        gw.clock.advance(by: 5)
        await calls.phoneDTMF(callId, digit: "1")
        #expect(try await calls.callbackRequests(status: .PENDING).isEmpty, "no key before the announcement")
        await calls.input(callId, .announcement(playing: true))
        await calls.phoneDTMF(callId, digit: "1")
        let pending = try await calls.callbackRequests(status: .PENDING)
        #expect(pending.count == 1)
        #expect(pending.first?.customer == "+15550001" && pending.first?.callerId == "+15550100")
        #expect(await calls.activeCallCount == 1, "the confirmation plays")
        gw.clock.advance(by: 5)
        await calls.tick()
        #expect(await calls.activeCallCount == 0)
        #expect(await network.commands.contains(.hangup(callId, code: "CALLBACK_REQUESTED")))
        return (queue, trunk, number)
    }

    @Test func aCallbackKeepsItsPlaceAcrossARestartAndCallsTheCustomerBack() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-test-\(UUID().uuidString)")
        let first = try await TestGateway.make(directory: folder)
        let network = RecordingPhoneNetwork()
        let (queue, _, _) = try await Self.requestCallback(first, network: network)
        try await first.close()

        let gw = try await TestGateway.make(directory: folder)
        let calls = gw.services.calls
        await calls.attach(phoneNetwork: network)
        let waiting = await calls.waitingCalls()
        #expect(waiting.count == 1 && waiting.first?["callback"] == .bool(true), "\(waiting)")
        #expect(waiting.first?["queueId"]?.stringValue == queue.id)
        try await gw.withClient { client in
            let listed = try await client.call(.get, "/ccaas/voice/2/callbacks?status=PENDING", key: gw.key)
            #expect(listed.status == .ok && listed.json["total"] == .int(1), "\(listed.text)")
            let bad = try await client.call(.get, "/ccaas/voice/2/callbacks?status=LATER", key: gw.key)
            #expect(bad.status == .badRequest, "\(bad.text)")
        }

        // Alice, the queue's agent, is free: the callback takes her and the customer is dialled.
        let alice = try #require(try await gw.cc.agentIds(inQueue: queue.id).first)
        await gw.cc.registry.connected(agentId: alice)
        gw.clock.advance(by: 3)
        await calls.tick()
        let dial = try #require(await network.dials.last)
        #expect(dial.to == "+15550001" && dial.callerId == "+15550100", "from the number the customer called")
        #expect(try await calls.callbackRequests(status: .CALLING).count == 1)
        await calls.phoneAnswered(dial.callId, sdp: Self.phoneAnswer)
        let done = try await calls.callbackRequests(status: .COMPLETED)
        #expect(done.count == 1 && done.first?.attempts == 1 && done.first?.lastCallId == dial.callId)
        let record = try #require(try await calls.calls(conversationId: done.first!.conversationId).first)
        #expect(record.id == dial.callId && record.queueId == queue.id)
        try await gw.close()
    }

    @Test func aCustomerWhoDoesNotAnswerIsTriedAgainThenGivenUp() async throws {
        let gw = try await TestGateway.make { $0.callbackAttempts = 2 }
        let network = RecordingPhoneNetwork()
        let (queue, _, _) = try await Self.requestCallback(gw, network: network)
        let calls = gw.services.calls
        let alice = try #require(try await gw.cc.agentIds(inQueue: queue.id).first)
        try await gw.cc.callEnded(agentId: alice)
        try? await gw.cc.clearWrapUp(alice, by: .integration)
        #expect(await gw.cc.registry.hasFreeAgent())
        gw.clock.advance(by: 3)
        await calls.tick()
        let busy = try #require(await network.dials.last)
        await calls.phoneFailed(busy.callId, status: 486, reason: "Busy Here")
        let retry = try #require(try await calls.callbackRequests(status: .PENDING).first)
        #expect(retry.attempts == 1 && retry.lastHangupCode?.name == "BUSY")
        #expect(await gw.cc.registry.hasFreeAgent(), "the agent held for it is free again")
        gw.clock.advance(by: 60)
        _ = await gw.cc.registry.heartbeat(agentId: alice)
        await calls.tick()
        #expect(await network.dials.count == 1, "not before the retry pause")
        gw.clock.advance(by: 61)
        _ = await gw.cc.registry.heartbeat(agentId: alice)
        await calls.tick()
        let again = try #require(await network.dials.last)
        #expect(again.callId != busy.callId)
        await calls.phoneFailed(again.callId, status: 480, reason: "Temporarily Unavailable")
        let failed = try await calls.callbackRequests(status: .FAILED)
        #expect(failed.count == 1 && failed.first?.attempts == 2)
        #expect(await calls.waitingCalls().isEmpty)
        try await gw.close()
    }

    @Test func anInAppCustomerIsOfferedTheCallbackAndMayDeclineIt() async throws {
        let gw = try await TestGateway.make()
        let queue = try await gw.cc.createQueue(
            .object(["name": "Support", "isAutoAssignmentEnabled": true]), by: .integration)
        let alice = try await gw.agent("Alice")
        _ = try await gw.cc.addAgentToQueue(alice.id, .object(["queueId": .string(queue.id)]), by: .integration)
        await gw.cc.registry.connected(agentId: alice.id)
        let now = gw.clock.now()
        let stored = CallbackRequest(
            id: "cb-1", conversationId: "conv-1", queueId: queue.id, customer: "customer-7", clientType: "WEBRTC",
            trunkId: nil, callerId: nil, priority: .NORMAL, waitingSince: now.addingTimeInterval(-60),
            requestedInCallId: "call-0", keys: "1", status: .CALLING, attempts: 0, createdAt: now, updatedAt: now)
        try await gw.store.save(stored)
        let calls = gw.services.calls
        try await calls.restoreCallbacks()
        #expect(try await calls.callbackRequests(status: nil).first?.status == .CALLING, "as stored")
        let now64 = Int64(now.timeIntervalSince1970)
        let token = gw.services.tokens.issue(
            TokenClaims(sub: "customer-7", name: nil, iat: now64, exp: now64 + 3600, jti: UUID().uuidString))
        _ = try await gw.app().test(.live) { client in
            try await client.ws(SignalingEndpoint.path + "?token=\(token)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("welcome")
                gw.clock.advance(by: 3)
                await calls.tick()
                // The frame is read only once the call exists: a missing frame must not hang the test.
                try #require(await calls.activeCallCount == 1)
                let incoming = try #require(try await reader.next("call.incoming"))
                #expect(incoming["customData"]?["callback"] == .bool(true))
                #expect(incoming["customData"]?["callbackId"]?.stringValue == "cb-1")
                #expect(incoming["counterpart"]?["identity"]?.stringValue == queue.id)
                #expect(incoming["conversationId"]?.stringValue == "conv-1")
                let callId = try #require(incoming["callId"]?.stringValue)
                try await outbound.send(#"{"type":"call.decline","callId":"\#(callId)"}"#)
                var retry: CallbackRequest?
                for _ in 0..<100 where retry == nil {
                    retry = try await calls.callbackRequests(status: .PENDING).first
                    if retry == nil { await Task.yield() }
                }
                #expect(
                    retry?.attempts == 1 && retry?.lastHangupCode?.name == "REJECTED", "\(String(describing: retry))")
                #expect(await gw.cc.registry.hasFreeAgent(), "Alice was given back")
            }
        }
        try await gw.close()
    }
}
