import ClientMedia
import Media
import NIOCore
import NIOPosix
import RTP
import SRTP

/// One party of a call through rtpengine, as the load generator plays it: a UDP socket of its own,
/// SDES-SRTP (or plain RTP) with the keys of the `ng` offer and answer, and every 20 ms (from its
/// media ticker) one pre-encoded Opus frame behind a delay probe. What it hears is counted (loss
/// and jitter from sequence numbers, delay from the probes). All state is confined to its loop.
///
/// `@unchecked Sendable`: set up before it is added to its ticker, then touched only on
/// `eventLoop` (ticks, reads, and `figures`, which hops there).
final class PumpLeg: MediaTickable, @unchecked Sendable {
    let channel: any Channel
    let eventLoop: any EventLoop
    let port: Int
    /// What this leg sends with, offered in its SDP (`a=crypto` inline); nil: plain RTP.
    let keyAndSalt: [UInt8]?
    private let frames: [[UInt8]]
    private let ticker: MediaTicker
    private let probe: DelayProbe
    private let clock: @Sendable () -> Double
    private var remote: SocketAddress?
    private var srtpOut: SRTPSession?
    private var srtpIn: SRTPSession?
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private var frameIndex = 0
    private var reporter = RTCPReporter()
    private var remoteSSRC: UInt32?
    private var figures = PumpFigures()
    private var inbound = ReusablePacketBuffer()

    static let payloadType: UInt8 = 111

    private init(
        channel: any Channel, srtp: Bool, frames: [[UInt8]], ticker: MediaTicker, probe: DelayProbe,
        clock: @escaping @Sendable () -> Double
    ) {
        self.channel = channel
        eventLoop = channel.eventLoop
        port = channel.localAddress?.port ?? 0
        keyAndSalt = srtp ? (0..<30).map { _ in UInt8.random(in: 0...255) } : nil
        self.frames = frames
        self.ticker = ticker
        self.probe = probe
        self.clock = clock
    }

    /// A leg bound to an ephemeral port of `address`, reading on `ticker`'s loop.
    static func make(
        address: String, srtp: Bool, frames: [[UInt8]], ticker: MediaTicker, probe: DelayProbe,
        clock: @escaping @Sendable () -> Double
    ) async throws -> PumpLeg {
        let handler = DatagramHandler()
        let channel = try await DatagramBootstrap(group: ticker.eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: address, port: 0).get()
        let leg = PumpLeg(
            channel: channel, srtp: srtp, frames: frames, ticker: ticker, probe: probe, clock: clock)
        try await channel.eventLoop.submit { handler.receive = { leg.receive($0) } }.get()
        return leg
    }

    /// Starts sending to `remote`, decrypting with `remoteKey` (rtpengine's key toward this leg).
    func start(remote: SocketAddress, remoteKey: [UInt8]?) async throws {
        try await eventLoop.submit { [self] in
            self.remote = remote
            if let keyAndSalt, let remoteKey {
                srtpOut = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: keyAndSalt, outbound: true)
                srtpIn = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: remoteKey, outbound: false)
            }
            ticker.add(self)
        }.get()
    }

    func tick(now: Double) {
        guard let remote else { return }
        let frame = frames[frameIndex % frames.count]
        var buffer = channel.allocator.buffer(
            capacity: 12 + DelayHistogram.headerLength + frame.count + SRTPSession.maximumTrailer)
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(Self.payloadType | (frameIndex == 0 ? 0x80 : 0))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        DelayHistogram.writeHeader(into: &buffer, sentAt: now)
        buffer.writeBytes(frame)
        frameIndex += 1
        sequence &+= 1
        timestamp &+= 960
        if let srtpOut, !srtpOut.protect(&buffer, rtcp: false) { return }
        figures.packetsSent += 1
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    private func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let now = clock()
        guard envelope.data.withUnsafeReadableBytes({ PacketKind.classify($0) }) == .rtp else { return }
        var buffer = inbound.take(copying: envelope.data)
        defer { inbound.put(buffer) }
        var length = buffer.readableBytes
        if let srtpIn {
            guard case .success(let plain) = srtpIn.unprotect(&buffer, rtcp: false) else {
                return figures.dropped += 1
            }
            length = plain
        }
        buffer.withUnsafeReadableBytes { bytes in
            let packet = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
            guard let header = try? RTPHeader.parse(packet), header.payloadType == Self.payloadType else { return }
            figures.packetsReceived += 1
            remoteSSRC = header.ssrc
            reporter.received(header, clockRate: 48000, now: now)
            guard probe.measures(at: now) else { return }
            figures.delay.record(
                payload: UnsafeRawBufferPointer(
                    rebasing: packet[header.payloadOffset..<header.payloadOffset + header.payloadLength]),
                now: now)
        }
    }

    /// What the leg sent and heard so far, read on its loop.
    func snapshot() async throws -> PumpFigures {
        try await eventLoop.submit { [self] in
            var copy = figures
            if let remoteSSRC, let stream = reporter.statistics(of: remoteSSRC) {
                copy.expected = Int(stream.expected)
                copy.lost = max(0, Int(stream.cumulativeLost))
                copy.jitterMilliseconds = Double(stream.jitter) / 48
            }
            return copy
        }.get()
    }

    func close() async {
        try? await eventLoop.submit { [self] in
            ticker.remove(self)
            channel.close(promise: nil)
        }.get()
    }
}

/// One leg's counters.
struct PumpFigures: Sendable {
    var packetsSent = 0
    var packetsReceived = 0
    var dropped = 0
    var expected = 0
    var lost = 0
    var jitterMilliseconds = 0.0
    var delay = DelayHistogram()
}
