import DTLS
import Foundation
import ICE
import Media
import NIOCore
import RTP
import SDP
import SRTP

/// What a client leg reports.
public enum ClientLegEvent: Sendable, Equatable {
    /// ICE selected a pair and DTLS-SRTP is up: media flows.
    case established
    /// The first audio packet came (decrypted): the peer's media reaches this leg.
    case audioStarted
    /// ICE or DTLS failed; says why.
    case failed(String)
}

/// Counters of one client leg.
public struct ClientLegCounters: Sendable, Equatable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var rtcpReceived = 0
    /// SRTP authentication or replay failures and packets from unexpected sources.
    public var dropped = 0
    /// DTLS flights resent because the peer did not answer within the timer.
    public var dtlsRetransmits = 0
    /// When the leg came up and when the first audio arrived (seconds, the leg's clock).
    public var establishedAt: Double?
    public var firstPacketAt: Double?
    /// The received stream: packets expected from its sequence numbers, lost, and interarrival
    /// jitter (RFC 3550) in milliseconds.
    public var expected = 0
    public var lost = 0
    public var jitterMilliseconds = 0.0
    /// One-way delays of the probes heard (legs made with a `DelayProbe`).
    public var delay = DelayHistogram()
}

/// The client side of a WebRTC call, as a browser does it: a full ICE agent (controlling when
/// it offers or meets an ICE-lite peer, controlled when it answers a full agent), DTLS in the
/// role the negotiation gives, SRTP, and Opus. It sends pre-encoded audio every 20 ms (from
/// the engine's media ticker) and records or counts what it hears. All state is confined to
/// its event loop.
///
/// `@unchecked Sendable`: its methods hop to `eventLoop` (`submit`/`execute`) before touching
/// state, and the ticker and socket handler call it there.
public final class ClientLeg: MediaTickable, @unchecked Sendable {
    /// Opus and telephone-event, as a browser offers them.
    public static let codecs: [Codec] = SupportedCodecs.audio.filter {
        $0.name == "opus" || $0.name == "telephone-event"
    }

    public let eventLoop: any EventLoop
    public let local: LocalParameters
    /// Replaced (`replace`) when a send the kernel refused closed it: its port is bound again.
    private(set) var channel: any Channel
    private let certificate: DTLSCertificate
    private let ticker: MediaTicker
    private let audio: EncodedAudio?
    private let recorder: AudioRecorder?
    /// Each packet sent starts with a delay probe; the probes heard are filed in `delay`.
    private let delayProbe: DelayProbe?
    private let clock: @Sendable () -> Double
    private var onEvent: (@Sendable (ClientLegEvent) -> Void)?
    private var ice: ICEFullAgent?
    private var dtls: DTLSEndpoint?
    private var srtpIn: SRTPSession?
    /// The SRTP context of what this leg sends, once DTLS is up: a packet pump protects its
    /// pre-built packets with it. Used on `eventLoop` only.
    public private(set) var srtpOut: SRTPSession?
    private var remote: SocketAddress?
    private var opusPayloadType: UInt8 = 111
    /// The peer asked for Opus no wider than 8 kHz (`maxplaybackrate`): a browser then codes
    /// narrowband, and so does this leg when its audio has such frames.
    private var narrowband = false
    private var sends = true
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private var frameIndex = 0
    private var reporter = RTCPReporter()
    private var lastReport = 0.0
    private var remoteSSRC: UInt32?
    /// Closed by the caller, or failed: nothing more is sent or received.
    private var closed = false
    private var failed = false
    private var counters = ClientLegCounters()
    /// Packet buffers used again for every packet (a load generator's legs allocate none per
    /// packet, so that the generator is not what limits a run).
    private var outbound = ReusablePacketBuffer()
    private var inbound = ReusablePacketBuffer()

    init(
        channel: any Channel, local: LocalParameters, certificate: DTLSCertificate, ticker: MediaTicker,
        audio: EncodedAudio?, recorder: AudioRecorder?, delayProbe: DelayProbe?, clock: @escaping @Sendable () -> Double
    ) {
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.local = local
        self.certificate = certificate
        self.ticker = ticker
        self.audio = audio
        self.recorder = recorder
        self.delayProbe = delayProbe
        self.clock = clock
    }

