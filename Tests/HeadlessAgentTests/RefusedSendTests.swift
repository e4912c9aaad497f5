import NIOCore
import NIOPosix
import SDP
import TestSupport
import Testing

@testable import ClientMedia
@testable import Media

/// A datagram the kernel refuses to send (EINVAL here: port 0) costs only itself. The gateway's
/// media loops write their sockets themselves: a loop's shared WebRTC socket and a trunk leg's
/// sockets stay open and their legs go on. A headless agent's leg, which NIO writes, has its
/// channel closed by NIO on such a send; its port is bound again and media goes on. Each test has
/// a port range no other test uses: a port freed by a close must not be taken by another engine.
@Suite struct RefusedSendTests {
    /// A datagram the kernel refuses on the shared socket is dropped and counted, alone or in the
    /// middle of a batch, and the socket's leg goes on being heard.
    @Test func aSendTheKernelRefusesCostsOnlyThatDatagram() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48100...48109), threads: 1)
        let (engine, loop, leg, client, graph) = try await Self.clientHearingMusic(media)

        try await loop.submit {
            // Port 0: EINVAL. Once alone, once in the middle of a batch.
            let refused = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
            leg.socket.send(ByteBuffer(bytes: [0]), to: refused)
            leg.socket.beginBatch()
            leg.socket.send(ByteBuffer(bytes: [1]), to: refused)
            leg.socket.endBatch()
        }.get()
        #expect(media.statistics.sendsRefused.load(ordering: .relaxed) == 2)
        #expect(await Self.goesOnHearing(client), "the client goes on hearing the music")

        graph.close()
        _ = await client.close()
        try await engine.shutdown()
        try await media.shutdown()
    }

    /// A trunk leg sent towards an address the kernel refuses (a re-INVITE naming port 0) drops
    /// and counts what it sends; sent back to the phone, the phone hears the music again and the
    /// leg hears the phone. Closing the leg then frees its port.
    @Test func aTrunkLegGoesOnAfterRefusedSends() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48110...48119), threads: 1)
        let loop = media.nextEventLoop()
        let phone = try await FakePhone.start()
        let pcmu = Codec(payloadType: 0, name: "pcmu", clockRate: 8000)
        let leg = try await MediaGraphTests.trunkLeg(media, on: loop, to: phone, codec: pcmu)
        phone.send(to: leg.port)
        let graph = media.makeGraph(on: loop)
        graph.attach("phone", .rtp(leg))
        graph.play(try EncodedAudio.tone(frequency: 440), to: "phone")
        #expect(await ClientLegTests.eventually(5) { phone.received.count >= 25 })

        func toward(_ port: Int) async throws {
            let negotiation = PlainNegotiation(
                codec: pcmu, telephoneEvent: nil,
                remote: PlainAudio(
                    address: "127.0.0.1", port: port, rtcpPort: port + 1, codecs: [pcmu], direction: "sendrecv"))
            try await loop.submit { try leg.configure(negotiation, rtpTimeout: 30, symmetric: false) }.get()
        }
        try await toward(0)
        #expect(await ClientLegTests.eventually(5) { media.statistics.sendsRefused.load(ordering: .relaxed) >= 10 })
        try await toward(phone.port)
        let heard = phone.received.count
        let received = try await loop.submit { leg.counters.rtpReceived }.get()
        #expect(await ClientLegTests.eventually(5) { phone.received.count >= heard + 50 }, "the phone hears the music")
        #expect(
            await ClientLegTests.eventually(5) {
                (try? await loop.submit { leg.counters.rtpReceived }.get()) ?? 0 >= received + 50
            }, "the leg hears the phone")

        graph.close()
        #expect(
            await ClientLegTests.eventually(5) {
                guard
                    let taken = try? await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .bind(host: "127.0.0.1", port: leg.port).get()
                else { return false }
                try? await taken.close()
                return true
            }, "the closed leg's port is free")
        phone.close()
        try await media.shutdown()
    }

    /// A headless agent's leg (its own socket, an ephemeral port) is bound again on its port: it
    /// goes on hearing the gateway, and the gateway hearing it.
    @Test func aClientLegsPortIsBoundAgain() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48120...48129), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let (leg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 660), recorder: nil)
        let graph = media.makeGraph(on: loop)
        graph.attach("a", .webRTC(leg))
        graph.play(try EncodedAudio.tone(frequency: 440), to: "a")
        #expect(await ClientLegTests.eventually(5) { await client.figures().packetsReceived >= 25 })

        let clientPort = client.local.port
        try await Self.refuseASend(on: client.eventLoop, of: { client.channel })
        #expect(
            await ClientLegTests.eventually(5) {
                (try? await client.eventLoop.submit { client.channel.localAddress?.port }.get()) == clientPort
            }, "bound again on its port")
        let heard = await client.figures().packetsReceived
        let gatewayHeard = try await loop.submit { leg.counters.rtpReceived }.get()
        #expect(await ClientLegTests.eventually(5) { await client.figures().packetsReceived >= heard + 50 })
        #expect(
            await ClientLegTests.eventually(5) {
                (try? await loop.submit { leg.counters.rtpReceived }.get()) ?? 0 >= gatewayHeard + 50
            }, "the gateway hears the client")

        graph.close()
        _ = await client.close()
        try await engine.shutdown()
        try await media.shutdown()
    }

    /// A gateway leg on `media`'s loop playing music to a headless client that hears it:
    /// (client engine, loop, leg, client, graph).
    static func clientHearingMusic(_ media: MediaEngine) async throws -> (
        ClientMediaEngine, any EventLoop, WebRTCLeg, ClientLeg, MediaGraph
    ) {
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let (leg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: nil, recorder: nil)
        let graph = media.makeGraph(on: loop)
        graph.attach("a", .webRTC(leg))
        graph.play(try EncodedAudio.tone(frequency: 440), to: "a")
        #expect(await ClientLegTests.eventually(5) { await client.figures().packetsReceived >= 25 })
        return (engine, loop, leg, client, graph)
    }

    /// Whether `client` hears 50 more packets within 5 s.
    static func goesOnHearing(_ client: ClientLeg) async -> Bool {
        let heard = await client.figures().packetsReceived
        return await ClientLegTests.eventually(5) { await client.figures().packetsReceived >= heard + 50 }
    }

    /// Sends, on `loop`, one datagram the kernel refuses (EINVAL: port 0) straight to the channel
    /// `channel()` reads then, and waits until NIO has closed it.
    static func refuseASend(on loop: any EventLoop, of channel: @escaping @Sendable () -> any Channel) async throws {
        let closed = try await loop.submit { () -> EventLoopFuture<Void> in
            let current = channel()
            let refused = AddressedEnvelope(
                remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 0), data: ByteBuffer(bytes: [0]))
            current.writeAndFlush(refused, promise: nil)
            return current.closeFuture
        }.get()
        try await closed.get()
    }
}
