import Foundation
import NIOCore
import Testing

@testable import Media
@testable import SDP

/// A trunk behind NAT with symmetric RTP: its SDP names an address the gateway cannot reach (here
/// the discard port), and its media comes from another. The leg sends back to where media comes
/// from once that source passed probation, and a re-INVITE naming the same address (hold, resume)
/// keeps it so. Two real trunk legs on loopback, relayed to each other.
@Suite struct SymmetricRTPTests {
    @Test func aLatchedLegKeepsSendingWhereMediaComesFromAcrossAReINVITE() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48300...48399), threads: 1)
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let pcmu = Codec(payloadType: 0, name: "pcmu", clockRate: 8000)
        // The SDP names port 9 (nothing is there); the phone sends from a port of its own.
        let negotiation = PlainNegotiation(
            codec: pcmu, telephoneEvent: nil,
            remote: PlainAudio(address: "127.0.0.1", port: 9, rtcpPort: 10, codecs: [pcmu], direction: "sendrecv"))
        let natted = try await FakePhone.start()
        let nattedLeg = try await media.makeRTPLeg(on: loop)
        try await loop.submit { try nattedLeg.configure(negotiation, rtpTimeout: 30, symmetric: true) }.get()
        natted.hearOnly(from: nattedLeg.port)
        let other = try await FakePhone.start()
        let otherLeg = try await MediaGraphTests.trunkLeg(media, on: loop, to: other, codec: pcmu)
        graph.attach("natted", .rtp(nattedLeg))
        graph.attach("other", .rtp(otherLeg))
        try await graph.connect("natted", "other")
        other.send(to: otherLeg.port)
        natted.send(to: nattedLeg.port)

        #expect(await ClientLegTests.eventually(5) { natted.received.count >= 25 }, "latched: media comes back")
        #expect(await ClientLegTests.eventually(5) { other.received.count >= 25 })
        #expect(
            await ClientLegTests.eventually(5) { media.statistics.relayDelay.count >= 50 },
            "the legs' datagrams were timed from their arrival")
        // A re-INVITE with the same SDP: still sent where the media comes from, still taken.
        try await loop.submit { try nattedLeg.configure(negotiation, rtpTimeout: 30, symmetric: true) }.get()
        let (heard, relayed) = (natted.received.count, other.received.count)
        #expect(await ClientLegTests.eventually(5) { natted.received.count >= heard + 25 }, "after the re-INVITE")
        #expect(await ClientLegTests.eventually(5) { other.received.count >= relayed + 25 })

        natted.close()
        other.close()
        graph.close()
        try await media.shutdown()
    }
}
