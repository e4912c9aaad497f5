import NIOCore
import RTP
import SDP

/// Relays media between two WebRTC legs of one call, on their shared event loop: RTP payload
/// types are mapped codec by codec to what the other leg negotiated, SSRCs rewritten to the
/// other leg's own, and video feedback (PLI, FIR, NACK) forwarded with its media SSRC mapped
/// back. Sender and receiver reports stay per leg.
///
/// Built and steered by a call's `MediaGraph`, on the legs' event loop.
///
/// `@unchecked Sendable`: `relayTowardsA`, `relayTowardsB`, `lastEvent` and `onDTMF` are read and
/// written only on the legs' shared event loop (the graph runs there; `unbridge` hops there).
final class MediaBridge: @unchecked Sendable {
    let a: WebRTCLeg
    let b: WebRTCLeg
    /// Called on the event loop with each DTMF digit (RFC 4733, reported once per event at its
    /// end); `fromA` tells which leg sent it.
    var onDTMF: ((_ digit: Character, _ timestamp: UInt32, _ fromA: Bool) -> Void)?
    private var lastEvent: [ObjectIdentifier: UInt32] = [:]
    /// Whether what one leg sends reaches the other. Off while the call is held or while something
    /// else plays to that leg; each leg's outgoing audio stays one continuous stream across the
    /// pause (`WebRTCLeg.sendAudio`).
    private var relayTowardsA = true
    private var relayTowardsB = true
    /// Where each payload type (0–127) one leg sends goes on the other leg, made at its first
    /// packet (its codecs are known by then and do not change): no codec is searched per packet.
    private var routesFromA: [Route?]?
    private var routesFromB: [Route?]?

    /// A payload type's way to the other leg.
    struct Route {
        /// The other leg's payload type for the same codec; nil when it did not negotiate it.
        var target: UInt8?
        var isAudio: Bool
        var isDigit: Bool
    }

    /// Bridges `a` and `b`; both must share an event loop.
    init(_ a: WebRTCLeg, _ b: WebRTCLeg) {
        precondition(a.eventLoop === b.eventLoop, "a call's legs are pinned to one event loop")
        self.a = a
        self.b = b
        a.eventLoop.execute { [self] in
            a.onRTP = { [unowned self] buffer, header, from in self.forward(&buffer, header, from: from) }
            b.onRTP = { [unowned self] buffer, header, from in self.forward(&buffer, header, from: from) }
            a.onRTCP = { [unowned self] buffer, from in self.forwardFeedback(&buffer, from: from) }
            b.onRTCP = { [unowned self] buffer, from in self.forwardFeedback(&buffer, from: from) }
        }
    }

    /// Stops relaying.
    func unbridge() {
        a.eventLoop.execute { [self] in
            a.onRTP = nil
            b.onRTP = nil
            a.onRTCP = nil
            b.onRTCP = nil
        }
    }

    /// Whether `leg` hears the other leg; on the event loop. When relaying resumes the leg's
    /// receiver hears the same stream going on, with the marker bit set.
    func setRelaying(towards leg: WebRTCLeg, _ on: Bool) {
        a.eventLoop.preconditionInEventLoop()
        let was = leg === a ? relayTowardsA : relayTowardsB
        if leg === a { relayTowardsA = on } else { relayTowardsB = on }
        if on, !was { leg.audioSourceChanged() }
    }

    private func other(_ leg: WebRTCLeg) -> WebRTCLeg { leg === a ? b : a }

