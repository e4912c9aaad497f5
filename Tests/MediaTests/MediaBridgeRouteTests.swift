import Testing

@testable import Media
@testable import SDP

/// The payload-type table a bridge of two WebRTC legs makes once, instead of searching codecs
/// by name for every packet.
@Suite struct MediaBridgeRouteTests {
    typealias Negotiated = WebRTCDescriptionBuilder.Negotiated

    @Test func eachPayloadTypeGoesToTheSameCodecOnTheOtherLeg() {
        let from = [
            Negotiated(
                kind: "audio", mid: "0",
                codecs: [
                    Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2),
                    Codec(payloadType: 126, name: "telephone-event", clockRate: 8000),
                    Codec(payloadType: 101, name: "telephone-event", clockRate: 48000),
                ], remoteSSRCs: [1], direction: "sendrecv"),
            Negotiated(
                kind: "video", mid: "1", codecs: [Codec(payloadType: 96, name: "vp8", clockRate: 90000)],
                remoteSSRCs: [2], direction: "sendrecv"),
        ]
        let to = [
            Negotiated(
                kind: "audio", mid: "0",
                codecs: [
                    Codec(payloadType: 109, name: "opus", clockRate: 48000, channels: 2),
                    Codec(payloadType: 110, name: "telephone-event", clockRate: 48000),
                ], remoteSSRCs: [3], direction: "sendrecv"),
            Negotiated(
                kind: "video", mid: "1", codecs: [Codec(payloadType: 120, name: "vp8", clockRate: 90000)],
                remoteSSRCs: [4], direction: "sendrecv"),
        ]
        let routes = MediaBridge.routes(from: from, to: to)
        #expect(routes.count == 128)
        #expect(routes[111]?.target == 109 && routes[111]?.isAudio == true && routes[111]?.isDigit == false)
        // Digits at 48 kHz map; the 8 kHz ones have no counterpart but are still reported.
        #expect(routes[101]?.target == 110 && routes[101]?.isDigit == true)
        #expect(routes[126]?.target == nil && routes[126]?.isDigit == true)
        #expect(routes[96]?.target == 120 && routes[96]?.isAudio == false)
        // A payload type the leg never negotiated is dropped.
        #expect(routes[0] == nil && routes[127] == nil)
    }
}
