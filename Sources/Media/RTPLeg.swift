import Glibc
import NIOCore
import RTP
import SDP
import SRTP
import Synchronization

/// One RTP leg towards a SIP trunk: RTP on an even UDP port, RTCP on the next one, in clear or,
/// when the leg has an `sdesKey`, as SRTP and SRTCP keyed by SDES (RFC 4568).
/// Media goes to the address in the trunk's SDP, and is taken from it (other sources only as
/// `RTPSourceFilter` allows); with `symmetric` (trunks behind NAT) the leg sends back to where
/// media comes from, any address that passed the filter's probation. Like `WebRTCLeg`, all of
/// its state is confined to its event loop.
///
/// `@unchecked Sendable`: state is read and written only on `eventLoop`; `configure` and `close`
/// are called there (the call center submits them), and `onEvent` is installed there.
public final class RTPLeg: @unchecked Sendable {
    /// The loop the leg lives on.
    public var eventLoop: any EventLoop { loop }
    public let address: String
    /// The RTP port; RTCP is on `port + 1`.
    public let port: Int
    public let ssrc: UInt32
    /// The SRTP master key and salt this leg sends with (offered in `a=crypto`); nil: plain RTP.
    public let sdesKey: [UInt8]?
    public private(set) var counters = LegCounters()
    public private(set) var negotiation: PlainNegotiation? {
        didSet {
            sendingAudio = negotiation.map { SendingAudio($0.codec) }
            perPacket = negotiation.map { PerPacket(clockRate: $0.codec.clockRate, localSends: $0.localSends) }
            expectsMedia = negotiation.map { $0.remoteSends && $0.localDirection != "sendonly" } ?? false
            telephoneEventPayloadType = negotiation?.telephoneEvent?.payloadType
            negotiationGeneration &+= 1
        }
    }
    /// Counts the negotiations applied: what a bridge derived from `negotiation` holds while it
    /// is unchanged.
    private(set) var negotiationGeneration = 0
    /// The negotiated telephone-event payload type, read at every packet by a DTMF listener.
    private(set) var telephoneEventPayloadType: UInt8?
    /// What every packet needs of the negotiation, kept apart: reading `negotiation` copies the
    /// whole struct (retaining each of its strings and arrays) for every packet.
    private var perPacket: PerPacket?
    private struct PerPacket {
        let clockRate: Int
        let localSends: Bool
    }
    /// The negotiated codec as players read it at every frame.
    private(set) var sendingAudio: SendingAudio?
    public var onEvent: (@Sendable (LegEvent) -> Void)?
    var onRTP: ((inout ByteBuffer, RTPHeader, RTPLeg) -> Void)?
    /// Copies the audio the leg receives for a recording, before any bridge sees it.
    var recordingTap: RecordingTap?

    /// The RTP and RTCP sockets, which the leg writes with `sendto` itself and its loop reads;
    /// -1 once the leg closed (the loop closed them, and their numbers may be reused).
    private var rtpDescriptor: CInt
    private var rtcpDescriptor: CInt
    private let loop: MediaLoop
    private var rtpToken: MediaLoop.SocketToken?
    private var rtcpToken: MediaLoop.SocketToken?
    private let statistics: MediaStatistics
    private let clock: @Sendable () -> Double
    /// Where RTP and RTCP are sent: the SDP's addresses, or with `symmetric` where they come from
    /// (`remoteRTCPSource` as the source it came from).
    private var remoteRTP: SocketAddress?
    private var remoteRTCP: SocketAddress?
    private var remoteRTCPSource: DatagramSource?
    private var symmetric = false
    /// With `symmetric`, whether RTCP has come in (and `remoteRTCP` is its source).
    private var rtcpLatched = false
    /// Which sources RTP is taken from.
    private var sources = RTPSourceFilter()
    private var rtpTimeout = 30.0
    private var lastHeard = 0.0
    private var reporter = RTCPReporter()
    private var lastReport = 0.0
    /// The loop's slow clock, which sweeps the leg (timeout, RTCP) from its first negotiation.
    private let sweeper: LegSweeper
    private var closed = false
    /// Keeps what the leg sends one stream across holds (and, later, changes of source).
    private var outgoing: RTPStreamContinuity?
    private var outgoingPaused = false
    private var failed = false
    /// What each received RTP packet is copied into and worked on, through the bridge.
    private var inbound = ReusablePacketBuffer()
    /// SRTP with the far end's key (replaced when a re-INVITE brings a new one) and with ours.
    private var srtpIn: SRTPSession?
    private var srtpInKey: [UInt8]?
    private var srtpOut: SRTPSession?

