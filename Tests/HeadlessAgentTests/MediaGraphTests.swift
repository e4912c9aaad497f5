import Codecs
import Foundation
import NIOCore
import NIOPosix
import RTP
import Synchronization
import TestSupport
import Testing

@testable import ClientMedia
@testable import HeadlessAgent
@testable import Media
@testable import SDP

/// A call's media graph with real legs on loopback: a WebRTC caller (a client leg sending a
/// 660 Hz tone) and a trunk leg towards a plain UDP socket that plays the phone (sending 1 kHz
/// in PCMU). A prompt plays to the caller before anyone is connected, then the two are
/// connected, then music plays to the trunk and stops. Each receiver must hear one stream.
@Suite struct MediaGraphTests {
    @Test func legsArePlayedToConnectedAndPlayedToAgainAsOneStreamEach() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47300...47399), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)

        // The caller: the gateway's WebRTC leg and a client leg that sends 660 Hz.
        let recorder = try AudioRecorder()
        let (callerLeg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 660), recorder: recorder)

        // The phone: a UDP socket sending 1 kHz PCMU, and the gateway's trunk leg towards it.
        let phone = try await FakePhone.start()
        let trunkLeg = try await media.makeRTPLeg(on: loop)
        let pcmu = Codec(payloadType: 0, name: "pcmu", clockRate: 8000)
        let negotiation = PlainNegotiation(
            codec: pcmu, telephoneEvent: nil,
            remote: PlainAudio(
                address: "127.0.0.1", port: phone.port, rtcpPort: phone.port + 1, codecs: [pcmu], direction: "sendrecv"
            ))
        try await loop.submit { try trunkLeg.configure(negotiation, rtpTimeout: 30, symmetric: false) }.get()
        phone.send(to: trunkLeg.port)

        graph.attach("caller", .webRTC(callerLeg))
        graph.attach("phone", .rtp(trunkLeg))
        func heardByCaller() async -> Int { await client.figures().packetsReceived }

        // A prompt to the caller alone, then connected: the prompt goes on until stopped.
        graph.play(try EncodedAudio.tone(frequency: 440), to: "caller")
        #expect(await ClientLegTests.eventually(5) { await heardByCaller() >= 40 })
        try await graph.connect("caller", "phone")
        #expect(await ClientLegTests.eventually(5) { phone.received.count >= 30 })
        let promptEnd = await heardByCaller()
        graph.stop(playingTo: "caller")
        #expect(await ClientLegTests.eventually(5) { await heardByCaller() >= promptEnd + 50 })

        // Music to the phone instead of the caller, then the caller again.
        // Each packet the phone hears is told by its own tone: when the loop carries out a command
        // depends on the machine's load, so the test waits for what it hears, not for counts.
        func isMusic(_ packet: FakePhone.Packet) -> Bool {
            let audio = packet.payload.map { G711.ulawTable[Int($0)] }
            return power(audio, 880, 8000) > power(audio, 660, 8000)
        }
        let musicStart = phone.received.count
        graph.play(try EncodedAudio.tone(frequency: 880), to: "phone")
        #expect(await ClientLegTests.eventually(5) { phone.received.dropFirst(musicStart).filter(isMusic).count >= 40 })
        graph.stop(playingTo: "phone")
        #expect(
            await ClientLegTests.eventually(5) {
                let heard = phone.received
                return heard.count - (heard.lastIndex(where: isMusic) ?? heard.count) > 40
            })
        let snapshot = try await graph.snapshot()
        #expect(snapshot.legs == ["caller", "phone"] && snapshot.connections == ["caller+phone"])
        #expect(snapshot.playing.isEmpty)

        graph.close()
        let figures = await client.close()
        phone.close()

        // The caller heard one stream: nothing lost across prompt → phone.
        #expect(figures.lost == 0, "sequence numbers go on across the change of source")
        let samples = try await client.eventLoop.submit { recorder.samples }.get()
        let prompt = Array(samples[4800..<(promptEnd - 5) * 960])
        let phoneAudio = Array(samples[(samples.count - 30 * 960)...])
        #expect(power(prompt, 440, 48000) > 100 * power(prompt, 1000, 48000))
        #expect(power(phoneAudio, 1000, 48000) > 100 * power(phoneAudio, 440, 48000))

        // The phone heard one stream too: one SSRC, sequence numbers without a gap, timestamps
        // going forward, the caller's 660 Hz, then the music, then the caller again.
        let packets = phone.received
        #expect(Set(packets.map(\.ssrc)).count == 1)
        #expect(zip(packets, packets.dropFirst()).allSatisfy { $1.sequence == $0.sequence &+ 1 })
        #expect(zip(packets, packets.dropFirst()).allSatisfy { Int32(bitPattern: $1.timestamp &- $0.timestamp) >= 160 })
        let music = packets.indices.dropFirst(5).filter { isMusic(packets[$0]) }
        let first = try #require(music.first), last = try #require(music.last)
        #expect(music == Array(first...last), "the music is one run of packets")
        #expect(first >= musicStart && music.count >= 40)
        #expect(packets[first].marker, "a talk-spurt starts with the music")
        func audio(_ range: Range<Int>) -> [Int16] {
            packets[range].flatMap { $0.payload.map { G711.ulawTable[Int($0)] } }
        }
        let before = audio(5..<first), after = audio(last + 1..<packets.count)
        #expect(power(before, 660, 8000) > 100 * power(before, 880, 8000))
        #expect(power(after, 660, 8000) > 100 * power(after, 880, 8000))
        try await engine.shutdown()
        try await media.shutdown()
    }

    @Test func connectingALegThatIsNotThereIsRefused() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47400...47409), threads: 1)
        let graph = media.makeGraph(on: media.nextEventLoop())
        await #expect(throws: MediaError.sdp("no leg caller in this call")) { try await graph.connect("caller", "x") }
        await #expect(throws: MediaError.self) { try await graph.sendDigits("1", to: "caller") }
        try await media.shutdown()
    }

    /// A waiting caller's key reaches the call while their leg is in no connection, and again
    /// after a connection ended: once per event, however often its end packet is repeated, even
    /// when its copies straddle a connection.
    @Test func digitsAreHeardFromALegInNoConnection() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47400...47499), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let (callerLeg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 660),
            recorder: try AudioRecorder())
        let phone = try await FakePhone.start()
        let trunkLeg = try await Self.trunkLeg(
            media, on: loop, to: phone, codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000))
        let digits = Mutex<[Character]>([])
        graph.attach("caller", .webRTC(callerLeg))
        graph.attach("phone", .rtp(trunkLeg), onDTMF: { digit in digits.withLock { $0.append(digit) } })
        graph.play(try EncodedAudio.tone(frequency: 440), to: "phone")

        phone.sendEvent(1, timestamp: 8000, to: trunkLeg.port, copies: 1)
        #expect(await ClientLegTests.eventually(5) { digits.withLock { $0 } == ["1"] })
        // The event's other end copies arrive once the leg is connected: the bridge hears them,
        // and they are still the same event.
        try await graph.connect("caller", "phone")
        phone.sendEvent(1, timestamp: 8000, to: trunkLeg.port, copies: 2)
        try await Task.sleep(for: .milliseconds(200))
        graph.disconnect("caller")
        phone.sendEvent(11, timestamp: 16000, to: trunkLeg.port)
        // A later event arrives after every copy of the earlier ones: each was reported once.
        phone.sendEvent(5, timestamp: 24000, to: trunkLeg.port)
        #expect(await ClientLegTests.eventually(5) { digits.withLock { $0 }.count >= 3 })
        #expect(digits.withLock { $0 } == ["1", "#", "5"], "each event once")
        graph.close()
        _ = await client.close()
        phone.close()
    }

    /// Two phones in one call (a phone transferred to a phone): with the same codec the payload
    /// passes untouched under the other leg's stream; PCMU towards a PCMA phone is converted;
    /// digits pass as telephone-events and are reported once.
    @Test func twoTrunkLegsAreRelayedWithoutATranscoder() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47500...47599), threads: 1)
        let loop = media.nextEventLoop()
        let pcmu = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
        let pcma = Codec(payloadType: 8, name: "PCMA", clockRate: 8000)
        for (target, expectedType) in [(pcmu, UInt8(0)), (pcma, UInt8(8))] {
            let digits = Mutex<[Character]>([])
            let (graph, caller, callee, callerLeg, _) = try await Self.twoPhones(
                media, on: loop, caller: pcmu, callee: target, onDTMF: { digit in digits.withLock { $0.append(digit) } }
            )
            #expect(await ClientLegTests.eventually(5) { callee.received.count >= 50 })
            caller.sendEvent(9, timestamp: 123_456, to: callerLeg.port)
            #expect(await ClientLegTests.eventually(5) { digits.withLock { $0 } == ["9"] })
            #expect(await ClientLegTests.eventually(5) { callee.received.contains { $0.payload.first == 9 } })
            let audio = callee.received.filter { $0.payload.count == 160 }
            #expect(Set(audio.map(\.ssrc)).count == 1 && audio.count >= 50)
            #expect(callee.payloadTypes.isSubset(of: [expectedType, 101]) && callee.payloadTypes.contains(101))
            let samples = audio.suffix(25).flatMap { packet in
                packet.payload.map { expectedType == 0 ? G711.ulawTable[Int($0)] : G711.alawTable[Int($0)] }
            }
            #expect(power(samples, 1000, 8000) > 100 * power(samples, 440, 8000), "the caller's 1 kHz")
            if expectedType == 0 {
                let tone = ToneAnalysis.tone(1000, rate: 8000, from: 0, count: 8000).map { G711.ulaw($0) }
                #expect(audio.allSatisfy { packet in tone.contains(packet.payload[0]) }, "PCMU passes untouched")
            }
            graph.close()
            caller.close()
            callee.close()
        }
        try await media.shutdown()
    }

    /// A re-INVITE that changes a phone's codec (PCMU to PCMA, payload type 8) changes what the
    /// relay sends it from the next packet: the bridge derives its crossing again.
    @Test func aPhoneThatChangesItsCodecIsRelayedInTheNewOne() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47700...47799), threads: 1)
        let loop = media.nextEventLoop()
        let pcmu = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
        let pcma = Codec(payloadType: 8, name: "PCMA", clockRate: 8000)
        let (graph, caller, callee, _, calleeLeg) = try await Self.twoPhones(
            media, on: loop, caller: pcmu, callee: pcmu)
        #expect(await ClientLegTests.eventually(5) { callee.received.count >= 10 })
        #expect(callee.payloadTypes == [0])
        let reoffer = PlainNegotiation(
            codec: pcma, telephoneEvent: nil,
            remote: PlainAudio(
                address: "127.0.0.1", port: callee.port, rtcpPort: callee.port + 1, codecs: [pcma],
                direction: "sendrecv"))
        try await loop.submit { try calleeLeg.configure(reoffer, rtpTimeout: 30, symmetric: false) }.get()
        let before = callee.received.count
        #expect(await ClientLegTests.eventually(5) { callee.received.count >= before + 25 })
        let after = callee.received.dropFirst(before + 2)
        #expect(!after.isEmpty && after.allSatisfy { $0.payloadType == 8 }, "\(callee.payloadTypes)")
        let samples = after.suffix(20).flatMap { $0.payload.map { G711.alawTable[Int($0)] } }
        #expect(power(samples, 1000, 8000) > 100 * power(samples, 440, 8000), "the caller's 1 kHz, as A-law")
        graph.close()
        caller.close()
        callee.close()
        try await media.shutdown()
    }

    /// One sweeper per loop checks its trunk legs: a leg whose phone stays silent past its RTP
    /// timeout fails and leaves the sweeper; a closed one leaves it too, and the other goes on.
    @Test func aSilentPhoneTimesOutAndClosedLegsLeaveTheSweeper() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47800...47899), threads: 1)
        let loop = media.nextEventLoop()
        let pcmu = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
        let silent = try await FakePhone.start()
        let talking = try await FakePhone.start()
        let failures = Mutex<[String]>([])
        let timedOut = try await Self.trunkLeg(media, on: loop, to: silent, codec: pcmu)
        let kept = try await Self.trunkLeg(media, on: loop, to: talking, codec: pcmu)
        let sweeper = media.sweeper(of: loop)
        // Counted before the short timeout is set: a busy test run may take half a second to the
        // next look.
        #expect(try await loop.submit { sweeper.count }.get() == 2)
        try await loop.submit {
            timedOut.onEvent = { event in
                if case .failed(let reason) = event { failures.withLock { $0.append(reason) } }
            }
            let negotiation = try #require(timedOut.negotiation)
            try timedOut.configure(negotiation, rtpTimeout: 0.5, symmetric: false)
        }.get()
        talking.send(to: kept.port)
        #expect(await ClientLegTests.eventually(5) { !failures.withLock { $0 }.isEmpty })
        #expect(failures.withLock { $0 }.first?.hasPrefix("RTP timeout") == true)
        #expect(try await loop.submit { sweeper.count }.get() == 1, "the failed leg left, the talking one stays")
        kept.close()
        #expect(await ClientLegTests.eventually(5) { (try? await loop.submit { sweeper.count }.get()) == 0 })
        timedOut.close()
        silent.close()
        talking.close()
        try await media.shutdown()
    }

    /// A codec named in upper case (as SDP writes it) is the same codec to the media layer: music
    /// reaches a trunk leg negotiated with "PCMU".
    @Test func musicReachesATrunkLegWhoseCodecWasNamedInUpperCase() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 48130...48139), threads: 1)
        let loop = media.nextEventLoop()
        let phone = try await FakePhone.start()
        let leg = try await Self.trunkLeg(
            media, on: loop, to: phone, codec: Codec(payloadType: 0, name: "PCMU", clockRate: 8000))
        let graph = media.makeGraph(on: loop)
        graph.attach("phone", .rtp(leg))
        graph.play(try EncodedAudio.tone(frequency: 440), to: "phone")
        #expect(await ClientLegTests.eventually(5) { phone.received.count >= 25 }, "the phone hears the music")
        #expect(phone.payloadTypes == [0])
        graph.close()
        try await media.shutdown()
    }

    @Test func codecsThatNeedATranscoderAreNotRelayedBetweenTrunks() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47600...47699), threads: 1)
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let opus = Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)
        let pcmu = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
        var legs: [RTPLeg] = []
        for codec in [opus, pcmu] {
            let leg = try await media.makeRTPLeg(on: loop)
            let negotiation = PlainNegotiation(
                codec: codec, telephoneEvent: nil,
                remote: PlainAudio(address: "127.0.0.1", port: 9, rtcpPort: 10, codecs: [codec], direction: "sendrecv"))
            try await loop.submit { try leg.configure(negotiation, rtpTimeout: 30, symmetric: false) }.get()
            legs.append(leg)
        }
        graph.attach("a", .rtp(legs[0]))
        graph.attach("b", .rtp(legs[1]))
        await #expect(throws: MediaError.self) { try await graph.connect("a", "b") }
        graph.close()
        try await media.shutdown()
    }

    /// Two phones in one call through two trunk legs connected in a graph, the caller sending its
    /// 1 kHz tone; `onDTMF` hears the caller's digits.
    static func twoPhones(
        _ media: MediaEngine, on loop: any EventLoop, caller callerCodec: Codec, callee calleeCodec: Codec,
        onDTMF: (@Sendable (Character) -> Void)? = nil
    ) async throws -> (graph: MediaGraph, caller: FakePhone, callee: FakePhone, callerLeg: RTPLeg, calleeLeg: RTPLeg) {
        let graph = media.makeGraph(on: loop)
        let caller = try await FakePhone.start()
        let callee = try await FakePhone.start()
        let callerLeg = try await trunkLeg(media, on: loop, to: caller, codec: callerCodec)
        let calleeLeg = try await trunkLeg(media, on: loop, to: callee, codec: calleeCodec)
        graph.attach("caller", .rtp(callerLeg), onDTMF: onDTMF)
        graph.attach("callee", .rtp(calleeLeg))
        try await graph.connect("caller", "callee")
        caller.send(to: callerLeg.port)
        return (graph, caller, callee, callerLeg, calleeLeg)
    }

    /// A trunk leg towards `phone`, negotiated with `codec` and telephone-event 101.
    static func trunkLeg(_ media: MediaEngine, on loop: any EventLoop, to phone: FakePhone, codec: Codec)
        async throws -> RTPLeg
    {
        let leg = try await media.makeRTPLeg(on: loop)
        let events = Codec(payloadType: 101, name: "telephone-event", clockRate: 8000, fmtp: "0-15")
        let negotiation = PlainNegotiation(
            codec: codec, telephoneEvent: events,
            remote: PlainAudio(
                address: "127.0.0.1", port: phone.port, rtcpPort: phone.port + 1, codecs: [codec, events],
                direction: "sendrecv"))
        try await loop.submit { try leg.configure(negotiation, rtpTimeout: 30, symmetric: false) }.get()
        phone.hearOnly(from: leg.port)
        return leg
    }

    private func power(_ samples: [Int16], _ frequency: Double, _ rate: Double) -> Double {
        ToneAnalysis.power(samples, frequency: frequency, rate: rate)
    }
}

