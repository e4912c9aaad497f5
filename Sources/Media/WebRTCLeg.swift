import DTLS
import ICE
import NIOCore
import RTP
import SDP
import SRTP
import Synchronization

/// Events a leg reports to its call.
public enum LegEvent: Sendable, Equatable {
    /// ICE nominated an address and DTLS-SRTP is up: media flows.
    case established
    /// The leg failed; the reason is for the hang-up event and the logs.
    case failed(String)
    /// The peer ended the DTLS association (close_notify): it left the call on purpose, and its
    /// `call.hangup` may still be on its way over signaling.
    case closedByPeer
}

/// Counters of one leg, read for logs, metrics and tests.
public struct LegCounters: Sendable, Equatable {
    public var rtpReceived = 0
    public var rtpSent = 0
    public var rtcpReceived = 0
    public var rtcpSent = 0
    /// Dropped: unlatched source, no consent, SRTP authentication or replay failure, unknown payload type.
    public var dropped = 0
    public var stunRefused = 0
}

/// One WebRTC leg: ICE-lite + DTLS + SRTP on its event loop's shared UDP socket. All of its state
/// is confined to its event loop; the bridge and its timers run there too, so the media path takes
/// no lock and crosses no actor.
///
/// `@unchecked Sendable`: state is read and written only on `eventLoop`; `configure` and `close`
/// are called there (the call center submits them), and `onEvent` is installed there.
public final class WebRTCLeg: MediaTickable, @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let local: LocalParameters
    /// The SSRC of the leg's one outgoing audio stream.
    let audioSSRC: UInt32
    let videoSSRC: UInt32
    public private(set) var counters = LegCounters()
    public private(set) var isEstablished = false
    /// Codecs per media kind as this leg negotiated them (its own payload types).
    public private(set) var negotiated: [WebRTCDescriptionBuilder.Negotiated] = [] {
        didSet {
            clockRates = Self.clockRates(of: negotiated)
            let audio = negotiated.first { $0.kind == "audio" }?.codecs ?? []
            audioCodec = audio.first { $0.name != "telephone-event" }
            telephoneEventTypes = audio.filter { $0.name == "telephone-event" }.map(\.payloadType)
            sendingAudio = audioCodec.map(SendingAudio.init)
        }
    }
    /// The payload types of the RFC 4733 events the leg negotiated (a browser may have both 48 and
    /// 8 kHz ones, and send with either), found once per negotiation.
    public private(set) var telephoneEventTypes: [UInt8] = []
    /// `audioCodec` as players read it at every frame.
    private(set) var sendingAudio: SendingAudio?
    /// The audio codec the leg sends with (not telephone-event), found once per negotiation:
    /// players and mixers ask for it at every frame.
    public private(set) var audioCodec: Codec?
    /// The clock rate of each payload type (0–127) the leg negotiated, 48 kHz for the others:
    /// looked up per packet without searching the codecs (`UInt32`s: half a kilobyte per leg).
    private var clockRates = [UInt32](repeating: 48000, count: 128)
    public var onEvent: (@Sendable (LegEvent) -> Void)?
    /// Called on the event loop with each unprotected RTP packet (for the bridge).
    var onRTP: ((inout ByteBuffer, RTPHeader, WebRTCLeg) -> Void)?
    var onRTCP: ((inout ByteBuffer, WebRTCLeg) -> Void)?
    /// Copies the audio the leg receives for a recording, before any bridge sees it.
    var recordingTap: RecordingTap?

    /// The event loop's media socket, shared with its other WebRTC legs.
    let socket: SharedMediaSocket
    let ice: ICELiteAgent
    private var dtls: DTLSEndpoint?
    /// The peer's first authentic SRTP or SRTCP packet asked DTLS to release OpenSSL's session.
    private var dtlsRetireTried = false
    private var srtpIn: SRTPSession?
    private var srtpOut: SRTPSession?
    private let certificate: DTLSCertificate
    private let clock: @Sendable () -> Double
    /// The address ICE selected: where media goes, and the only source it is taken from.
    public private(set) var remote: SocketAddress? {
        didSet { remoteSource = remote.flatMap(DatagramSource.init) }
    }
    /// `remote` as the bytes every received datagram's source is compared with.
    private var remoteSource: DatagramSource?
    /// The loop's media clock: the leg's timers (DTLS retransmits, ICE consent, its RTCP report)
    /// run on every fifth tick, so that thousands of legs add no timer each to the loop.
    private let ticker: MediaTicker
    private var ticks = 0
    private var failed = false
    private var reporter = RTCPReporter()
    /// Keeps what the leg sends one audio stream across pauses and changes of source.
    private var audioOut: RTPStreamContinuity?
    private let statistics: MediaStatistics
    private var lastReport = 0.0
    /// DTLS datagrams that came before the peer's answer was applied (a fast client checks and
    /// sends its ClientHello as soon as it has answered); handled once `configure` ran, instead
    /// of waiting a second for the retransmission.
    private(set) var earlyDTLS: [[UInt8]] = []
    /// What each received RTP or RTCP packet is copied into and worked on, through the bridge
    /// to the other leg's socket.
    private var inbound = ReusablePacketBuffer()

    init(
        socket: SharedMediaSocket, ticker: MediaTicker, local: LocalParameters, certificate: DTLSCertificate,
        statistics: MediaStatistics, clock: @escaping @Sendable () -> Double
    ) {
        precondition(ticker.eventLoop === socket.eventLoop, "a leg's clock runs on its socket's event loop")
        self.socket = socket
        self.ticker = ticker
        self.statistics = statistics
        self.eventLoop = socket.eventLoop
        self.local = local
        self.audioSSRC = local.ssrcs["audio"] ?? 0
        self.videoSSRC = local.ssrcs["video"] ?? 0
        self.certificate = certificate
        self.clock = clock
        self.ice = ICELiteAgent(localUfrag: local.iceUfrag, localPassword: local.icePwd)
    }

    /// Applies the peer's description: ICE credentials, DTLS role and fingerprint, codecs.
    /// Must run on the event loop.
    public func configure(
        remote description: SessionDescription, negotiated: [WebRTCDescriptionBuilder.Negotiated], localSetup: SetupRole
    ) throws {
        eventLoop.preconditionInEventLoop()
        let media = try WebRTCMedia.read(description, index: 0)
        ice.setRemoteUfrag(media.iceUfrag)
        self.negotiated = negotiated
        let role: DTLSRole = localSetup == .active ? .client : .server
        let endpoint = try DTLSEndpoint(role: role, certificate: certificate, remoteFingerprint: media.fingerprint)
        dtls = endpoint
        dtlsRetireTried = false
        let early = earlyDTLS
        earlyDTLS = []
        for datagram in early { handle(endpoint.handle(datagram, now: clock())) }
        ticker.add(self)
    }

    /// Ends the leg: sends close_notify, stops timers, leaves the shared socket.
    public func close() {
        eventLoop.execute { [self] in
            if let dtls, let remote { for datagram in dtls.close() { send(datagram, to: remote) } }
            ticker.remove(self)
            failed = true
            socket.unregister(self)
        }
    }

    /// Receives one datagram as if read from the shared socket (benchmarks feed legs this way);
    /// on the loop.
    public func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let source = DatagramSource(envelope.remoteAddress) else { return drop(statistics.droppedUnlatched) }
        envelope.data.withUnsafeReadableBytes { receive($0, from: source, address: envelope.remoteAddress) }
    }

    /// Receives one datagram, `bytes` from `source` (on the event loop). `address` is `source`
    /// as NIO's socket address when the caller has it; it is built only for a STUN request.
    func receive(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource, address: SocketAddress? = nil) {
        guard !failed else { return }
        let kind = PacketKind.classify(bytes)
        let now = clock()
        switch kind {
        case .stun:
            let address = address ?? source.socketAddress
            let output = ice.handle(Array(bytes), from: TransportAddress(address), now: now)
            if output.refused != nil {
                counters.stunRefused += 1
                statistics.stunRefused.add(1, ordering: .relaxed)
            }
            if output.response != nil, output.refused == nil { socket.verified(source, for: self) }
            if output.nominated != nil { remote = address }
            if let response = output.response { send(response, to: address) }
            if output.nominated != nil, let dtls, dtls.role == .client, !dtls.isConnected {
                handle(dtls.start(now: now))
            }
        case .dtls:
            guard accepts(source, now: now) else { return drop(statistics.droppedUnlatched) }
            guard let dtls else {
                if earlyDTLS.count < 4 { earlyDTLS.append(Array(bytes)) }
                return
            }
            handle(dtls.handle(Array(bytes), now: now))
        case .rtp:
            guard let srtpIn, accepts(source, now: now) else {
                return drop(statistics.droppedUnlatched)
            }
            var buffer = inbound.take(copying: bytes)
            defer { inbound.put(buffer) }
            guard let length = unprotect(&buffer, srtpIn, rtcp: false) else { return }
            if !dtlsRetireTried { retireDTLS() }
            guard
                let header = buffer.withUnsafeReadableBytes({
                    try? RTPHeader.parse(UnsafeRawBufferPointer(rebasing: $0[0..<length]))
                })
            else { return drop(statistics.droppedMalformed) }
            counters.rtpReceived += 1
            statistics.rtpReceived.add(1, ordering: .relaxed)
            reporter.received(header, clockRate: clockRate(header.payloadType), now: now)
            recordingTap?.capture(buffer, header, now: now)
            onRTP?(&buffer, header, self)
        case .rtcp:
            guard let srtpIn, accepts(source, now: now) else {
                return drop(statistics.droppedUnlatched)
            }
            var buffer = inbound.take(copying: bytes)
            defer { inbound.put(buffer) }
            guard unprotect(&buffer, srtpIn, rtcp: true) != nil else { return }
            if !dtlsRetireTried { retireDTLS() }
            counters.rtcpReceived += 1
            statistics.rtcpReceived.add(1, ordering: .relaxed)
            reporter.receivedCompound(Array(buffer.readableBytesView), now: now)
            onRTCP?(&buffer, self)
        case .unknown:
            drop(statistics.droppedMalformed)
        }
    }

    /// Protects and sends an RTP packet held in `buffer` (readable bytes = the plain packet).
    func sendRTP(_ buffer: inout ByteBuffer) {
        guard let srtpOut, let remote, isEstablished else { return }
        if let timestamp = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self),
            let payloadType = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        {
            reporter.sent(
                timestamp: timestamp, payloadOctets: buffer.readableBytes - 12,
                clockRate: clockRate(payloadType & 0x7f), now: clock())
        }
        guard protect(&buffer, srtpOut, rtcp: false) else { return }
        counters.rtpSent += 1
        statistics.rtpSent.add(1, ordering: .relaxed)
        socket.send(buffer, to: remote)
    }

    /// Sends an audio packet (header parsed as `header`, its payload type already the leg's own)
    /// as the next packet of this leg's one outgoing audio stream, whatever fed it: the bridge or
    /// a player. SSRC (the leg's own), sequence number, timestamp and marker are rewritten by
    /// the leg's continuity.
    func sendAudio(_ buffer: inout ByteBuffer, _ header: RTPHeader) {
        if audioOut == nil { audioOut = RTPStreamContinuity(clockRate: clockRate(header.payloadType)) }
        let numbering = audioOut!.next(
            source: header.ssrc, sequence: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
            now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
        buffer.withUnsafeMutableReadableBytes { bytes in
            RTPRewrite.setSSRC(bytes, audioSSRC)
            RTPRewrite.setSequenceNumber(bytes, numbering.sequence)
            RTPRewrite.setTimestamp(bytes, numbering.timestamp)
            RTPRewrite.setMarker(bytes, numbering.marker)
        }
        sendRTP(&buffer)
    }

    /// What feeds the leg's audio paused or changed (hold, resume): its next packet continues the
    /// stream and starts a talk-spurt.
    func audioSourceChanged() { audioOut?.sourceChanged() }

    func sendRTCP(_ buffer: inout ByteBuffer) {
        guard let srtpOut, let remote, isEstablished else { return }
        guard protect(&buffer, srtpOut, rtcp: true) else { return }
        counters.rtcpSent += 1
        statistics.rtcpSent.add(1, ordering: .relaxed)
        socket.send(buffer, to: remote)
    }

    /// The leg's media clock (seconds).
    var now: Double { clock() }

    /// The VP8 payload type of the leg's video, when it negotiated VP8 video.
    var videoVP8PayloadType: UInt8? {
        negotiated.first { $0.kind == "video" }?.codecs.first { $0.name == "vp8" }?.payloadType
    }

    /// Asks the peer for a video keyframe (RTCP PLI, RFC 4585, after an empty receiver report),
    /// for each video SSRC its description announced. On the event loop.
    func requestKeyframe() {
        guard let section = negotiated.first(where: { $0.kind == "video" }) else { return }
        let sender = localSSRC("video")
        for media in section.remoteSSRCs {
            var buffer = ByteBufferAllocator().buffer(capacity: 64)
            buffer.writeInteger(UInt8(0x80))
            buffer.writeInteger(UInt8(201))
            buffer.writeInteger(UInt16(1))
            buffer.writeInteger(sender)
            buffer.writeInteger(UInt8(0x81))
            buffer.writeInteger(UInt8(206))
            buffer.writeInteger(UInt16(2))
            buffer.writeInteger(sender)
            buffer.writeInteger(media)
            sendRTCP(&buffer)
        }
    }

    /// The SSRC this leg sends with for `kind`.
    public func localSSRC(_ kind: String) -> UInt32 { local.ssrcs[kind] ?? 0 }

    /// The clock rate of a payload type this leg negotiated (48 kHz when unknown).
    private func clockRate(_ payloadType: UInt8) -> Int { Int(clockRates[Int(payloadType & 0x7f)]) }

    private static func clockRates(of negotiated: [WebRTCDescriptionBuilder.Negotiated]) -> [UInt32] {
        var rates = [UInt32](repeating: 48000, count: 128)
        for section in negotiated.reversed() {
            for codec in section.codecs.reversed() where codec.payloadType < 128 {
                rates[Int(codec.payloadType)] = UInt32(clamping: codec.clockRate)
            }
        }
        return rates
    }

    /// Media is taken from the address ICE selected (`remote` is set at each nomination, as the
    /// agent's selected address is), while consent lasts: compared as the address's bytes, so
    /// that no address value is built for each packet.
    private func accepts(_ source: DatagramSource, now: Double) -> Bool {
        source == remoteSource && ice.hasConsent(now: now)
    }

    /// Whether OpenSSL's session was released (only the record keys kept); on the loop.
    var dtlsRetired: Bool { dtls?.isRetired ?? false }

    /// The peer protects with the exported keys, so it has our Finished: the DTLS session is not
    /// needed beyond close_notify (`DTLSEndpoint.retire`, about 40 KiB per leg).
    private func retireDTLS() {
        dtlsRetireTried = true
        if dtls?.retire() == true { statistics.dtlsSessionsReleased.add(1, ordering: .relaxed) }
    }

    private func drop(_ reason: borrowing Atomic<Int>) {
        counters.dropped += 1
        reason.add(1, ordering: .relaxed)
    }

    private func handle(_ output: DTLSOutput) {
        if let remote { for datagram in output.datagrams { send(datagram, to: remote) } }
        if output.failure == .closed, !failed {
            failed = true
            ticker.remove(self)
            onEvent?(.closedByPeer)
            return
        }
        if let failure = output.failure {
            if failure == .fingerprintMismatch, !failed {
                statistics.dtlsFingerprintMismatches.add(1, ordering: .relaxed)
            }
            fail(failure.description)
        }
        if let keys = output.connected, let dtls {
            let profile: SRTPProfile = keys.profile == .aes128CmSha1_80 ? .aes128CmSha1_80 : .aeadAes128Gcm
            let (localKey, remoteKey) = keys.keys(for: dtls.role)
            do {
                srtpOut = try SRTPSession(profile: profile, keyAndSalt: localKey, outbound: true)
                srtpIn = try SRTPSession(profile: profile, keyAndSalt: remoteKey, outbound: false)
                isEstablished = true
                onEvent?(.established)
            } catch {
                fail("SRTP setup failed")
            }
        }
    }

    /// Called by the loop's media clock every 20 ms; every fifth tick runs the leg's timers.
    public func tick(now: Double) {
        ticks &+= 1
        if ticks % 5 == 0 { runTimers() }
    }

    private func runTimers() {
        guard !failed else { return }
        let now = clock()
        if let dtls, let at = dtls.nextTimeout, now >= at { handle(dtls.handleTimeout(now: now)) }
        if ice.consentExpired(now: now) {
            fail("ICE consent expired: no connectivity checks for \(Int(ice.consentTimeout)) s")
        }
        if isEstablished, now - lastReport >= 1 {
            lastReport = now
            sendReport(now: now)
        }
    }

    /// This leg's own RTCP report. Reports from the peer are not forwarded to the other leg.
    private func sendReport(now: Double) {
        var buffer = ByteBuffer(bytes: reporter.report(ssrc: localSSRC("audio"), now: now).bytes)
        sendRTCP(&buffer)
    }

    private func fail(_ reason: String) {
        guard !failed else { return }
        failed = true
        statistics.legsFailed.add(1, ordering: .relaxed)
        ticker.remove(self)
        onEvent?(.failed(reason))
    }

    private func send(_ bytes: [UInt8], to address: SocketAddress) {
        bytes.withUnsafeBytes { socket.send($0, to: address) }
    }

    /// Unprotects in place; returns the plain length and trims the buffer to it. Failures are
    /// counted by reason and return nil.
    private func unprotect(_ buffer: inout ByteBuffer, _ session: SRTPSession, rtcp: Bool) -> Int? {
        switch session.unprotect(&buffer, rtcp: rtcp) {
        case .success(let length):
            return length
        case .failure(.replay):
            drop(statistics.droppedSRTPReplay)
        case .failure(.authentication):
            drop(statistics.droppedSRTPAuthentication)
        case .failure:
            drop(statistics.droppedMalformed)
        }
        return nil
    }

    private func protect(_ buffer: inout ByteBuffer, _ session: SRTPSession, rtcp: Bool) -> Bool {
        session.protect(&buffer, rtcp: rtcp)
    }

}