    /// A leg on `loop`'s sockets `rtpDescriptor` (bound to `port`) and `rtcpDescriptor`, which the
    /// loop reads from now on and closes when the leg closes; on the loop.
    init(
        loop: MediaLoop, rtpDescriptor: CInt, rtcpDescriptor: CInt, address: String, port: Int,
        statistics: MediaStatistics, sweeper: LegSweeper, sdesKey: [UInt8]? = nil,
        clock: @escaping @Sendable () -> Double
    ) throws {
        loop.preconditionInEventLoop()
        self.sweeper = sweeper
        self.sdesKey = sdesKey
        self.loop = loop
        self.address = address
        self.port = port
        self.ssrc = UInt32.random(in: 1...UInt32.max)
        self.statistics = statistics
        self.clock = clock
        self.rtpDescriptor = rtpDescriptor
        self.rtcpDescriptor = rtcpDescriptor
        do {
            rtpToken = try loop.watch(rtpDescriptor, receiver: RTPPort(leg: self), readLimit: 1)
            rtcpToken = try loop.watch(rtcpDescriptor, receiver: RTCPPort(leg: self), readLimit: 1)
        } catch {
            closeSockets()
            throw error
        }
    }

    /// Applies a negotiation (first answer, or a re-INVITE either way): where to send, which
    /// codec, whether either side holds the call. `rtpTimeout` seconds without RTP while the far
    /// end should be sending fail the leg. Must run on the event loop.
    public func configure(_ negotiation: PlainNegotiation, rtpTimeout: Double, symmetric: Bool) throws {
        eventLoop.preconditionInEventLoop()
        let remote = negotiation.remote
        sources.latching = symmetric
        if remote.address != "0.0.0.0" {
            do {
                let rtp = try SocketAddress(ipAddress: remote.address, port: remote.port)
                let rtcp = try SocketAddress(ipAddress: remote.address, port: remote.rtcpPort)
                guard let expected = DatagramSource(rtp) else { throw MediaError.sdp("") }
                sources.expect(expected)
                // Latched, a re-INVITE (hold, resume) naming the same address behind the NAT
                // keeps media going where it comes from.
                remoteRTP = symmetric ? sources.source?.socketAddress ?? rtp : rtp
                if !(symmetric && rtcpLatched) { (remoteRTCP, remoteRTCPSource) = (rtcp, DatagramSource(rtcp)) }
            } catch {
                throw MediaError.sdp("the trunk's media address \(remote.address) is not an IP address")
            }
        }
        if let sdes = negotiation.sdes {
            do {
                if srtpInKey != sdes.remote {
                    srtpIn = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: sdes.remote, outbound: false)
                    srtpInKey = sdes.remote
                }
                if srtpOut == nil {
                    srtpOut = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: sdes.local, outbound: true)
                }
            } catch {
                throw MediaError.sdp("the trunk's SRTP key cannot be used (\(error))")
            }
        } else if sdesKey != nil {
            throw MediaError.sdp("this leg encrypts its media, and the trunk's description has no key")
        }
        self.negotiation = negotiation
        self.rtpTimeout = rtpTimeout
        self.symmetric = symmetric
        lastHeard = clock()
        if !closed, !failed { sweeper.add(self) }
    }

    /// Ends the leg and closes both sockets.
    public func close() {
        eventLoop.execute { [self] in
            guard !closed else { return }
            closed = true
            sweeper.remove(self)
            if let remoteRTCP {
                let bye = reporter.report(ssrc: ssrc, now: clock()).bytes + RTCPPacket.bye(ssrcs: [ssrc]).bytes
                var packet = ByteBuffer(bytes: bye)
                if srtpOut?.protect(&packet, rtcp: true) ?? true { sendRTCP(packet, to: remoteRTCP) }
            }
            closeSockets()
        }
    }

    /// Whether the leg was closed; on the loop.
    var isClosed: Bool { closed }

    /// Stops the loop reading the sockets, which closes them (or closes them if never watched).
    private func closeSockets() {
        if let rtpToken { loop.unwatch(rtpToken) } else if rtpDescriptor >= 0 { Glibc.close(rtpDescriptor) }
        if let rtcpToken { loop.unwatch(rtcpToken) } else if rtcpDescriptor >= 0 { Glibc.close(rtcpDescriptor) }
        (rtpToken, rtcpToken, rtpDescriptor, rtcpDescriptor) = (nil, nil, -1, -1)
    }

    private func sendRTCP(_ packet: ByteBuffer, to address: SocketAddress) {
        packet.withUnsafeReadableBytes {
            OutgoingDatagrams.sendNow($0, to: address, descriptor: rtcpDescriptor, statistics: statistics)
        }
    }

    /// The leg's media clock (seconds).
    var now: Double { clock() }

    /// Receives one datagram as if read from the RTP socket (benchmarks feed legs this way); on
    /// the loop.
    public func receiveRTP(_ envelope: AddressedEnvelope<ByteBuffer>) {
        envelope.data.withUnsafeReadableBytes { receiveRTP($0, from: DatagramSource(envelope.remoteAddress)) }
    }

    /// An RTP datagram arrived on the RTP port from `source` (the loop hands it over).
    func receiveRTP(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?) {
        guard !closed, let perPacket else { return }
        guard let source, accepts(source, rtcp: false) else { return drop(statistics.droppedUnlatched) }
        var buffer = inbound.take(copying: bytes)
        defer { inbound.put(buffer) }
        if let srtpIn, !unprotect(&buffer, srtpIn, rtcp: false) { return }
        guard
            let header = buffer.withUnsafeReadableBytes({ try? RTPHeader.parse($0) }),
            buffer.withUnsafeReadableBytes({ PacketKind.classify($0) }) == .rtp
        else { return drop(statistics.droppedMalformed) }
        let now = clock()
        lastHeard = now
        counters.rtpReceived += 1
        statistics.rtpReceived.add(1, ordering: .relaxed)
        reporter.received(header, clockRate: perPacket.clockRate, now: now)
        recordingTap?.capture(buffer, header, now: now)
        onRTP?(&buffer, header, self)
    }

    /// An RTCP datagram arrived on the RTCP port from `source`.
    func receiveRTCP(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?) {
        guard !closed, perPacket != nil else { return }
        guard let source, accepts(source, rtcp: true) else { return drop(statistics.droppedUnlatched) }
        var packet = ByteBuffer(bytes: bytes)
        if let srtpIn, !unprotect(&packet, srtpIn, rtcp: true) { return }
        counters.rtcpReceived += 1
        statistics.rtcpReceived.add(1, ordering: .relaxed)
        reporter.receivedCompound(Array(packet.readableBytesView), now: clock())
    }

    /// SRTP or SRTCP in place; failures are counted by reason and dropped.
    private func unprotect(_ buffer: inout ByteBuffer, _ session: SRTPSession, rtcp: Bool) -> Bool {
        switch session.unprotect(&buffer, rtcp: rtcp) {
        case .success: return true
        case .failure(.replay): drop(statistics.droppedSRTPReplay)
        case .failure(.authentication): drop(statistics.droppedSRTPAuthentication)
        case .failure: drop(statistics.droppedMalformed)
        }
        return false
    }

    /// Sends an RTP packet (readable bytes = the whole packet) to the trunk.
    func sendRTP(_ buffer: inout ByteBuffer) {
        guard !closed, let remoteRTP, let perPacket else { return }
        // Held (or holding): nothing goes out, and the stream picks up where it stopped after.
        guard perPacket.localSends else {
            outgoingPaused = true
            return
        }
        if let header = buffer.withUnsafeReadableBytes({ try? RTPHeader.parse($0) }) {
            if outgoing == nil { outgoing = RTPStreamContinuity(clockRate: perPacket.clockRate) }
            if outgoingPaused {
                outgoing!.sourceChanged()
                outgoingPaused = false
            }
            let numbering = outgoing!.next(
                source: header.ssrc, sequence: header.sequenceNumber, timestamp: header.timestamp,
                marker: header.marker, now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
            buffer.withUnsafeMutableReadableBytes { bytes in
                RTPRewrite.setSSRC(bytes, ssrc)
                RTPRewrite.setSequenceNumber(bytes, numbering.sequence)
                RTPRewrite.setTimestamp(bytes, numbering.timestamp)
                RTPRewrite.setMarker(bytes, numbering.marker)
            }
        }
        if let timestamp = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) {
            reporter.sent(
                timestamp: timestamp, payloadOctets: buffer.readableBytes - 12,
                clockRate: perPacket.clockRate, now: clock())
        }
        if let srtpOut, !srtpOut.protect(&buffer, rtcp: false) { return }
        counters.rtpSent += 1
        statistics.rtpSent.add(1, ordering: .relaxed)
        buffer.withUnsafeReadableBytes {
            OutgoingDatagrams.sendNow($0, to: remoteRTP, descriptor: rtpDescriptor, statistics: statistics)
        }
    }

    /// What feeds the leg's audio paused or changed: its next packet continues the stream and
    /// starts a talk-spurt.
    func audioSourceChanged() { outgoing?.sourceChanged() }

    /// Whether the far end should be sending now: not while it holds the call or we hold it.
    private var expectsMedia = false

    /// RTP as `sources` decides (with `symmetric`, a new source becomes where media is sent);
    /// RTCP from the host media comes from (before any, the SDP's), with `symmetric` sent back
    /// to where it comes from.
    private func accepts(_ source: DatagramSource, rtcp: Bool) -> Bool {
        guard rtcp else {
            switch sources.accepts(source) {
            case .dropped: return false
            case .taken: return true
            case .takenFromNewSource:
                if symmetric { remoteRTP = source.socketAddress }
                return true
            }
        }
        guard let host = symmetric ? sources.source ?? sources.expected : remoteRTCPSource,
            source.hasSameHost(as: host)
        else { return false }
        if symmetric, source != remoteRTCPSource {
            remoteRTCP = source.socketAddress
            remoteRTCPSource = source
            rtcpLatched = true
        }
        return true
    }

    private func drop(_ reason: borrowing Atomic<Int>) {
        counters.dropped += 1
        reason.add(1, ordering: .relaxed)
    }

    /// Fails the leg after `rtpTimeout` without RTP, and sends an RTCP report every 5 s; on the
    /// loop, every 250 ms (`LegSweeper`).
    func sweep() {
        guard !closed, !failed else { return }
        let now = clock()
        if expectsMedia, now - lastHeard > rtpTimeout {
            failed = true
            statistics.legsFailed.add(1, ordering: .relaxed)
            sweeper.remove(self)
            onEvent?(.failed("RTP timeout: no media from the trunk for \(Int(rtpTimeout)) s"))
            return
        }
        if now - lastReport >= 5, let remoteRTCP {
            lastReport = now
            var report = ByteBuffer(bytes: reporter.report(ssrc: ssrc, now: now).bytes)
            if let srtpOut, !srtpOut.protect(&report, rtcp: true) { return }
            counters.rtcpSent += 1
            statistics.rtcpSent.add(1, ordering: .relaxed)
            sendRTCP(report, to: remoteRTCP)
        }
    }
}

/// A trunk leg's RTP socket as its loop sees it.
private final class RTPPort: DatagramReceiver {
    let leg: RTPLeg
    init(leg: RTPLeg) { self.leg = leg }
    func receive(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?) { leg.receiveRTP(bytes, from: source) }
    func readComplete() {}
}

/// A trunk leg's RTCP socket as its loop sees it.
private final class RTCPPort: DatagramReceiver {
    let leg: RTPLeg
    init(leg: RTPLeg) { self.leg = leg }
    func receive(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?) { leg.receiveRTCP(bytes, from: source) }
    func readComplete() {}
}