/// A phone on a plain UDP socket: sends a 1 kHz PCMU tone every 20 ms, keeps what it receives.
final class FakePhone: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    struct Packet: Sendable {
        let ssrc: UInt32
        let sequence: UInt16
        let timestamp: UInt32
        let marker: Bool
        let payloadType: UInt8
        let payload: [UInt8]
    }

    private let packets = Mutex<[Packet]>([])
    private let channel = Mutex<(any Channel)?>(nil)
    private let sender = Mutex<RepeatedTask?>(nil)
    var received: [Packet] { packets.withLock { $0 } }
    var payloadTypes: Set<UInt8> { packetTypes.withLock { $0 } }
    private let packetTypes = Mutex<Set<UInt8>>([])
    var port: Int { channel.withLock { $0?.localAddress?.port ?? 0 } }
    /// The one port the phone hears from, once set: a real phone takes media from the address it
    /// negotiated. Tests run in parallel on loopback, so a datagram from another test's leg can
    /// reach an ephemeral port that was once its phone's.
    private let gatewayPort = Mutex<Int?>(nil)
    /// Datagrams from any other source, dropped: (port, first bytes).
    var foreign: [(port: Int, bytes: [UInt8])] { foreignDatagrams.withLock { $0 } }
    private let foreignDatagrams = Mutex<[(port: Int, bytes: [UInt8])]>([])

    /// From now on, keeps only datagrams from 127.0.0.1:`port`.
    func hearOnly(from port: Int) { gatewayPort.withLock { $0 = port } }

    /// A phone on a loop of NIO's (a media loop has no NIO channels).
    static func start() async throws -> FakePhone {
        let phone = FakePhone()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(phone) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        phone.channel.withLock { $0 = channel }
        return phone
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let source = envelope.remoteAddress.port ?? 0
        if let expected = gatewayPort.withLock({ $0 }), source != expected {
            foreignDatagrams.withLock { $0.append((source, Array(bytes.prefix(12)))) }
            return
        }
        guard let header = bytes.withUnsafeBytes({ try? RTPHeader.parse($0) }) else { return }
        let packet = Packet(
            ssrc: header.ssrc, sequence: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
            payloadType: header.payloadType,
            payload: Array(bytes[header.payloadOffset..<header.payloadOffset + header.payloadLength]))
        packets.withLock { $0.append(packet) }
        _ = packetTypes.withLock { $0.insert(header.payloadType) }
    }

    /// Starts sending 1 kHz to `port` on loopback.
    func send(to port: Int) {
        guard let channel = channel.withLock({ $0 }), let to = try? SocketAddress(ipAddress: "127.0.0.1", port: port)
        else { return }
        let tone = ToneAnalysis.tone(1000, rate: 8000, from: 0, count: 8000)
        let state = Mutex((sequence: UInt16(1), timestamp: UInt32(0)))
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { _ in
            let (sequence, timestamp) = state.withLock { state in
                defer { state = (state.sequence &+ 1, state.timestamp &+ 160) }
                return state
            }
            var packet: [UInt8] = [0x80, 0, UInt8(sequence >> 8), UInt8(sequence & 0xff)]
            packet += withUnsafeBytes(of: timestamp.bigEndian, Array.init) + [0, 0, 0, 7]
            let start = Int(timestamp) % 8000
            packet += (0..<160).map { G711.ulaw(tone[(start + $0) % 8000]) }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: packet)), promise: nil)
        }
        sender.withLock { $0 = task }
    }

    /// Sends the end of RFC 4733 event `code` `copies` times (senders send it three times) to
    /// `port` on loopback.
    func sendEvent(_ code: UInt8, timestamp: UInt32, to port: Int, copies: Int = 3) {
        guard let channel = channel.withLock({ $0 }), let to = try? SocketAddress(ipAddress: "127.0.0.1", port: port)
        else { return }
        for copy in 0..<copies {
            let sequence = UInt16(40_000 + Int(code) * 4 + copy)
            var packet: [UInt8] = [0x80, 101, UInt8(sequence >> 8), UInt8(sequence & 0xff)]
            packet += withUnsafeBytes(of: timestamp.bigEndian, Array.init) + [0, 0, 0, 7]
            packet += [code, 0x80 | 10, 0x05, 0x00]
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: packet)), promise: nil)
        }
    }

    func close() {
        sender.withLock { $0?.cancel() }
        channel.withLock { $0?.close(promise: nil) }
    }
}
