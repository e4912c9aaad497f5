/// What the gateway puts into its side of a WebRTC negotiation.
public struct LocalParameters: Sendable, Equatable {
    public var iceUfrag: String
    public var icePwd: String
    /// SHA-256 fingerprint, upper-case hex with colons.
    public var fingerprint: String
    public var address: String
    public var port: Int
    public var cname: String
    public var streamId: String
    /// SSRC the gateway sends with, per media kind.
    public var ssrcs: [String: UInt32]

    public init(
        iceUfrag: String, icePwd: String, fingerprint: String, address: String, port: Int, cname: String,
        streamId: String, ssrcs: [String: UInt32]
    ) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.address = address
        self.port = port
        self.cname = cname
        self.streamId = streamId
        self.ssrcs = ssrcs
    }
}

/// Codecs the gateway speaks, in preference order, and their default parameters.
public enum SupportedCodecs {
    public static let audio: [Codec] = [
        Codec(
            payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: "minptime=10;useinbandfec=1",
            feedback: ["transport-cc"]),
        Codec(payloadType: 0, name: "pcmu", clockRate: 8000),
        Codec(payloadType: 8, name: "pcma", clockRate: 8000),
        Codec(payloadType: 126, name: "telephone-event", clockRate: 48000, fmtp: "0-15"),
        // Firefox sends RFC 4733 events only at 8 kHz, beside Opus at 48 kHz.
        Codec(payloadType: 101, name: "telephone-event", clockRate: 8000, fmtp: "0-15"),
    ]
    public static let video: [Codec] = [
        Codec(payloadType: 96, name: "vp8", clockRate: 90000, feedback: ["nack", "nack pli", "ccm fir"]),
        Codec(
            payloadType: 102, name: "h264", clockRate: 90000,
            fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            feedback: ["nack", "nack pli", "ccm fir"]),
    ]
}

/// Builds the gateway's offers and answers: ICE-lite, rtcp-mux, BUNDLE on one port.
public enum WebRTCDescriptionBuilder {
    /// The negotiated outcome for one media section of an answer.
    public struct Negotiated: Equatable, Sendable {
        public var kind: String
        public var mid: String
        /// Codecs accepted, with the offerer's payload types; empty when the section was rejected.
        public var codecs: [Codec]
        public var remoteSSRCs: [UInt32]
        public var direction: String
    }

    /// Answers `offer`. Audio must find a common codec; a video section without one is rejected
    /// (port 0). The DTLS role is passive unless the offerer insists on being passive.
    /// With `narrowbandOpus` (the other side of the call is a phone) the answer asks the peer to
    /// send Opus no wider than 8 kHz (`maxplaybackrate`), which is what a phone can play and
    /// far cheaper to decode.
    ///
    /// A client (the headless agent) answers as a full ICE agent (`iceLite` false), with its own
    /// `audioCodecs`, and as DTLS client (`preferActive`) when the offerer lets it choose.
    public static func answer(
        to offer: SessionDescription, local: LocalParameters, sessionId: UInt64, allowVideo: Bool = true,
        narrowbandOpus: Bool = false, iceLite: Bool = true, audioCodecs: [Codec] = SupportedCodecs.audio,
        preferActive: Bool = false
    ) throws(WebRTCSDPError) -> (SessionDescription, [Negotiated], setup: SetupRole) {
        guard !offer.media.isEmpty else { throw .noMedia }
        var sections: [MediaDescription] = []
        var negotiated: [Negotiated] = []
        var bundle: [String] = []
        var ourSetup = SetupRole.passive
        for index in offer.media.indices {
            let remote = try WebRTCMedia.read(offer, index: index)
            guard remote.rtcpMux else { throw .unsupported("media without a=rtcp-mux") }
            guard remote.fingerprintAlgorithm == "sha-256" else {
                throw .unsupported("fingerprint algorithm \(remote.fingerprintAlgorithm); use sha-256")
            }
            ourSetup =
                switch remote.setup {
                case .passive: .active
                case .active: .passive
                default: preferActive ? .active : .passive
                }
            let mid = remote.mid ?? String(index)
            let supported =
                remote.kind == "audio"
                ? audioCodecs : (allowVideo && remote.kind == "video" ? SupportedCodecs.video : [])
            var chosen: [Codec] = []
            for offered in remote.codecs {
                guard
                    let ours = supported.first(where: { $0.name == offered.name && $0.clockRate == offered.clockRate })
                else { continue }
                if offered.name == "telephone-event" {
                    if !chosen.contains(where: { $0.name == "telephone-event" }) { chosen.append(offered) }
                    continue
                }
                if offered.name == "h264", !(offered.fmtp ?? "").contains("packetization-mode=1") { continue }
                // One media codec (the first the offerer lists that we speak) keeps relaying simple.
                if chosen.contains(where: { $0.name != "telephone-event" }) { continue }
                var codec = offered
                codec.feedback = offered.feedback.filter { ours.feedback.contains($0) }
                chosen.append(codec)
            }
            let hasMediaCodec = chosen.contains { $0.name != "telephone-event" }
            if !hasMediaCodec {
                if remote.kind == "audio" { throw .noCommonCodec("audio") }
                sections.append(
                    MediaDescription(
                        media: remote.kind, port: 0, proto: offer.media[index].proto,
                        formats: offer.media[index].formats.prefix(1).map { $0 }, attributes: [SDPAttribute("mid", mid)]
                    ))
                negotiated.append(
                    Negotiated(
                        kind: remote.kind, mid: mid, codecs: [], remoteSSRCs: remote.ssrcs, direction: "inactive"))
                continue
            }
            let direction =
                switch remote.direction {
                case "sendonly": "recvonly"
                case "recvonly": "sendonly"
                case "inactive": "inactive"
                default: "sendrecv"
                }
            sections.append(
                section(
                    kind: remote.kind, mid: mid, codecs: narrowbandOpus ? chosen.map(narrowed) : chosen,
                    direction: direction, setup: ourSetup, local: local))
            negotiated.append(
                Negotiated(kind: remote.kind, mid: mid, codecs: chosen, remoteSSRCs: remote.ssrcs, direction: direction)
            )
            bundle.append(mid)
        }
        return (
            description(sections: sections, bundle: bundle, sessionId: sessionId, iceLite: iceLite), negotiated,
            ourSetup
        )
    }

