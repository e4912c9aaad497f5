import Media
import NIOCore
import NIOPosix
import RTP
import SDP
import SRTP

/// A phone-side party of a load call (a trunk's leg, or a side of an rtpengine call): a UDP
/// socket of its own, plain RTP or SDES-SRTP (keys from the SDP exchange), and every 20 ms (from
/// its media ticker) one pre-encoded frame, Opus or PCMU, behind a delay probe when it has one.
/// What it hears is counted (loss and jitter from sequence numbers, delay from the probes). All
/// state is confined to its loop.
///
/// `@unchecked Sendable`: set up before it is added to its ticker, then touched only on
/// `eventLoop` (ticks, reads, and `figures`, which hops there).
public final class PumpLeg: MediaTickable, @unchecked Sendable {
    /// What a pump leg sends: its payload type, clock and the SDP `rtpmap` that names it.
    public enum Codec: String, Sendable, CaseIterable {
        case opus, pcmu

        public var payloadType: UInt8 { self == .opus ? 111 : 0 }
        public var clockRate: Int { self == .opus ? 48000 : 8000 }
        /// RTP timestamp units per 20 ms frame.
        var frameDuration: UInt32 { UInt32(clockRate / 50) }
        public var rtpmap: String { self == .opus ? "opus/48000/2" : "PCMU/8000" }
        /// The frames of `audio` this codec sends.
        public func frames(of audio: EncodedAudio) -> [[UInt8]] { self == .opus ? audio.frames : audio.pcmu }
    }

    let channel: any Channel
    public let eventLoop: any EventLoop
    public let port: Int
    public let codec: Codec
    /// What this leg sends with, offered in its SDP (`a=crypto` inline); nil: plain RTP.
    public let keyAndSalt: [UInt8]?
    private let frames: [[UInt8]]
    private let ticker: MediaTicker
    /// nil: frames go out as they are (a transcoding relay would decode a probe as audio).
    private let probe: DelayProbe?
    private var onAudioStarted: (@Sendable () -> Void)?
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

    private init(
        channel: any Channel, srtp: Bool, codec: Codec, frames: [[UInt8]], ticker: MediaTicker,
        probe: DelayProbe?, clock: @escaping @Sendable () -> Double, onAudioStarted: (@Sendable () -> Void)?
    ) {
        self.channel = channel
        eventLoop = channel.eventLoop
        port = channel.localAddress?.port ?? 0
        keyAndSalt = srtp ? (0..<30).map { _ in UInt8.random(in: 0...255) } : nil
        self.codec = codec
        self.frames = frames
        self.onAudioStarted = onAudioStarted
        self.ticker = ticker
        self.probe = probe
        self.clock = clock
    }

    /// Where the far end of a plain RTP call takes its audio, from its SDP: the first audio
    /// section with a port, and its address (the section's `c=` line, else the session's); nil
    /// when there is none.
    public static func audioEndpoint(of sdp: String) -> (audio: MediaDescription, address: SocketAddress)? {
        guard let description = try? SessionDescription.parse(sdp),
            let audio = description.media.first(where: { $0.media == "audio" && $0.port != 0 }),
            let host =
                (audio.lines.last(where: { $0.type == "c" })?.value
                ?? description.lines.last(where: { $0.type == "c" })?.value)?.split(separator: " ").last,
            let address = try? SocketAddress(ipAddress: String(host), port: audio.port)
        else { return nil }
        return (audio, address)
    }

    /// A leg bound to an ephemeral port of `address`, reading on `ticker`'s loop, sending `audio`
    /// in `codec`; `onAudioStarted` is called once, when it first hears a packet.
    public static func make(
        address: String, srtp: Bool, codec: Codec = .opus, audio: EncodedAudio, ticker: MediaTicker,
        probe: DelayProbe?, clock: @escaping @Sendable () -> Double, onAudioStarted: (@Sendable () -> Void)? = nil
    ) async throws -> PumpLeg {
        let handler = DatagramHandler()
        let channel = try await DatagramBootstrap(group: ticker.eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: address, port: 0).get()
        let leg = PumpLeg(
            channel: channel, srtp: srtp, codec: codec, frames: codec.frames(of: audio), ticker: ticker, probe: probe,
            clock: clock, onAudioStarted: onAudioStarted)
        try await channel.eventLoop.submit { handler.receive = { leg.receive($0) } }.get()
        return leg
    }

