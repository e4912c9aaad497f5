/// The audio of a plain `RTP/AVP` description, as SIP trunks send it: where to send media,
/// which codecs, which direction. Read with session-level fallbacks for `c=` and direction.
public struct PlainAudio: Equatable, Sendable {
    /// The connection address; `0.0.0.0` is the old way to put a call on hold (RFC 3264 §8.4).
    public var address: String
    public var port: Int
    /// Where RTCP goes: `a=rtcp` when given, else the next port (RFC 3605).
    public var rtcpPort: Int
    public var codecs: [Codec]
    public var direction: String
    /// `a=ptime` in milliseconds, when given.
    public var ptime: Int?

    public init(
        address: String, port: Int, rtcpPort: Int, codecs: [Codec], direction: String, ptime: Int? = nil
    ) {
        self.address = address
        self.port = port
        self.rtcpPort = rtcpPort
        self.codecs = codecs
        self.direction = direction
        self.ptime = ptime
    }

    /// Whether the far end stopped sending to us (hold).
    public var isOnHold: Bool { direction == "sendonly" || direction == "inactive" || address == "0.0.0.0" }

    /// Reads the first audio section that is not rejected (port 0 sections are skipped).
    public static func read(_ description: SessionDescription) throws(WebRTCSDPError) -> PlainAudio {
        guard let index = description.media.firstIndex(where: { $0.media == "audio" && $0.port != 0 }) else {
            throw .noMedia
        }
        let m = description.media[index]
        guard m.proto.uppercased().hasPrefix("RTP/AVP") else {
            throw .unsupported("media protocol \(m.proto); a trunk must use RTP/AVP")
        }
        let connection =
            m.lines.last(where: { $0.type == "c" })?.value ?? description.lines.last(where: { $0.type == "c" })?.value
        guard let connection else { throw .missing("c= line") }
        let parts = connection.split(separator: " ")
        guard parts.count >= 3, parts[0] == "IN", parts[1] == "IP4" || parts[1] == "IP6" else {
            throw .malformed("c= line")
        }
        let address = String(parts[2].split(separator: "/").first ?? "")
        guard !address.isEmpty else { throw .malformed("c= line") }
        var rtcpPort = m.port + 1
        if let rtcp = m.attribute("rtcp"), let port = rtcp.split(separator: " ").first.flatMap({ Int($0) }),
            (1...65535).contains(port)
        {
            rtcpPort = port
        }
        let direction =
            ["sendrecv", "sendonly", "recvonly", "inactive"].first {
                m.hasAttribute($0) || description.attributes.contains(SDPAttribute($0))
            } ?? "sendrecv"
        return PlainAudio(
            address: address, port: m.port, rtcpPort: rtcpPort, codecs: try Codec.list(in: m), direction: direction,
            ptime: m.attribute("ptime").flatMap { Int($0) })
    }
}

/// What a trunk negotiation settled: the one audio codec, DTMF events, and the far end.
public struct PlainNegotiation: Equatable, Sendable {
    /// The audio codec, with the payload type this side sends with.
    public var codec: Codec
    /// `telephone-event` at the codec's clock rate, when both sides have it.
    public var telephoneEvent: Codec?
    public var remote: PlainAudio
    /// The direction the gateway's side of the description says (its offer, or its answer).
    public var localDirection = "sendrecv"

    public init(codec: Codec, telephoneEvent: Codec?, remote: PlainAudio, localDirection: String = "sendrecv") {
        self.codec = codec
        self.telephoneEvent = telephoneEvent
        self.remote = remote
        self.localDirection = localDirection
    }

    /// Whether the far end sends media to us now.
    public var remoteSends: Bool {
        remote.address != "0.0.0.0" && (remote.direction == "sendrecv" || remote.direction == "sendonly")
    }

    /// Whether the gateway sends media to the far end: its side says `sendrecv` or `sendonly`
    /// (its own hold, when the far end hears hold music) and the far end receives.
    public var localSends: Bool {
        (localDirection == "sendrecv" || localDirection == "sendonly")
            && (remote.direction == "sendrecv" || remote.direction == "recvonly") && remote.address != "0.0.0.0"
    }
}

