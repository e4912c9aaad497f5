extension WebRTCDescriptionBuilder {
    /// What an answer to the gateway's own offer settled: codecs per section and the DTLS role
    /// the gateway takes (the opposite of the answerer's).
    public static func readAnswer(_ answer: SessionDescription) throws(WebRTCSDPError) -> ([Negotiated], SetupRole) {
        var sections: [Negotiated] = []
        var setup = SetupRole.passive
        for index in answer.media.indices {
            let media = try WebRTCMedia.read(answer, index: index)
            guard media.fingerprintAlgorithm == "sha-256" else {
                throw .unsupported("fingerprint \(media.fingerprintAlgorithm)")
            }
            setup = media.setup == .active ? .passive : .active
            let accepted = answer.media[index].port != 0
            sections.append(
                Negotiated(
                    kind: media.kind, mid: media.mid ?? String(index),
                    codecs: accepted
                        ? media.codecs.filter { codec in
                            (media.kind == "audio" ? SupportedCodecs.audio : SupportedCodecs.video).contains {
                                $0.name == codec.name && $0.clockRate == codec.clockRate
                            }
                        } : [],
                    remoteSSRCs: media.ssrcs, direction: media.direction))
        }
        guard sections.contains(where: { $0.kind == "audio" && !$0.codecs.isEmpty }) else {
            throw .noCommonCodec("audio")
        }
        return (sections, setup)
    }
}
