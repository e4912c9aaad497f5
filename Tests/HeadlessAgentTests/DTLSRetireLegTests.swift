import Foundation
import Synchronization
import Testing

@testable import ClientMedia
@testable import Media

/// A gateway leg releases OpenSSL's DTLS session once the peer's first SRTP arrives (about 40
/// KiB per leg) and keeps only the record keys: close_notify must still go both ways.
@Suite struct DTLSRetireLegTests {
    @Test(arguments: [true, false])
    func aLegReleasesDTLSOnceMediaFlowsAndCloseNotifyStillGoesBothWays(gatewayCloses: Bool) async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48200...48299), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let events = Mutex<[LegEvent]>([])
        let (gatewayLeg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 440), recorder: nil)
        try await loop.submit { gatewayLeg.onEvent = { event in events.withLock { $0.append(event) } } }.get()
        #expect(
            await ClientLegTests.eventually(5) { (try? await loop.submit { gatewayLeg.dtlsRetired }.get()) == true },
            "released once the client's SRTP came")
        #expect(try await loop.submit { gatewayLeg.counters.rtpReceived }.get() > 0)
        if gatewayCloses {
            gatewayLeg.close()
            #expect(
                await ClientLegTests.eventually(5) {
                    (try? await client.eventLoop.submit { client.closedByPeer }.get()) == true
                }, "the client read the gateway's close_notify")
            _ = await client.close()
        } else {
            _ = await client.close()
            #expect(
                await ClientLegTests.eventually(5) { events.withLock { $0.contains(.closedByPeer) } },
                "the gateway read the client's close_notify")
            gatewayLeg.close()
        }
        try await engine.shutdown()
        try await media.shutdown()
    }
}