/// Offers and answers for trunks: `RTP/AVP`, one codec chosen by the operator's preference,
/// RFC 4733 events, 20 ms packets.
public enum PlainRTPDescriptionBuilder {
    /// The codecs a trunk may use, by name, with the payload types the gateway offers them with.
    public static let known: [Codec] = [
        Codec(payloadType: 0, name: "pcmu", clockRate: 8000),
        Codec(payloadType: 8, name: "pcma", clockRate: 8000),
        Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: "useinbandfec=1"),
    ]

    /// An offer with `preference` (codec names: `pcmu`, `pcma`, `opus`) in order.
    public static func offer(
        address: String, port: Int, preference: [String], sessionId: UInt64, direction: String = "sendrecv"
    ) -> SessionDescription {
        let codecs = preference.compactMap { name in known.first { $0.name == name } }
        var events: [Codec] = []
        if codecs.contains(where: { $0.clockRate == 8000 }) {
            events.append(Codec(payloadType: 101, name: "telephone-event", clockRate: 8000, fmtp: "0-16"))
        }
        if codecs.contains(where: { $0.clockRate == 48000 }) {
            events.append(Codec(payloadType: 110, name: "telephone-event", clockRate: 48000, fmtp: "0-16"))
        }
        return description(
            address: address, port: port, codecs: codecs + events, direction: direction, sessionId: sessionId)
    }

    /// Answers a trunk's offer with the first codec of `preference` that it lists (the offer's
    /// payload types are kept). Throws `noCommonCodec` when there is none (SIP 488).
    public static func answer(
        to offer: SessionDescription, address: String, port: Int, preference: [String], sessionId: UInt64
    ) throws(WebRTCSDPError) -> (SessionDescription, PlainNegotiation) {
        let remote = try PlainAudio.read(offer)
        var negotiation = try choose(from: remote, preference: preference)
        let direction =
            switch remote.direction {
            case "sendonly": "recvonly"
            case "recvonly": "sendonly"
            case "inactive": "inactive"
            default: remote.address == "0.0.0.0" ? "inactive" : "sendrecv"
            }
        negotiation.localDirection = direction
        let codecs = [negotiation.codec] + (negotiation.telephoneEvent.map { [$0] } ?? [])
        return (
            description(address: address, port: port, codecs: codecs, direction: direction, sessionId: sessionId),
            negotiation
        )
    }

    /// Reads a trunk's answer to the gateway's offer, which said `offeredDirection`.
    public static func readAnswer(
        _ answer: SessionDescription, preference: [String], offeredDirection: String = "sendrecv"
    ) throws(WebRTCSDPError) -> PlainNegotiation {
        var negotiation = try choose(from: try PlainAudio.read(answer), preference: preference)
        negotiation.localDirection = offeredDirection
        return negotiation
    }

    static func choose(from remote: PlainAudio, preference: [String]) throws(WebRTCSDPError) -> PlainNegotiation {
        for name in preference {
            guard let codec = remote.codecs.first(where: { $0.name == name && known.contains { $0.name == name } })
            else { continue }
            let event = remote.codecs.first { $0.name == "telephone-event" && $0.clockRate == codec.clockRate }
            return PlainNegotiation(codec: codec, telephoneEvent: event, remote: remote)
        }
        throw .noCommonCodec("audio (offered \(remote.codecs.map(\.name).joined(separator: ", ")))")
    }

    static func description(address: String, port: Int, codecs: [Codec], direction: String, sessionId: UInt64)
        -> SessionDescription
    {
        var attributes: [SDPAttribute] = []
        for codec in codecs {
            let channels = codec.channels > 1 ? "/\(codec.channels)" : ""
            attributes.append(
                SDPAttribute(
                    "rtpmap", "\(codec.payloadType) \(codec.name.uppercasedCodecName)/\(codec.clockRate)\(channels)"))
            if let fmtp = codec.fmtp { attributes.append(SDPAttribute("fmtp", "\(codec.payloadType) \(fmtp)")) }
        }
        attributes.append(SDPAttribute("ptime", "20"))
        attributes.append(SDPAttribute(direction))
        return SessionDescription(
            lines: [
                ("v", "0"), ("o", "- \(sessionId) 1 IN IP4 \(address)"), ("s", "-"), ("c", "IN IP4 \(address)"),
                ("t", "0 0"),
            ],
            media: [
                MediaDescription(
                    media: "audio", port: port, proto: "RTP/AVP", formats: codecs.map { String($0.payloadType) },
                    attributes: attributes)
            ])
    }
}