    private func forward(_ buffer: inout ByteBuffer, _ header: RTPHeader, from: WebRTCLeg) {
        let to = other(from)
        let fromA = from === a
        if (fromA ? routesFromA : routesFromB) == nil {
            let routes = Self.routes(from: from.negotiated, to: to.negotiated)
            // Kept once the other leg has negotiated (it may still be connecting).
            guard !to.negotiated.isEmpty else {
                if let route = routes[Int(header.payloadType & 0x7f)], route.isDigit {
                    reportDTMF(buffer, header, from: from)
                }
                return
            }
            if fromA { routesFromA = routes } else { routesFromB = routes }
        }
        guard let route = (fromA ? routesFromA : routesFromB)?[Int(header.payloadType & 0x7f)] else { return }
        // Digits are heard while the other leg is not (held, or listening to a prompt).
        if route.isDigit { reportDTMF(buffer, header, from: from) }
        guard to === a ? relayTowardsA : relayTowardsB, let target = route.target else { return }
        buffer.withUnsafeMutableReadableBytes { bytes in RTPRewrite.setPayloadType(bytes, target) }
        if route.isAudio {
            // The leg writes its own SSRC and numbering on its one audio stream.
            var rewritten = header
            rewritten.payloadType = target
            to.sendAudio(&buffer, rewritten)
        } else {
            let ssrc = to.videoSSRC
            buffer.withUnsafeMutableReadableBytes { bytes in RTPRewrite.setSSRC(bytes, ssrc) }
            to.sendRTP(&buffer)
        }
    }

    /// Each payload type `from` negotiated, mapped to the same codec (name and clock rate) in the
    /// same kind of media on `to`.
    static func routes(
        from: [WebRTCDescriptionBuilder.Negotiated], to: [WebRTCDescriptionBuilder.Negotiated]
    ) -> [Route?] {
        var routes = [Route?](repeating: nil, count: 128)
        for section in from.reversed() {
            let targets = to.first { $0.kind == section.kind }?.codecs ?? []
            for codec in section.codecs.reversed() where codec.payloadType < 128 {
                let target = targets.first { $0.name == codec.name && $0.clockRate == codec.clockRate }
                routes[Int(codec.payloadType)] = Route(
                    target: target?.payloadType, isAudio: section.kind == "audio",
                    isDigit: codec.name == "telephone-event")
            }
        }
        return routes
    }

    /// One report per event: its end packets (sent up to three times) share a timestamp.
    private func reportDTMF(_ buffer: ByteBuffer, _ header: RTPHeader, from: WebRTCLeg) {
        guard header.payloadLength >= 4,
            let payload = buffer.getBytes(at: buffer.readerIndex + header.payloadOffset, length: 4),
            let event = TelephoneEvent.parse(payload), event.end, let digit = event.digit,
            lastEvent[ObjectIdentifier(from)] != header.timestamp
        else { return }
        lastEvent[ObjectIdentifier(from)] = header.timestamp
        onDTMF?(digit, header.timestamp, from === a)
    }

    private func forwardFeedback(_ buffer: inout ByteBuffer, from: WebRTCLeg) {
        guard other(from) === a ? relayTowardsA : relayTowardsB else { return }
        guard let packets = try? RTCPPacket.parseCompound(Array(buffer.readableBytesView)) else { return }
        let to = other(from)
        var out: [UInt8] = []
        for packet in packets {
            switch packet {
            case .pli(_, let media):
                out +=
                    RTCPPacket.pli(senderSSRC: to.localSSRC("video"), mediaSSRC: remoteSSRC(for: media, at: to)).bytes
            case .fir(_, let targets):
                out +=
                    RTCPPacket.fir(
                        senderSSRC: to.localSSRC("video"),
                        targets: targets.map { (ssrc: remoteSSRC(for: $0.ssrc, at: to), sequence: $0.sequence) }
                    ).bytes
            case .nack(_, let media, let lost):
                out +=
                    RTCPPacket.nack(
                        senderSSRC: to.localSSRC("video"), mediaSSRC: remoteSSRC(for: media, at: to), lost: lost
                    ).bytes
            default:
                break
            }
        }
        guard !out.isEmpty else { return }
        // Feedback needs a report first in a compound packet (RFC 3550 §6.1).
        var packet = ByteBuffer(bytes: RTCPPacket.receiverReport(ssrc: to.localSSRC("video"), reports: []).bytes + out)
        to.sendRTCP(&packet)
    }

    /// The SSRC the far leg's peer sends with, for feedback that named our rewritten SSRC.
    private func remoteSSRC(for ssrc: UInt32, at leg: WebRTCLeg) -> UInt32 {
        leg.negotiated.first { $0.kind == "video" }?.remoteSSRCs.first ?? ssrc
    }

}
