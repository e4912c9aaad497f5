import Dispatch
import Glibc
import NIOCore
import NIOPosix
import STUN
import TestSupport
import Testing

@testable import ClientMedia
@testable import Media

/// The WebRTC legs of a media event loop share one socket: each party still hears only its own
/// call, and what comes from an address no leg's ICE agent accepted is dropped and counted.
@Suite struct SharedMediaSocketTests {
    @Test func legsOfALoopShareAPortAndStrangersAreDropped() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47710...47719), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let (legA, clientA) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: nil, recorder: nil)
        let (legB, clientB) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: nil, recorder: nil)
        #expect(legA.local.port == legB.local.port, "one port for the loop's WebRTC legs")
        #expect(legA.local.iceUfrag != legB.local.iceUfrag)

        // Music to A only: A's client hears it, B's does not.
        let graph = media.makeGraph(on: loop)
        graph.attach("a", .webRTC(legA))
        graph.attach("b", .webRTC(legB))
        graph.play(try EncodedAudio.tone(frequency: 440), to: "a")
        #expect(await ClientLegTests.eventually(5) { await clientA.figures().packetsReceived >= 50 })
        #expect(await clientB.figures().packetsReceived == 0, "B's client heard nothing of A's music")

        // A stranger: RTP from an address no leg accepted, and a STUN request for no leg's ufrag.
        let stranger = try await DatagramBootstrap(group: engine.eventLoops[0]).bind(host: "127.0.0.1", port: 0).get()
        let port = try SocketAddress(ipAddress: "127.0.0.1", port: legA.local.port)
        let unlatched = media.statistics.droppedUnlatched.load(ordering: .relaxed)
        let refused = media.statistics.stunRefused.load(ordering: .relaxed)
        let rtp: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 40)
        try await stranger.writeAndFlush(AddressedEnvelope(remoteAddress: port, data: ByteBuffer(bytes: rtp))).get()
        let request = STUNMessage(
            messageClass: .request, transactionID: [UInt8](repeating: 7, count: 12),
            attributes: [(STUNAttribute.username, Array("nosuchleg:peer".utf8))]
        ).serialize()
        try await stranger.writeAndFlush(AddressedEnvelope(remoteAddress: port, data: ByteBuffer(bytes: request))).get()
        #expect(
            await ClientLegTests.eventually(5) {
                media.statistics.droppedUnlatched.load(ordering: .relaxed) > unlatched
                    && media.statistics.stunRefused.load(ordering: .relaxed) > refused
            }, "dropped as unlatched and as a refused STUN request")
        try await stranger.close().get()
        graph.close()
        _ = await clientA.close()
        _ = await clientB.close()
        try await engine.shutdown()
        try await media.shutdown()
    }

    /// The loop reads the socket 32 datagrams at a time and at most `drainLimit` per wake-up: a burst larger than that, queued while the loop
    /// was busy, is read whole over the next wake-ups, every datagram routed (here, dropped as
    /// coming from no leg's address, and counted), and a datagram too large for a read slot is
    /// dropped as malformed.
    @Test func aBurstQueuedWhileTheLoopIsBusyIsReadWhole() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47720...47729), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let (leg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: nil, recorder: nil)
        let burst = SharedMediaSocket.drainLimit + 44
        let unlatched = media.statistics.droppedUnlatched.load(ordering: .relaxed)
        let malformed = media.statistics.droppedMalformed.load(ordering: .relaxed)

        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(sender >= 0)
        defer { close(sender) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(leg.local.port).bigEndian)
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        let busy = DispatchSemaphore(value: 0)
        loop.execute { busy.wait() }
        var sent = 0
        let rtp: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 40)
        let oversized: [UInt8] = [0x80, 111, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 3000)
        for index in 0..<burst {
            let datagram = index == 100 ? oversized : rtp
            let result = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == datagram.count { sent += 1 }
        }
        busy.signal()
        #expect(sent == burst)
        #expect(
            await ClientLegTests.eventually(5) {
                media.statistics.droppedUnlatched.load(ordering: .relaxed) - unlatched >= burst - 1
            })
        // Whatever else might still come in has had its chance.
        try await loop.submit {}.get()
        #expect(media.statistics.droppedUnlatched.load(ordering: .relaxed) - unlatched == burst - 1)
        #expect(media.statistics.droppedMalformed.load(ordering: .relaxed) - malformed == 1)
        _ = await client.close()
        try await engine.shutdown()
        try await media.shutdown()
    }
}
