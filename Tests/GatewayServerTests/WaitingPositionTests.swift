import ContactCenter
import Foundation
import Testing

@testable import Calls
@testable import GatewayServer

/// A spoken announcement says the caller's place in the queue and follows it up: two phone
/// callers wait behind a busy agent; when the first leaves, the second's announcement says 1.
@Suite struct WaitingPositionTests {
    @Test func theSpokenPositionFollowsTheCallerUp() async throws {
        let gw = try await TestGateway.make()
        let (queue, trunk, number) = try await CallAdmissionTests.busyQueueWithTrunk(gw)
        try await gw.withClient { client in
            let strategy = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body:
                    #"{"name":"W","maximumWaitTime":{"unit":"MINUTES","value":10},"conditionType":"QUEUE","condition":{"queues":["\#(queue.id)"]},"announcementMessage":{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"You are number {{QUEUE_POSITION_DEFAULT}} in the queue.","language":"en","voice":{"name":"A","gender":"FEMALE"},"speechRate":1.0},"repeatInterval":{"unit":"SECONDS","value":30}}}"#
            )
            #expect(strategy.status == .ok, "\(strategy.text)")
        }
        let calls = gw.services.calls
        // Each call's wait (strategy found, announcement spoken) is ready when it is admitted.
        let first = try await calls.startFromPhone(
            trunk: trunk, number: number, caller: "+15550001", offer: CallAdmissionTests.offer)
        gw.clock.advance(by: 1)
        let second = try await calls.startFromPhone(
            trunk: trunk, number: number, caller: "+15550002", offer: CallAdmissionTests.offer)
        #expect(await calls.announcedPosition(of: first.0) == 1)
        #expect(await calls.announcedPosition(of: second.0) == 2)

        await calls.phoneEnded(first.0, reason: "BYE")
        gw.clock.advance(by: 3)
        await calls.tick()
        #expect(await calls.announcedPosition(of: second.0) == 1, "the next announcement says the new place")
        try await gw.close()
    }
}
