/// The audio of an `RTP/AVP` (or, with SDES keys, `RTP/SAVP`) description, as SIP trunks send
/// it: where to send media, which codecs, which direction, which keys. Read with session-level
/// fallbacks for `c=` and direction.
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
    /// Whether the profile is `RTP/SAVP` (SRTP).
    public var secure: Bool
    /// The usable `a=crypto` lines (SDES), in the order given.
    public var crypto: [SDESCrypto]

    public init(
        address: String, port: Int, rtcpPort: Int, codecs: [Codec], direction: String, ptime: Int? = nil,
        secure: Bool = false, crypto: [SDESCrypto] = []
    ) {
        self.address = address
        self.port = port
        self.rtcpPort = rtcpPort
        self.codecs = codecs
        self.direction = direction
        self.ptime = ptime
        self.secure = secure
        self.crypto = crypto
    }

    /// Whether the far end stopped sending to us (hold).
    public var isOnHold: Bool { direction == "sendonly" || direction == "inactive" || address == "0.0.0.0" }

    /// Reads the first audio section that is not rejected (port 0 sections are skipped).
    public static func read(_ description: SessionDescription) throws(WebRTCSDPError) -> PlainAudio {
        guard let index = description.media.firstIndex(where: { $0.media == "audio" && $0.port != 0 }) else {
            throw .noMedia
        }
        let m = description.media[index]
        let proto = m.proto.uppercased()
        guard proto.hasPrefix("RTP/AVP") || proto == "RTP/SAVP" else {
            throw .unsupported("media protocol \(m.proto); a trunk must use RTP/AVP or RTP/SAVP")
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
            ptime: m.attribute("ptime").flatMap { Int($0) }, secure: proto == "RTP/SAVP",
            crypto: m.attributes.filter { $0.name == "crypto" }.compactMap { $0.value.flatMap(SDESCrypto.init) })
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
    /// The SRTP keys both sides settled on (SDES); nil for plain RTP.
    public var sdes: SDESKeys?

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

/// Offers and answers for trunks: `RTP/AVP`, or `RTP/SAVP` with SDES keys (RFC 4568) when the
/// leg has a `localKey`; one codec chosen by the operator's preference, RFC 4733 events, 20 ms
/// packets. A trunk that encrypts takes only SRTP and one that does not takes only RTP: a
/// mismatch is refused (SIP 488) rather than silently sending media in clear text.
public enum PlainRTPDescriptionBuilder {
    /// The codecs a trunk may use, by name, with the payload types the gateway offers them with.
    public static let known: [Codec] = [
        Codec(payloadType: 0, name: "pcmu", clockRate: 8000),
        Codec(payloadType: 8, name: "pcma", clockRate: 8000),
        Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: "useinbandfec=1"),
    ]

    /// The tag of the one `a=crypto` line the gateway offers.
    public static let offeredCryptoTag = 1

    /// An offer with `preference` (codec names: `pcmu`, `pcma`, `opus`) in order; SRTP with
    /// `localKey` (30 bytes) when given.
    public static func offer(
        address: String, port: Int, preference: [String], sessionId: UInt64, direction: String = "sendrecv",
        localKey: [UInt8]? = nil
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
            address: address, port: port, codecs: codecs + events, direction: direction, sessionId: sessionId,
            crypto: localKey.map { SDESCrypto(tag: offeredCryptoTag, keyAndSalt: $0) })
    }

    /// Answers a trunk's offer with the first codec of `preference` that it lists (the offer's
    /// payload types are kept), and with SRTP when `localKey` is given. Throws `noCommonCodec`
    /// when there is no common codec, `unsupported` when the offer's encryption is not the
    /// trunk's (SIP 488).
    public static func answer(
        to offer: SessionDescription, address: String, port: Int, preference: [String], sessionId: UInt64,
        localKey: [UInt8]? = nil
    ) throws(WebRTCSDPError) -> (SessionDescription, PlainNegotiation) {
        let remote = try PlainAudio.read(offer)
        var negotiation = try choose(from: remote, preference: preference)
        let theirs = try remoteCrypto(remote, localKey: localKey, tag: nil)
        if let localKey, let theirs { negotiation.sdes = SDESKeys(local: localKey, remote: theirs.keyAndSalt) }
        let direction =
            switch remote.direction {
            case "sendonly": "recvonly"
            case "recvonly": "sendonly"
            case "inactive": "inactive"
            default: remote.address == "0.0.0.0" ? "inactive" : "sendrecv"
            }
        negotiation.localDirection = direction
        let codecs = [negotiation.codec] + (negotiation.telephoneEvent.map { [$0] } ?? [])
        let ours = localKey.flatMap { key in theirs.map { SDESCrypto(tag: $0.tag, keyAndSalt: key) } }
        return (
            description(
                address: address, port: port, codecs: codecs, direction: direction, sessionId: sessionId, crypto: ours),
            negotiation
        )
    }

    /// Reads a trunk's answer to the gateway's offer, which said `offeredDirection` (and offered
    /// SRTP with `localKey`, when given).
    public static func readAnswer(
        _ answer: SessionDescription, preference: [String], offeredDirection: String = "sendrecv",
        localKey: [UInt8]? = nil
    ) throws(WebRTCSDPError) -> PlainNegotiation {
        let remote = try PlainAudio.read(answer)
        var negotiation = try choose(from: remote, preference: preference)
        negotiation.localDirection = offeredDirection
        if let localKey, let theirs = try remoteCrypto(remote, localKey: localKey, tag: offeredCryptoTag) {
            negotiation.sdes = SDESKeys(local: localKey, remote: theirs.keyAndSalt)
        }
        return negotiation
    }

    /// The far end's key when the leg encrypts (`localKey`); nil when neither side does. An
    /// answer must carry the offered `tag`. Throws when one side encrypts and the other does not.
    static func remoteCrypto(_ remote: PlainAudio, localKey: [UInt8]?, tag: Int?) throws(WebRTCSDPError)
        -> SDESCrypto?
    {
        guard localKey != nil else {
            if remote.secure {
                throw .unsupported("media protocol RTP/SAVP: this trunk does not encrypt media (mediaEncryption NONE)")
            }
            return nil
        }
        guard remote.secure else {
            throw .unsupported(
                "media protocol RTP/AVP: this trunk encrypts media (mediaEncryption SDES) and needs RTP/SAVP")
        }
        guard let crypto = remote.crypto.first(where: { tag == nil || $0.tag == tag }) else {
            throw .unsupported("no usable a=crypto line: this trunk needs \(SDESCrypto.suite) with an inline key")
        }
        return crypto
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

    static func description(
        address: String, port: Int, codecs: [Codec], direction: String, sessionId: UInt64, crypto: SDESCrypto? = nil
    ) -> SessionDescription {
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
        if let crypto { attributes.append(SDPAttribute("crypto", crypto.attributeValue)) }
        return SessionDescription(
            lines: [
                ("v", "0"), ("o", "- \(sessionId) 1 IN IP4 \(address)"), ("s", "-"), ("c", "IN IP4 \(address)"),
                ("t", "0 0"),
            ],
            media: [
                MediaDescription(
                    media: "audio", port: port, proto: crypto == nil ? "RTP/AVP" : "RTP/SAVP",
                    formats: codecs.map { String($0.payloadType) },
                    attributes: attributes)
            ])
    }
}
