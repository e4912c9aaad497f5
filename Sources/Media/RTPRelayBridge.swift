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
    /// How packets cross each way, derived from both legs' negotiations and kept while their
    /// `negotiationGeneration`s stay the same (reading a negotiation copies the whole struct).
    private var towardsA: Crossing?
    private var towardsB: Crossing?

    /// What a packet of one leg becomes on the other.
    struct Crossing {
        var generations: (from: Int, to: Int)
        var audioPayloadType: UInt8
        /// Nil when the other leg cannot take this audio (not a codec of the same name and rate,
        /// nor a G.711 pair).
        var conversion: Conversion?
        var outgoingAudioPayloadType: UInt8
        var eventPayloadType: UInt8?
        /// Nil when the other leg takes no telephone-events at this leg's clock rate.
        var outgoingEventPayloadType: UInt8?

        init?(from: RTPLeg, to: RTPLeg) {
            guard let incoming = from.negotiation, let outgoing = to.negotiation else { return nil }
            generations = (from.negotiationGeneration, to.negotiationGeneration)
            audioPayloadType = incoming.codec.payloadType
            conversion = RTPRelayBridge.conversion(from: incoming.codec, to: outgoing.codec)
            outgoingAudioPayloadType = outgoing.codec.payloadType
            eventPayloadType = incoming.telephoneEvent?.payloadType
            outgoingEventPayloadType =
                outgoing.telephoneEvent.flatMap { $0.clockRate == incoming.telephoneEvent?.clockRate ? $0 : nil }?
                .payloadType
        }

        func holds(from: RTPLeg, to: RTPLeg) -> Bool {
            generations == (from.negotiationGeneration, to.negotiationGeneration)
        }
    }

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
        let fromA = from === a
        let to = fromA ? b : a
        guard let crossing = crossing(fromA: fromA, from: from, to: to) else { return }
        let relaying = fromA ? relayTowardsB : relayTowardsA
        if header.payloadType == crossing.eventPayloadType {
            reportDTMF(buffer, header, fromA: fromA)
            guard relaying, let events = crossing.outgoingEventPayloadType else { return }
            buffer.withUnsafeMutableReadableBytes { RTPRewrite.setPayloadType($0, events) }
            to.sendRTP(&buffer)
            return
        }
        guard relaying, header.payloadType == crossing.audioPayloadType, let conversion = crossing.conversion else {
            return
        }
        let payloadOffset = header.payloadOffset
        let payloadLength = header.payloadLength
        buffer.withUnsafeMutableReadableBytes { bytes in
            RTPRewrite.setPayloadType(bytes, crossing.outgoingAudioPayloadType)
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

    /// The way from `from` to `to`, derived again only after either leg's negotiation changed.
    private func crossing(fromA: Bool, from: RTPLeg, to: RTPLeg) -> Crossing? {
        if let known = fromA ? towardsB : towardsA, known.holds(from: from, to: to) { return known }
        let fresh = Crossing(from: from, to: to)
        if fromA { towardsB = fresh } else { towardsA = fresh }
        return fresh
    }

    private func reportDTMF(_ buffer: ByteBuffer, _ header: RTPHeader, fromA: Bool) {
        guard header.payloadLength >= 4,
            let payload = buffer.getBytes(at: buffer.readerIndex + header.payloadOffset, length: 4),
            let event = TelephoneEvent.parse(payload), event.end, let digit = event.digit
        else { return }
        onDTMF?(digit, header.timestamp, fromA)
    }
}
