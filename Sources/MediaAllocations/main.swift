import AllocationCounting
import CallBenchmarkSupport
import ClientMedia
import Codecs
import Foundation
import Media
import NIOCore
import NIOPosix
import SDP
import Synchronization

// Heap allocations per packet on the media event loop, through `Media`'s real legs, bridges and
// players; exits 1 when any scenario allocates. Build it in release: unoptimised code allocates
// for its own reasons (unspecialised generics, coroutine frames) that say nothing of the gateway.
//
//   swift build -c release --product media-allocations && .build/release/media-allocations [packets]
//
// The gateway's legs are up with real ICE, DTLS and SRTP against headless client legs (which send
// nothing of their own and unprotect what they receive); the trunk leg faces a plain UDP socket.
// Packets are built beforehand (SRTP with the client's own context, another SSRC than its
// stream) and handed to the legs' receive functions on the loop, `batch` at a time with a pause
// for the receivers; malloc-interposer's hook counts what the loop's thread allocates inside
// each batch, from the leg's receive to the socket write towards the other party. A player is
// ticked on the loop the same way. The first packets of each direction are not counted (a bridge
// builds its payload-type table, a leg its stream state, at the first packet). The media loop's
// own read before a leg's receive (`recvmmsg` into the loop's preallocated slots, the source
// taken as bytes) allocates nothing either; the last scenario counts it too, packets sent to the
// legs' sockets for real. Datagrams handed to a leg directly are sent at once, as outside a batch
// of the shared WebRTC socket (a media clock phase, a wake-up's reads), where they would wait in
// the socket's preallocated send slots for one `sendmmsg`.
//
// MEDIA_ALLOCATIONS_TRACE=N writes a backtrace of the first N counted allocations to standard
// error (addresses: resolve them with addr2line -f -e .build/release/media-allocations).

let packets = CommandLine.arguments.dropFirst().compactMap { Int($0) }.first ?? 10_000
let warmUp = 50
let batch = 20
let traced = Int(ProcessInfo.processInfo.environment["MEDIA_ALLOCATIONS_TRACE"] ?? "") ?? 0

guard allocation_counting_start() != 0 else {
    print("media-allocations: malloc-interposer does not see this process's allocations")
    exit(2)
}

/// What one scenario did.
struct Outcome {
    let name: String
    let fed: Int
    let sent: Int
    let allocations: UInt64
    let cpuSeconds: Double
    /// Allocations tolerated: none, but for a window that also runs the loop's timers (less
    /// those of an idle window, which scatter by a few).
    var allowed: UInt64 = 0
}

/// One unit of work for the loop: a datagram for a leg, or a player's tick.
enum Work: Sendable {
    case webRTC(WebRTCLeg, AddressedEnvelope<ByteBuffer>)
    case trunk(RTPLeg, AddressedEnvelope<ByteBuffer>)
    case tick(AudioPlayer)
}

/// Does `work` on `loop` in batches; returns the allocations and CPU time of the loop's thread
/// inside the batches.
func run(_ work: [Work], on loop: any EventLoop, trace: Bool) async throws -> (UInt64, Double) {
    var allocations: UInt64 = 0
    var cpu = 0.0
    for start in stride(from: 0, to: work.count, by: batch) {
        let slice = work[start..<min(start + batch, work.count)]
        let traceNow = trace && start == 0 ? traced : 0
        let (counted, seconds) = try await loop.submit {
            allocation_trace_next(Int32(traceNow))
            let before = allocation_count_of_this_thread()
            let cpuBefore = threadCPUSeconds()
            for item in slice {
                switch item {
                case .webRTC(let leg, let envelope): leg.receive(envelope)
                case .trunk(let leg, let envelope): leg.receiveRTP(envelope)
                case .tick(let player): player.tick(now: 0)
                }
            }
            let seconds = threadCPUSeconds() - cpuBefore
            let counted = allocation_count_of_this_thread() - before
            allocation_trace_next(0)
            return (counted, seconds)
        }.get()
        allocations += counted
        cpu += seconds
        try await Task.sleep(for: .milliseconds(2))
    }
    return (allocations, cpu)
}

/// Warms `work` up with its first `warmUp` items per source, then measures the rest.
func measure(_ name: String, _ work: [Work], sources: Int, on loop: any EventLoop, sent: () async throws -> Int)
    async throws -> Outcome
{
    _ = try await run(Array(work.prefix(warmUp * sources)), on: loop, trace: false)
    let sentBefore = try await sent()
    let measured = Array(work.dropFirst(warmUp * sources))
    let (allocations, cpu) = try await run(measured, on: loop, trace: true)
    return Outcome(
        name: name, fed: measured.count, sent: try await sent() - sentBefore, allocations: allocations, cpuSeconds: cpu)
}