    /// Starts sending to `remote`, decrypting with `remoteKey` (the relay's key toward this leg).
    public func start(remote: SocketAddress, remoteKey: [UInt8]?) async throws {
        try await eventLoop.submit { [self] in
            self.remote = remote
            if let keyAndSalt, let remoteKey {
                srtpOut = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: keyAndSalt, outbound: true)
                srtpIn = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: remoteKey, outbound: false)
            }
            ticker.add(self)
        }.get()
    }

    public func tick(now: Double) {
        guard let remote else { return }
        let frame = frames[frameIndex % frames.count]
        var buffer = channel.allocator.buffer(
            capacity: 12 + DelayHistogram.headerLength + frame.count + SRTPSession.maximumTrailer)
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(codec.payloadType | (frameIndex == 0 ? 0x80 : 0))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        if probe != nil { DelayHistogram.writeHeader(into: &buffer, sentAt: now) }
        buffer.writeBytes(frame)
        frameIndex += 1
        sequence &+= 1
        timestamp &+= codec.frameDuration
        if let srtpOut, !srtpOut.protect(&buffer, rtcp: false) { return }
        figures.packetsSent += 1
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    private func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let now = clock()
        guard envelope.data.withUnsafeReadableBytes({ PacketKind.classify($0) }) == .rtp else { return }
        // Once sending, only the relay's address is heard (it sends from where it takes media):
        // stray packets another call's relay sends to a reused port would count as this one's.
        if let remote, envelope.remoteAddress != remote { return figures.dropped += 1 }
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
            guard let header = try? RTPHeader.parse(packet), header.payloadType == codec.payloadType else { return }
            figures.packetsReceived += 1
            if let started = onAudioStarted {
                onAudioStarted = nil
                started()
            }
            remoteSSRC = header.ssrc
            reporter.received(header, clockRate: codec.clockRate, now: now)
            guard let probe, probe.measures(at: now) else { return }
            figures.delay.record(
                payload: UnsafeRawBufferPointer(
                    rebasing: packet[header.payloadOffset..<header.payloadOffset + header.payloadLength]),
                now: now)
        }
    }

    /// What the leg sent and heard so far, read on its loop.
    public func snapshot() async throws -> PumpFigures {
        try await eventLoop.submit { [self] in
            var copy = figures
            if let remoteSSRC, let stream = reporter.statistics(of: remoteSSRC) {
                copy.expected = Int(stream.expected)
                copy.lost = max(0, Int(stream.cumulativeLost))
                copy.jitterMilliseconds = Double(stream.jitter) * 1000 / Double(codec.clockRate)
            }
            return copy
        }.get()
    }

    public func close() async {
        try? await eventLoop.submit { [self] in
            ticker.remove(self)
            channel.close(promise: nil)
        }.get()
    }
}

/// One pump leg's counters.
public struct PumpFigures: Sendable {
    public var packetsSent = 0
    public var packetsReceived = 0
    /// Packets that failed SRTP authentication, or came from another address than the relay's.
    public var dropped = 0
    public var expected = 0
    public var lost = 0
    public var jitterMilliseconds = 0.0
    public var delay = DelayHistogram()

    public init(
        packetsSent: Int = 0, packetsReceived: Int = 0, dropped: Int = 0, expected: Int = 0, lost: Int = 0,
        jitterMilliseconds: Double = 0, delay: DelayHistogram = DelayHistogram()
    ) {
        self.packetsSent = packetsSent
        self.packetsReceived = packetsReceived
        self.dropped = dropped
        self.expected = expected
        self.lost = lost
        self.jitterMilliseconds = jitterMilliseconds
        self.delay = delay
    }
}
