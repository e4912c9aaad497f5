import NIOCore
import RTP
import SDP
import SRTP

/// Connects a WebRTC leg (SRTP, usually Opus at 48 kHz) with a trunk's plain RTP leg (usually
/// G.711 at 8 kHz) on their shared event loop: one `AudioPipe` per direction. Video is not
/// carried to the phone network.
///
/// Built and steered by a call's `MediaGraph`, on the legs' event loop.
///
/// `@unchecked Sendable`: the pipes, the relay flags and `onDTMF` are used only on the legs'
/// event loop (the graph runs there; `sendDigits` schedules its events there and reads only
/// configuration fixed in `init`).
final class TranscodingBridge: @unchecked Sendable {
    let webRTC: WebRTCLeg
    let rtp: RTPLeg
    let towardsTrunk: AudioPipe
    let towardsWebRTC: AudioPipe
    /// Called on the event loop with each DTMF digit; `fromWebRTC` tells which side sent it.
    var onDTMF: ((_ digit: Character, _ timestamp: UInt32, _ fromWebRTC: Bool) -> Void)?
    /// Whether each side hears the other: off while held, or while something else plays to it.
    private var relayTowardsTrunk = true
    private var relayTowardsWebRTC = true
    /// The packets each pipe makes are copied into these and sent from them.
    private var towardsTrunkBuffer = ReusablePacketBuffer()
    private var towardsWebRTCBuffer = ReusablePacketBuffer()

    /// Bridges the legs; both must be configured and share an event loop. Throws when a
    /// codec has no transcoder.
    init(webRTC: WebRTCLeg, rtp: RTPLeg, opusComplexity: Int) throws {
        precondition(webRTC.eventLoop === rtp.eventLoop, "a call's legs are pinned to one event loop")
        guard let trunk = rtp.negotiation else { throw MediaError.sdp("the trunk leg has no negotiated codec") }
        let audio = webRTC.negotiated.first { $0.kind == "audio" }?.codecs ?? []
        guard let webCodec = audio.first(where: { $0.name != "telephone-event" }) else {
            throw MediaError.sdp("the WebRTC leg has no audio codec")
        }
        // Events are sent at the codec's clock when negotiated, else at another (Firefox has only
        // 8 kHz beside Opus); every negotiated one is understood when received.
        let events = audio.filter { $0.name == "telephone-event" }
        let sent = events.first { $0.clockRate == webCodec.clockRate } ?? events.first
        let webSide = AudioPipe.Side(
            codec: webCodec, telephoneEvent: sent, otherTelephoneEvents: events.filter { $0 != sent })
        let trunkSide = AudioPipe.Side(codec: trunk.codec, telephoneEvent: trunk.telephoneEvent)
        // Both pipes run on the call's one event loop (MediaGraph pins its legs to it).
        let scratch = AudioPipe.Scratch()
        towardsTrunk = try AudioPipe(
            from: webSide, to: trunkSide, ssrc: rtp.ssrc, opusComplexity: opusComplexity, scratch: scratch)
        towardsWebRTC = try AudioPipe(
            from: trunkSide, to: webSide, ssrc: webRTC.localSSRC("audio"), opusComplexity: opusComplexity,
            scratch: scratch)
        self.webRTC = webRTC
        self.rtp = rtp
        webRTC.eventLoop.execute { [self] in
            webRTC.onRTP = { [unowned self] buffer, header, _ in self.fromWebRTC(buffer, header) }
            rtp.onRTP = { [unowned self] buffer, header, _ in self.fromTrunk(buffer, header) }
        }
    }

    /// Sends `digits` to the trunk as RFC 4733 events (160 ms each, 100 ms apart), as if the
    /// WebRTC side had sent them in band. Throws when the trunk negotiated no telephone-event.
    func sendDigits(_ digits: String) throws {
        guard towardsTrunk.output.telephoneEvent != nil else {
            throw MediaError.sdp("the trunk did not negotiate telephone-event (RFC 4733)")
        }
        let codes = digits.compactMap { TelephoneEvent.code(for: $0) }
        let loop = webRTC.eventLoop
        for (index, code) in codes.enumerated() {
            let offset = Int64(index * 260)
            loop.scheduleTask(in: .milliseconds(offset)) { [weak self] in
                guard let self else { return }
                let start = self.towardsTrunk.nextTimestamp
                for (step, (milliseconds, end)) in [
                    (50, false), (100, false), (150, false), (160, true), (160, true), (160, true),
                ]
                .enumerated() {
                    loop.scheduleTask(in: .milliseconds(Int64(step < 4 ? step * 50 : 150 + (step - 3) * 5))) {
                        [weak self] in
                        self?.towardsTrunk.emitEvent(
                            code, startedAt: start, durationMilliseconds: milliseconds, end: end, marker: step == 0
                        ) { packet in self?.sendToTrunk(packet) }
                    }
                }
            }
        }
    }

    private func sendToTrunk(_ packet: UnsafeRawBufferPointer) {
        var out = towardsTrunkBuffer.take(copying: packet)
        rtp.sendRTP(&out)
        towardsTrunkBuffer.put(out)
    }

    /// Stops relaying.
    func unbridge() {
        webRTC.eventLoop.execute { [self] in
            webRTC.onRTP = nil
            rtp.onRTP = nil
        }
    }

    /// Whether the trunk (`towardsTrunk`) or the WebRTC side hears the other; on the event loop.
    /// When relaying resumes the receiver hears the same stream going on, with the marker bit set.
    func setRelaying(towardsTrunk: Bool, _ on: Bool) {
        webRTC.eventLoop.preconditionInEventLoop()
        let was = towardsTrunk ? relayTowardsTrunk : relayTowardsWebRTC
        if towardsTrunk { relayTowardsTrunk = on } else { relayTowardsWebRTC = on }
        guard on, !was else { return }
        if towardsTrunk { rtp.audioSourceChanged() } else { webRTC.audioSourceChanged() }
    }

    private func fromWebRTC(_ buffer: ByteBuffer, _ header: RTPHeader) {
        let digit = Self.carry(buffer, header, through: towardsTrunk, relaying: relayTowardsTrunk) { packet in
            sendToTrunk(packet)
        }
        if let digit { onDTMF?(digit, header.timestamp, true) }
    }

    private func fromTrunk(_ buffer: ByteBuffer, _ header: RTPHeader) {
        let digit = Self.carry(buffer, header, through: towardsWebRTC, relaying: relayTowardsWebRTC) { packet in
            guard let header = try? RTPHeader.parse(packet) else { return }
            var out = towardsWebRTCBuffer.take(copying: packet)
            webRTC.sendAudio(&out, header)
            towardsWebRTCBuffer.put(out)
        }
        if let digit { onDTMF?(digit, header.timestamp, false) }
    }

    /// Runs a packet through `pipe`, or, while the other side does not hear this one, only its
    /// DTMF events (digits count whether or not they are heard). Returns an ended event's digit.
    private static func carry(
        _ buffer: ByteBuffer, _ header: RTPHeader, through pipe: AudioPipe, relaying: Bool,
        emit: (UnsafeRawBufferPointer) -> Void
    ) -> Character? {
        if !relaying, pipe.input.telephoneEvent(header.payloadType) == nil { return nil }
        return buffer.withUnsafeReadableBytes { bytes in
            pipe.process(bytes, header: header) { packet in if relaying { emit(packet) } }
        }
    }
}
