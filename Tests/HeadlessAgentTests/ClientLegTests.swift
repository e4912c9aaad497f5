import Foundation
import ICE
import NIOCore
import SDP
import TestSupport
import Testing

@testable import ClientMedia
@testable import HeadlessAgent
@testable import Media

/// Client legs on loopback sockets: against each other (one controlling, one controlled) and
/// against the gateway's own WebRTC leg.
@Suite struct ClientLegTests {
    /// Polls `condition` every 20 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    /// A gateway WebRTC leg on `loop` and a client leg that answered its offer, both up.
    static func gatewayLegWithClient(
        media: MediaEngine, engine: ClientMediaEngine, loop: any EventLoop, audio: EncodedAudio?,
        recorder: AudioRecorder?
    ) async throws -> (WebRTCLeg, ClientLeg) {
        let gatewayLeg = try await media.makeLeg(on: loop)
        let offer = WebRTCDescriptionBuilder.offer(local: gatewayLeg.local, sessionId: 1, video: false)
        let client = try await engine.makeLeg(audio: audio, recorder: recorder)
        let events = Events()
        let answer = try await client.answer(offer: offer.text, onEvent: events.handler)
        client.start()
        let (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(try SessionDescription.parse(answer))
        try await loop.submit {
            try gatewayLeg.configure(
                remote: try SessionDescription.parse(answer), negotiated: negotiated, localSetup: setup)
        }.get()
        #expect(await events.first() == .established)
        return (gatewayLeg, client)
    }

    final class Events: Sendable {
        let stream: AsyncStream<ClientLegEvent>
        let continuation: AsyncStream<ClientLegEvent>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream(of: ClientLegEvent.self) }
        var handler: @Sendable (ClientLegEvent) -> Void { { [continuation] in continuation.yield($0) } }
        func first() async -> ClientLegEvent? {
            for await event in stream { return event }
            return nil
        }
    }

    @Test func twoClientLegsCallEachOtherAndHearEachOthersTone() async throws {
        let engine = try ClientMediaEngine()
        let recorderA = try AudioRecorder()
        let recorderB = try AudioRecorder()
        let a = try await engine.makeLeg(audio: try EncodedAudio.tone(frequency: 440), recorder: recorderA)
        let b = try await engine.makeLeg(audio: try EncodedAudio.tone(frequency: 660), recorder: recorderB)
        let (eventsA, eventsB) = (Events(), Events())
        let offer = a.offer()
        #expect(!offer.contains("a=ice-lite") && offer.contains("a=setup:actpass"))
        let answer = try await b.answer(offer: offer, onEvent: eventsB.handler)
        #expect(answer.contains("a=setup:active"), "the answerer takes the DTLS client role")
        try await a.accept(answer: answer, onEvent: eventsA.handler)
        b.start()
        #expect(await eventsA.first() == .established)
        #expect(await eventsB.first() == .established)
        let bothHeard = await Self.eventually(5) {
            let heardByA = await a.figures().packetsReceived
            let heardByB = await b.figures().packetsReceived
            return heardByA >= 60 && heardByB >= 60
        }
        #expect(bothHeard)
        let figuresA = await a.close()
        let figuresB = await b.close()
        #expect(figuresA.lost == 0 && figuresB.lost == 0)
        #expect(figuresA.expected >= 60 && figuresA.jitterMilliseconds < 20)
        let heardByA = try await a.eventLoop.submit { recorderA.samples }.get().dropFirst(4800).map { $0 }
        let heardByB = try await b.eventLoop.submit { recorderB.samples }.get().dropFirst(4800).map { $0 }
        #expect(
            ToneAnalysis.power(heardByA, frequency: 660, rate: 48000)
                > 100 * ToneAnalysis.power(heardByA, frequency: 440, rate: 48000))
        #expect(
            ToneAnalysis.power(heardByB, frequency: 440, rate: 48000)
                > 100 * ToneAnalysis.power(heardByB, frequency: 660, rate: 48000))
        try await engine.shutdown()
    }

    /// A fast client checks and sends its ClientHello before the gateway applied its answer:
    /// the gateway keeps the early DTLS and the handshake needs no retransmission. Its
    /// close_notify at the end is reported as the peer leaving, not as a failure.
    @Test func gatewayLegKeepsDTLSThatComesBeforeTheAnswer() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47100...47199), threads: 1)
        let engine = try ClientMediaEngine()
        let gatewayLeg = try await media.makeLeg(on: media.nextEventLoop())
        let (gatewayEvents, gatewayEventSink) = AsyncStream.makeStream(of: LegEvent.self)
        gatewayLeg.onEvent = { gatewayEventSink.yield($0) }
        var gatewayIterator = gatewayEvents.makeAsyncIterator()
        let offer = WebRTCDescriptionBuilder.offer(local: gatewayLeg.local, sessionId: 1, video: false)
        let client = try await engine.makeLeg(audio: nil, recorder: nil)
        let clientEvents = Events()
        let answer = try await client.answer(offer: offer.text, onEvent: clientEvents.handler)
        client.start()
        #expect(
            await Self.eventually(5) {
                (try? await gatewayLeg.eventLoop.submit { gatewayLeg.earlyDTLS.count }.get()) ?? 0 > 0
            }, "the ClientHello arrived before the answer was applied")
        let (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(try SessionDescription.parse(answer))
        try await gatewayLeg.eventLoop.submit {
            try gatewayLeg.configure(
                remote: try SessionDescription.parse(answer), negotiated: negotiated, localSetup: setup)
        }.get()
        #expect(await clientEvents.first() == .established)
        #expect(await gatewayIterator.next() == .established)
        #expect(await client.figures().dtlsRetransmits == 0)
        // Hanging up closes the association: the gateway's leg reports a deliberate close, not a failure.
        _ = await client.close()
        #expect(await gatewayIterator.next() == .closedByPeer)
        gatewayLeg.close()
        try await engine.shutdown()
        try await media.shutdown()
    }

    @Test func unusableDescriptionsAreRefusedWithAReason() async throws {
        let engine = try ClientMediaEngine()
        let leg = try await engine.makeLeg(audio: nil, recorder: nil)
        await #expect(throws: (any Error).self) { try await leg.accept(answer: "v=0\r\nnonsense", onEvent: { _ in }) }
        let pcmuOnly = leg.offer().replacingOccurrences(of: "opus/48000/2", with: "G722/8000")
        await #expect(throws: (any Error).self) { _ = try await leg.answer(offer: pcmuOnly, onEvent: { _ in }) }
        _ = await leg.close()
        try await engine.shutdown()
    }
}