/// `count` SRTP packets as `client` would send them to the gateway's `leg`, 20 ms apart.
func srtpPackets(_ count: Int, payloads: [[UInt8]], from client: ClientLeg, to leg: WebRTCLeg) async throws
    -> [AddressedEnvelope<ByteBuffer>]
{
    let (remote, negotiated) = try await leg.eventLoop.submit { (leg.remote, leg.negotiated) }.get()
    guard let source = remote,
        let payloadType = negotiated.first(where: { $0.kind == "audio" })?.codecs.first(where: { $0.name == "opus" })?
            .payloadType
    else { throw MediaError.sdp("the leg is not up") }
    return try await client.eventLoop.submit {
        guard let srtp = client.srtpOut else { throw MediaError.sdp("the client leg has no SRTP yet") }
        return (0..<count).map { index in
            var buffer = packet(payloadType, index, samples: 960, payload: payloads[index % payloads.count])
            _ = srtp.protect(&buffer, rtcp: false)
            return AddressedEnvelope(remoteAddress: source, data: buffer)
        }
    }.get()
}

/// An RTP packet with SSRC 0x5EED0001, the `index`th of its stream.
@Sendable func packet(_ payloadType: UInt8, _ index: Int, samples: UInt32, payload: [UInt8]) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: 1500)
    buffer.writeInteger(UInt8(0x80))
    buffer.writeInteger(payloadType)
    buffer.writeInteger(UInt16(truncatingIfNeeded: index + 1))
    buffer.writeInteger(UInt32(truncatingIfNeeded: index) &* samples)
    buffer.writeInteger(UInt32(0x5EED_0001))
    buffer.writeBytes(payload)
    return buffer
}

/// A trunk leg on the media loop, configured to send `codec` to the phone's port on loopback.
func trunkLeg(towards phonePort: Int, codec: Codec) async throws -> RTPLeg {
    let trunk = try await media.makeRTPLeg(on: loop)
    let negotiation = PlainNegotiation(
        codec: codec, telephoneEvent: nil,
        remote: PlainAudio(
            address: "127.0.0.1", port: phonePort, rtcpPort: phonePort + 1, codecs: [codec], direction: "sendrecv"))
    try await loop.submit { try trunk.configure(negotiation, rtpTimeout: 30, symmetric: false) }.get()
    return trunk
}

/// A plain UDP socket that plays the phone: it counts what reaches it.
final class PhoneSocket: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let received = Atomic<Int>(0)
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { received.add(1, ordering: .relaxed) }

    static func bind(on loop: any EventLoop) async throws -> (PhoneSocket, any Channel) {
        let phone = PhoneSocket()
        let channel = try await DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(phone) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (phone, channel)
    }
}

let media = try MediaEngine(configuration: MediaConfiguration(portRange: 46000...46099), threads: 1)
let clients = try ClientMediaEngine(threads: 1)
let loop = media.nextEventLoop()
let tone = try EncodedAudio.tone(frequency: 440)
let opus = tone.frames(for: "opus") ?? []
let pcmu = tone.frames(for: "pcmu") ?? []
var outcomes: [Outcome] = []

/// Two phones on plain sockets of the clients' loop, each facing a trunk leg of the media loop
/// (`codecs` in turn), the two legs connected.
struct TwoPhones {
    let phones: (PhoneSocket, PhoneSocket)
    let channels: (any Channel, any Channel)
    let legs: (RTPLeg, RTPLeg)
    let graph: MediaGraph

    static func connect(_ codecs: (Codec, Codec)) async throws -> TwoPhones {
        let (first, firstChannel) = try await PhoneSocket.bind(on: clients.eventLoops[0])
        let (second, secondChannel) = try await PhoneSocket.bind(on: clients.eventLoops[0])
        let callerLeg = try await trunkLeg(towards: firstChannel.localAddress?.port ?? 0, codec: codecs.0)
        let numberLeg = try await trunkLeg(towards: secondChannel.localAddress?.port ?? 0, codec: codecs.1)
        let graph = media.makeGraph(on: loop)
        graph.attach("caller", .rtp(callerLeg))
        graph.attach("number", .rtp(numberLeg))
        try await graph.connect("caller", "number")
        return TwoPhones(
            phones: (first, second), channels: (firstChannel, secondChannel), legs: (callerLeg, numberLeg),
            graph: graph)
    }

    /// Packets both phones received (read off the media loop).
    var heard: Int { phones.0.received.load(ordering: .relaxed) + phones.1.received.load(ordering: .relaxed) }

