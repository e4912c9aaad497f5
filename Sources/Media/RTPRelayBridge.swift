import Codecs
import NIOCore
import RTP
import SDP

/// Relays audio between two trunk legs (a phone caller connected to a phone): packets pass as
/// they are, with the receiving leg's payload type, SSRC and numbering, when both legs speak the
/// same codec; PCMU and PCMA are converted byte by byte in place (a 256-entry table each way);
/// telephone-events pass when both legs negotiated them and are reported once per event. Any
/// other pair of codecs is refused.
///
/// `@unchecked Sendable`: the relay flags, the handlers and `onDTMF` are read and written on the
/// legs' one event loop only (installation and removal hop there).
final class RTPRelayBridge: @unchecked Sendable {
    let a: RTPLeg
    let b: RTPLeg
    /// Called on the event loop with each DTMF digit, the event's RTP timestamp, and whether it
    /// came from `a`.
    var onDTMF: ((_ digit: Character, _ timestamp: UInt32, _ fromA: Bool) -> Void)?
    private var relayTowardsA = true
    private var relayTowardsB = true

    /// Bridges two negotiated trunk legs on one event loop. Throws `MediaError` when a leg has no
    /// negotiation yet or their codecs cannot be relayed without a transcoder.
    init(_ a: RTPLeg, _ b: RTPLeg) throws {
        precondition(a.eventLoop === b.eventLoop, "a call's legs are pinned to one event loop")
        guard let first = a.negotiation?.codec, let second = b.negotiation?.codec else {
            throw MediaError.sdp("a trunk leg has no negotiated codec yet")
        }
        guard Self.conversion(from: first, to: second) != nil, Self.conversion(from: second, to: first) != nil else {
            throw MediaError.sdp("\(first.name) and \(second.name) cannot be relayed between two phones")
        }
        self.a = a
        self.b = b
        a.eventLoop.execute { [self] in
            a.onRTP = { [unowned self] buffer, header, from in forward(&buffer, header, from: from) }
            b.onRTP = { [unowned self] buffer, header, from in forward(&buffer, header, from: from) }
        }
    }

    enum Conversion { case none, ulawToAlaw, alawToUlaw }

    /// How a payload of `from` becomes one of `to`: as is, or through a G.711 table.
    static func conversion(from: Codec, to: Codec) -> Conversion? {
        let (x, y) = (from.name.lowercased(), to.name.lowercased())
        if x == y, from.clockRate == to.clockRate { return Conversion.none }
        switch (x, y) {
        case ("pcmu", "pcma"): return .ulawToAlaw
        case ("pcma", "pcmu"): return .alawToUlaw
        default: return nil
        }
    }

    /// Stops relaying.
    func unbridge() {
        a.eventLoop.execute { [self] in
            a.onRTP = nil
            b.onRTP = nil
        }
    }

    /// Whether `leg` hears the other leg; on the event loop. When relaying resumes the leg's
    /// stream goes on with the marker bit set.
    func setRelaying(towards leg: RTPLeg, _ on: Bool) {
        a.eventLoop.preconditionInEventLoop()
        let was = leg === a ? relayTowardsA : relayTowardsB
        if leg === a { relayTowardsA = on } else { relayTowardsB = on }
        if on, !was { leg.audioSourceChanged() }
    }

    private func forward(_ buffer: inout ByteBuffer, _ header: RTPHeader, from: RTPLeg) {
        let to = from === a ? b : a
        guard let incoming = from.negotiation, let outgoing = to.negotiation else { return }
        let relaying = to === a ? relayTowardsA : relayTowardsB
        if header.payloadType == incoming.telephoneEvent?.payloadType {
            reportDTMF(buffer, header, fromA: from === a)
            guard relaying, let events = outgoing.telephoneEvent, events.clockRate == incoming.telephoneEvent?.clockRate
            else { return }
            buffer.withUnsafeMutableReadableBytes { RTPRewrite.setPayloadType($0, events.payloadType) }
            to.sendRTP(&buffer)
            return
        }
        guard relaying, header.payloadType == incoming.codec.payloadType,
            let conversion = Self.conversion(from: incoming.codec, to: outgoing.codec)
        else { return }
        let payloadOffset = header.payloadOffset
        let payloadLength = header.payloadLength
        buffer.withUnsafeMutableReadableBytes { bytes in
            RTPRewrite.setPayloadType(bytes, outgoing.codec.payloadType)
            let table: [UInt8]
            switch conversion {
            case .none: return
            case .ulawToAlaw: table = G711.ulawToAlaw
            case .alawToUlaw: table = G711.alawToUlaw
            }
            let end = min(bytes.count, payloadOffset + payloadLength)
            for i in payloadOffset..<end { bytes[i] = table[Int(bytes[i])] }
        }
        to.sendRTP(&buffer)
    }

    private func reportDTMF(_ buffer: ByteBuffer, _ header: RTPHeader, fromA: Bool) {
        guard header.payloadLength >= 4,
            let payload = buffer.getBytes(at: buffer.readerIndex + header.payloadOffset, length: 4),
            let event = TelephoneEvent.parse(payload), event.end, let digit = event.digit
        else { return }
        onDTMF?(digit, header.timestamp, fromA)
    }
}