    /// An offer with audio (and video when asked), DTLS role actpass; `narrowbandOpus` as in
    /// `answer`; `iceLite` and `audioCodecs` as in `answer`.
    public static func offer(
        local: LocalParameters, sessionId: UInt64, video: Bool, narrowbandOpus: Bool = false, iceLite: Bool = true,
        audioCodecs: [Codec] = SupportedCodecs.audio
    ) -> SessionDescription {
        var sections = [
            section(
                kind: "audio", mid: "0", codecs: narrowbandOpus ? audioCodecs.map(narrowed) : audioCodecs,
                direction: "sendrecv", setup: .actpass, local: local)
        ]
        if video {
            sections.append(
                section(
                    kind: "video", mid: "1", codecs: SupportedCodecs.video, direction: "sendrecv", setup: .actpass,
                    local: local))
        }
        return description(
            sections: sections, bundle: sections.compactMap { $0.attribute("mid") }, sessionId: sessionId,
            iceLite: iceLite)
    }

    /// Opus asked to stay within 8 kHz (RFC 7587 `maxplaybackrate`, `sprop-maxcapturerate`).
    static func narrowed(_ codec: Codec) -> Codec {
        guard codec.name == "opus" else { return codec }
        var copy = codec
        let kept = (codec.fmtp ?? "").split(separator: ";").filter {
            !$0.hasPrefix("maxplaybackrate") && !$0.hasPrefix("sprop-maxcapturerate")
        }
        copy.fmtp = (kept + ["maxplaybackrate=8000", "sprop-maxcapturerate=8000"]).joined(separator: ";")
        return copy
    }

    static func description(sections: [MediaDescription], bundle: [String], sessionId: UInt64, iceLite: Bool)
        -> SessionDescription
    {
        SessionDescription(
            lines: [("v", "0"), ("o", "- \(sessionId) 2 IN IP4 127.0.0.1"), ("s", "-"), ("t", "0 0")],
            attributes: [SDPAttribute("group", (["BUNDLE"] + bundle).joined(separator: " "))]
                + (iceLite ? [SDPAttribute("ice-lite")] : []) + [SDPAttribute("msid-semantic", " WMS *")],
            media: sections)
    }

    static func section(
        kind: String, mid: String, codecs: [Codec], direction: String, setup: SetupRole, local: LocalParameters
    ) -> MediaDescription {
        var attributes = [
            SDPAttribute("rtcp", "9 IN IP4 0.0.0.0"), SDPAttribute("ice-ufrag", local.iceUfrag),
            SDPAttribute("ice-pwd", local.icePwd), SDPAttribute("fingerprint", "sha-256 \(local.fingerprint)"),
            SDPAttribute("setup", setup.rawValue), SDPAttribute("mid", mid), SDPAttribute(direction),
            SDPAttribute("rtcp-mux"),
        ]
        if kind == "video" { attributes.append(SDPAttribute("rtcp-rsize")) }
        for codec in codecs {
            let channels = codec.channels > 1 ? "/\(codec.channels)" : ""
            attributes.append(
                SDPAttribute(
                    "rtpmap", "\(codec.payloadType) \(codec.name.uppercasedCodecName)/\(codec.clockRate)\(channels)"))
            for feedback in codec.feedback {
                attributes.append(SDPAttribute("rtcp-fb", "\(codec.payloadType) \(feedback)"))
            }
            if let fmtp = codec.fmtp { attributes.append(SDPAttribute("fmtp", "\(codec.payloadType) \(fmtp)")) }
        }
        if let ssrc = local.ssrcs[kind], direction != "recvonly", direction != "inactive" {
            attributes.append(SDPAttribute("ssrc", "\(ssrc) cname:\(local.cname)"))
            attributes.append(SDPAttribute("ssrc", "\(ssrc) msid:\(local.streamId) \(kind)-\(mid)"))
            attributes.append(SDPAttribute("msid", "\(local.streamId) \(kind)-\(mid)"))
        }
        attributes.append(
            SDPAttribute(
                "candidate",
                Candidate(
                    foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431, address: local.address,
                    port: local.port, type: "host"
                ).value))
        attributes.append(SDPAttribute("end-of-candidates"))
        return MediaDescription(
            media: kind, port: local.port, proto: "UDP/TLS/RTP/SAVPF", formats: codecs.map { String($0.payloadType) },
            lines: [("c", "IN IP4 \(local.address)")], attributes: attributes)
    }
}

extension String {
    /// The spelling browsers use in rtpmap (`opus`, `PCMU`, `telephone-event`, `VP8`, `H264`).
    var uppercasedCodecName: String {
        switch self {
        case "opus", "telephone-event": self
        default: uppercased()
        }
    }
}