    /// An offer as a browser makes it: full ICE, DTLS actpass, audio only.
    public func offer() -> String {
        WebRTCDescriptionBuilder.offer(
            local: local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: false, iceLite: false,
            audioCodecs: Self.codecs
        ).text
    }

    /// Applies the answer to `offer()` and starts ICE (controlling: we offered).
    public func accept(answer text: String, onEvent: @escaping @Sendable (ClientLegEvent) -> Void) async throws {
        let answer = try SessionDescription.parse(text)
        let (negotiated, ourSetup) = try WebRTCDescriptionBuilder.readAnswer(answer)
        try await eventLoop.submit {
            try self.configure(
                remote: answer, negotiated: negotiated, iceRole: .controlling,
                dtlsRole: ourSetup == .active ? .client : .server, onEvent: onEvent,
                sends: { $0 == "sendrecv" || $0 == "recvonly" })
        }.get()
    }

    /// Answers a peer's offer, taking the DTLS client role when the peer lets us choose. ICE
    /// (controlling towards an ICE-lite peer such as the gateway, controlled towards a full
    /// agent) starts with `start()`, once the answer is on its way: checks that reach the peer
    /// before the answer would be refused.
    public func answer(offer text: String, onEvent: @escaping @Sendable (ClientLegEvent) -> Void) async throws
        -> String
    {
        let offer = try SessionDescription.parse(text)
        let (answer, negotiated, ourSetup) = try WebRTCDescriptionBuilder.answer(
            to: offer, local: local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), allowVideo: false,
            iceLite: false, audioCodecs: Self.codecs, preferActive: true)
        let iceRole: ICEFullAgent.Role =
            offer.attributes.contains { $0.name == "ice-lite" } ? .controlling : .controlled
        try await eventLoop.submit {
            try self.configure(
                remote: offer, negotiated: negotiated, iceRole: iceRole,
                dtlsRole: ourSetup == .active ? .client : .server, onEvent: onEvent,
                sends: { $0 == "sendrecv" || $0 == "sendonly" }, start: false)
        }.get()
        return answer.text
    }

    /// Starts ICE after `answer(offer:)`.
    public func start() {
        eventLoop.execute {
            guard let ice = self.ice, !self.closed, !self.failed else { return }
            self.apply(ice.start(now: self.clock()))
        }
    }

    /// The counters, read on the event loop.
    public func figures() async -> ClientLegCounters {
        (try? await eventLoop.submit { self.snapshot() }.get()) ?? ClientLegCounters()
    }

    /// Whether `close` was called; on the loop.
    var isClosed: Bool { closed }
    /// The peer's close_notify came; on the loop.
    private(set) var closedByPeer = false

    /// Goes on over `channel`, its port bound again after the previous one closed; on the loop.
    func replace(_ channel: any Channel) {
        eventLoop.preconditionInEventLoop()
        self.channel = channel
    }

    /// Stops sending, sends close_notify, closes the socket; returns the final counters.
    public func close() async -> ClientLegCounters {
        let final = try? await eventLoop.submit { () -> ClientLegCounters in
            let figures = self.snapshot()
            guard !self.closed else { return figures }
            self.closed = true
            if let dtls = self.dtls, let remote = self.remote {
                for datagram in dtls.close() { self.send(datagram, to: remote) }
            }
            self.ticker.remove(self)
            self.channel.close(promise: nil)
            return figures
        }.get()
        return final ?? ClientLegCounters()
    }

    private func snapshot() -> ClientLegCounters {
        var figures = counters
        figures.dtlsRetransmits = dtls?.retransmits ?? 0
        if let remoteSSRC, let stream = reporter.statistics(of: remoteSSRC) {
            figures.expected = Int(stream.expected)
            figures.lost = max(0, Int(stream.cumulativeLost))
            figures.jitterMilliseconds = Double(stream.jitter) / 48
        }
        return figures
    }

    private func configure(
        remote description: SessionDescription, negotiated: [WebRTCDescriptionBuilder.Negotiated],
        iceRole: ICEFullAgent.Role, dtlsRole: DTLSRole, onEvent: @escaping @Sendable (ClientLegEvent) -> Void,
        sends: (String) -> Bool, start: Bool = true
    ) throws {
        let media = try WebRTCMedia.read(description, index: 0)
        guard let audio = negotiated.first(where: { $0.kind == "audio" }),
            let opus = audio.codecs.first(where: { $0.name == "opus" })
        else { throw ClientLegError.noOpus }
        opusPayloadType = opus.payloadType
        narrowband = Self.asksNarrowband(description, opusPayloadType: opus.payloadType)
        // An answer's direction is the peer's (recvonly: it only listens); ours when we answered.
        self.sends = sends(audio.direction)
        let candidates = media.candidates.filter { $0.transport.lowercased() == "udp" && $0.component == 1 }
            .compactMap { TransportAddress(ipv4: $0.address, port: $0.port) }
        let ice = ICEFullAgent(
            role: iceRole, localUfrag: local.iceUfrag, localPassword: local.icePwd, remoteUfrag: media.iceUfrag,
            remotePassword: media.icePwd, remoteCandidates: candidates)
        self.ice = ice
        self.onEvent = onEvent
        dtls = try DTLSEndpoint(role: dtlsRole, certificate: certificate, remoteFingerprint: media.fingerprint)
        ticker.add(self)
        if start { apply(ice.start(now: clock())) }
    }

    /// One datagram from the socket.
    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !closed, !failed else { return }
        var buffer = envelope.data
        let now = clock()
        switch buffer.withUnsafeReadableBytes({ PacketKind.classify($0) }) {
        case .stun:
            trace("STUN from \(envelope.remoteAddress)")
            guard let ice else { return }
            apply(ice.handle(Array(buffer.readableBytesView), from: TransportAddress(envelope.remoteAddress), now: now))
        case .dtls:
            trace("DTLS from \(envelope.remoteAddress), \(buffer.readableBytes) bytes")
            guard let dtls else { return }
            // As DTLS server the peer's ClientHello may come before our side selected a pair.
            if remote == nil { remote = envelope.remoteAddress }
            guard envelope.remoteAddress == remote else { return counters.dropped += 1 }
            handle(dtls.handle(Array(buffer.readableBytesView), now: now))
        case .rtp:
            guard let srtpIn, envelope.remoteAddress == remote else { return counters.dropped += 1 }
            buffer = inbound.take(copying: envelope.data)
            defer { inbound.put(buffer) }
            guard case .success(let length) = srtpIn.unprotect(&buffer, rtcp: false) else {
                return counters.dropped += 1
            }
            buffer.withUnsafeReadableBytes { bytes in
                let packet = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
                guard let header = try? RTPHeader.parse(packet) else { return }
                counters.packetsReceived += 1
                if counters.firstPacketAt == nil {
                    counters.firstPacketAt = now
                    onEvent?(.audioStarted)
                }
                guard header.payloadType == opusPayloadType else { return }
                remoteSSRC = header.ssrc
                reporter.received(header, clockRate: 48000, now: now)
                let payload = UnsafeRawBufferPointer(
                    rebasing: packet[header.payloadOffset..<header.payloadOffset + header.payloadLength])
                if delayProbe?.measures(at: now) == true { counters.delay.record(payload: payload, now: now) }
                recorder?.append(payload, timestamp: header.timestamp)
            }
        case .rtcp:
            guard let srtpIn, envelope.remoteAddress == remote,
                case .success = srtpIn.unprotect(&buffer, rtcp: true)
            else { return counters.dropped += 1 }
            counters.rtcpReceived += 1
            reporter.receivedCompound(Array(buffer.readableBytesView), now: now)
        case .unknown:
            counters.dropped += 1
        }
    }

    /// Whether `description`'s first audio section limits Opus to 8 kHz or less (RFC 7587
    /// `maxplaybackrate` on the Opus payload type's `fmtp`).
    static func asksNarrowband(_ description: SessionDescription, opusPayloadType: UInt8) -> Bool {
        guard let audio = description.media.first(where: { $0.media == "audio" }) else { return false }
        for line in audio.attributes("fmtp") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, UInt8(parts[0]) == opusPayloadType else { continue }
            for parameter in parts[1].split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == "maxplaybackrate",
                    let rate = Int(pair[1].trimmingCharacters(in: .whitespaces))
                {
                    return rate <= 8000
                }
            }
        }
        return false
    }

    /// Called by the media ticker every 20 ms: timers, one audio frame, a report each second.
    public func tick(now: Double) {
        guard !closed, !failed else { return }
        if let ice, let due = ice.nextTimeout, now >= due { apply(ice.handleTimeout(now: now)) }
        if let dtls, let due = dtls.nextTimeout, now >= due { handle(dtls.handleTimeout(now: now)) }
        guard let srtpOut, let remote else { return }
        if sends, let audio, !audio.frames.isEmpty {
            let frames = narrowband ? audio.narrowbandOpus ?? audio.frames : audio.frames
            let frame = frames[frameIndex % frames.count]
            var buffer = outbound.takeEmpty()
            buffer.writeInteger(UInt8(0x80))
            buffer.writeInteger(opusPayloadType | (frameIndex == 0 ? 0x80 : 0))
            buffer.writeInteger(sequence)
            buffer.writeInteger(timestamp)
            buffer.writeInteger(local.ssrcs["audio"] ?? 0)
            if delayProbe != nil { DelayHistogram.writeHeader(into: &buffer, sentAt: now) }
            buffer.writeBytes(frame)
            reporter.sent(timestamp: timestamp, payloadOctets: frame.count, clockRate: 48000, now: now)
            frameIndex += 1
            sequence &+= 1
            timestamp &+= 960
            if srtpOut.protect(&buffer, rtcp: false) {
                counters.packetsSent += 1
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
            outbound.put(buffer)
        }
        if now - lastReport >= 1 {
            lastReport = now
            var report = ByteBuffer(bytes: reporter.report(ssrc: local.ssrcs["audio"] ?? 0, now: now).bytes)
            if srtpOut.protect(&report, rtcp: true) {
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: report), promise: nil)
            }
        }
    }

    /// `HEADLESS_AGENT_TRACE=1` prints ICE and DTLS steps to standard error.
    static let tracing = ProcessInfo.processInfo.environment["HEADLESS_AGENT_TRACE"] != nil

    private func trace(_ what: @autoclosure () -> String) {
        guard Self.tracing else { return }
        FileHandle.standardError.write(Data(String(format: "%.3f leg %d: %@\n", clock(), local.port, what()).utf8))
    }

    private func apply(_ output: ICEFullAgent.Output) {
        if !output.datagrams.isEmpty { trace("ICE sends \(output.datagrams.map(\.destination))") }
        for datagram in output.datagrams {
            if let address = datagram.destination.socketAddress { send(datagram.bytes, to: address) }
        }
        if let failure = output.failure { return fail("ICE failed: \(failure)") }
        if let selected = output.selected?.socketAddress {
            trace("ICE selected \(selected)")
            remote = selected
            if let dtls, dtls.role == .client { handle(dtls.start(now: clock())) }
        }
    }

    private func handle(_ output: DTLSOutput) {
        if !output.datagrams.isEmpty { trace("DTLS sends \(output.datagrams.map(\.count)) bytes") }
        if let remote { for datagram in output.datagrams { send(datagram, to: remote) } }
        if output.failure == .closed {
            // The peer ended the call (close_notify); its hang-up follows on signaling.
            failed = true
            closedByPeer = true
            ticker.remove(self)
            return
        }
        if let failure = output.failure { return fail("DTLS failed: \(failure.description)") }
        guard let keys = output.connected, let dtls else { return }
        let profile: SRTPProfile = keys.profile == .aes128CmSha1_80 ? .aes128CmSha1_80 : .aeadAes128Gcm
        let (localKey, remoteKey) = keys.keys(for: dtls.role)
        do {
            srtpOut = try SRTPSession(profile: profile, keyAndSalt: localKey, outbound: true)
            srtpIn = try SRTPSession(profile: profile, keyAndSalt: remoteKey, outbound: false)
            counters.establishedAt = clock()
            trace("DTLS-SRTP up")
            onEvent?(.established)
        } catch {
            fail("SRTP setup failed")
        }
    }

    private func fail(_ reason: String) {
        guard !closed, !failed else { return }
        failed = true
        ticker.remove(self)
        onEvent?(.failed(reason))
    }

    private func send(_ bytes: [UInt8], to address: SocketAddress) {
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)), promise: nil)
    }
}

/// Why a client leg could not use a description.
public enum ClientLegError: Error, Equatable, Sendable, CustomStringConvertible {
    case noOpus

    public var description: String {
        switch self {
        case .noOpus: "the peer's description has no Opus audio"
        }
    }
}