    /// Packets both legs sent, asked on the loop.
    func relayed() async throws -> Int {
        let legs = legs
        return try await loop.submit { legs.0.counters.rtpSent + legs.1.counters.rtpSent }.get()
    }

    func close() async throws {
        graph.close()
        try await channels.0.close().get()
        try await channels.1.close().get()
        if phones.0.received.load(ordering: .relaxed) == 0 || phones.1.received.load(ordering: .relaxed) == 0 {
            print("a phone heard nothing")
        }
    }
}

// 1. Relayed: WebRTC ↔ WebRTC, SRTP both legs (one direction fed; the other is the same code).
do {
    let (a, clientA) = try await connectedLeg(media, clients, on: loop, tone: nil)
    let (b, clientB) = try await connectedLeg(media, clients, on: loop, tone: nil)
    let graph = media.makeGraph(on: loop)
    graph.attach("a", .webRTC(a))
    graph.attach("b", .webRTC(b))
    try await graph.connect("a", "b")
    let work = try await srtpPackets(warmUp + packets, payloads: opus, from: clientA, to: a).map { Work.webRTC(a, $0) }
    outcomes.append(
        try await measure("relayed, WebRTC → WebRTC", work, sources: 1, on: loop) {
            try await loop.submit { b.counters.rtpSent }.get()
        })
    graph.close()
    _ = await clientA.close()
    _ = await clientB.close()
}

// 2. Transcoded: WebRTC Opus ↔ trunk PCMU, both directions interleaved.
do {
    let (caller, client) = try await connectedLeg(media, clients, on: loop, tone: nil)
    let (phone, phoneChannel) = try await PhoneSocket.bind(on: clients.eventLoops[0])
    let phonePort = phoneChannel.localAddress?.port ?? 0
    let trunk = try await trunkLeg(towards: phonePort, codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000))
    let graph = media.makeGraph(on: loop)
    graph.attach("caller", .webRTC(caller))
    graph.attach("phone", .rtp(trunk))
    try await graph.connect("caller", "phone")
    let half = packets / 2
    let fromCaller = try await srtpPackets(warmUp + half, payloads: opus, from: client, to: caller)
    let phoneAddress = try SocketAddress(ipAddress: "127.0.0.1", port: phonePort)
    let fromPhone = (0..<warmUp + half).map { index in
        AddressedEnvelope(
            remoteAddress: phoneAddress, data: packet(0, index, samples: 160, payload: pcmu[index % pcmu.count]))
    }
    let work = zip(fromCaller, fromPhone).flatMap { [Work.webRTC(caller, $0), Work.trunk(trunk, $1)] }
    outcomes.append(
        try await measure("transcoded, Opus ↔ PCMU", work, sources: 2, on: loop) {
            try await loop.submit { caller.counters.rtpSent + trunk.counters.rtpSent }.get()
        })
    graph.close()
    _ = await client.close()
    try await phoneChannel.close().get()
    if phone.received.load(ordering: .relaxed) == 0 { print("the phone heard nothing") }
}

// 3. Played: music encoded once, to a WebRTC leg (Opus) and to a trunk leg (PCMU).
do {
    let (leg, client) = try await connectedLeg(media, clients, on: loop, tone: nil)
    let (_, phoneChannel) = try await PhoneSocket.bind(on: clients.eventLoops[0])
    let phonePort = phoneChannel.localAddress?.port ?? 0
    let trunk = try await trunkLeg(towards: phonePort, codec: Codec(payloadType: 8, name: "pcma", clockRate: 8000))
    let ticker = MediaTicker(eventLoop: loop) { 0 }
    let toBrowser = AudioPlayer(leg: .webRTC(leg), audio: tone, ticker: ticker)
    let toPhone = AudioPlayer(leg: .rtp(trunk), audio: tone, ticker: ticker)
    let half = packets / 2
    let work = (0..<warmUp + half).flatMap { _ in [Work.tick(toBrowser), Work.tick(toPhone)] }
    outcomes.append(
        try await measure("played, Opus and PCMA", work, sources: 2, on: loop) {
            try await loop.submit { leg.counters.rtpSent + trunk.counters.rtpSent }.get()
        })
    _ = await client.close()
    try await phoneChannel.close().get()
    leg.close()
    trunk.close()
}

// 4. Relayed between two phones (a caller transferred to a number): PCMU from one, PCMA from the
// other, each converted byte by byte for the other; both directions interleaved.
do {
    let call = try await TwoPhones.connect(
        (Codec(payloadType: 0, name: "PCMU", clockRate: 8000), Codec(payloadType: 8, name: "PCMA", clockRate: 8000)))
    let half = packets / 2
    let addresses = (
        try SocketAddress(ipAddress: "127.0.0.1", port: call.channels.0.localAddress?.port ?? 0),
        try SocketAddress(ipAddress: "127.0.0.1", port: call.channels.1.localAddress?.port ?? 0)
    )
    let work = (0..<warmUp + half).flatMap { index in
        let payload = pcmu[index % pcmu.count]
        return [
            Work.trunk(
                call.legs.0,
                AddressedEnvelope(remoteAddress: addresses.0, data: packet(0, index, samples: 160, payload: payload))),
            Work.trunk(
                call.legs.1,
                AddressedEnvelope(
                    remoteAddress: addresses.1,
                    data: packet(8, index, samples: 160, payload: payload.map { G711.ulawToAlaw[Int($0)] }))),
        ]
    }
    outcomes.append(
        try await measure("relayed, phone ↔ phone", work, sources: 2, on: loop) { try await call.relayed() })
    try await call.close()
}

// 5. Read from the sockets: phone ↔ phone as in 4 (PCMU both ways), the phones sending to the
// legs' ports for real, so the loop's own reads are counted too (what the phones heard is read off
// the loop: asking the loop would count its answers). What the loop's thread allocated over the
// window, less what it allocated over an idle window as long (its timers: the legs' sweeper, RTCP
// reports), is what the packets cost; more than one allocation per hundred packets fails.
do {
    let pcmu8k = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
    let call = try await TwoPhones.connect((pcmu8k, pcmu8k))
    let legs = (
        try SocketAddress(ipAddress: "127.0.0.1", port: call.legs.0.port),
        try SocketAddress(ipAddress: "127.0.0.1", port: call.legs.1.port)
    )
    let counted = { try await loop.submit { (allocation_count_of_this_thread(), threadCPUSeconds()) }.get() }
    /// Sends `count` packets from each phone, `batch` at a time, and waits until all are heard.
    func send(_ count: Int, from start: Int) async throws {
        let target = call.heard + 2 * count
        for batchStart in stride(from: start, to: start + count, by: batch) {
            for index in batchStart..<min(batchStart + batch, start + count) {
                let payload = pcmu[index % pcmu.count]
                call.channels.0.write(
                    AddressedEnvelope(remoteAddress: legs.0, data: packet(0, index, samples: 160, payload: payload)),
                    promise: nil)
                call.channels.1.write(
                    AddressedEnvelope(remoteAddress: legs.1, data: packet(0, index, samples: 160, payload: payload)),
                    promise: nil)
            }
            call.channels.0.flush()
            call.channels.1.flush()
            try await Task.sleep(for: .milliseconds(2))
        }
        for _ in 0..<500 where call.heard < target { try await Task.sleep(for: .milliseconds(10)) }
    }
    try await send(warmUp, from: 0)
    let half = packets / 2
    let before = try await counted()
    let sentBefore = try await call.relayed()
    let started = ContinuousClock.now
    try await loop.submit { allocation_trace_next(Int32(traced)) }.get()
    try await send(half, from: warmUp)
    try await loop.submit { allocation_trace_next(0) }.get()
    let after = try await counted()
    let (busy, busyCPU) = (after.0 - before.0, after.1 - before.1)
    let sent = try await call.relayed() - sentBefore
    let idleBefore = try await counted()
    try await Task.sleep(until: .now + (ContinuousClock.now - started))
    let idleAfter = try await counted()
    let (idle, idleCPU) = (idleAfter.0 - idleBefore.0, idleAfter.1 - idleBefore.1)
    let extra = busy > idle ? busy - idle : 0
    outcomes.append(
        Outcome(
            name: "read, phone ↔ phone", fed: 2 * half, sent: sent, allocations: extra, cpuSeconds: busyCPU - idleCPU,
            allowed: UInt64(half / 50)))
    print("read from the sockets: \(busy) allocations over the window, \(idle) over an idle one as long")
    try await call.close()
}

try await clients.shutdown()
try await media.shutdown()

print("Heap allocations on the media event loop, \(packets) packets per scenario")
print("scenario                    packets  sent     allocations  per packet  CPU per packet")
var failed = false
for outcome in outcomes {
    let perPacket = Double(outcome.allocations) / Double(max(1, outcome.fed))
    print(
        outcome.name.padding(toLength: 28, withPad: " ", startingAt: 0)
            + String(
                format: "%-8d %-8d %-12llu %-11.3f %.2f µs", outcome.fed, outcome.sent, outcome.allocations,
                perPacket, outcome.cpuSeconds / Double(max(1, outcome.fed)) * 1e6))
    if outcome.allocations > outcome.allowed || outcome.sent != outcome.fed { failed = true }
}
if failed {
    print("FAILED: the media path allocated, or did not send every packet")
    exit(1)
}
