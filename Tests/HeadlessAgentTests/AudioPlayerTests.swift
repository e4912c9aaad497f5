import Foundation
import SDP
import TestSupport
import Testing

@testable import ClientMedia
@testable import HeadlessAgent
@testable import Media

/// The gateway's WebRTC leg fed by players in turn (a prompt, a pause, music), heard by a client
/// leg on loopback: one stream, no packet lost, timestamps advanced over the pause.
@Suite struct AudioPlayerTests {
    @Test func aLegFedByPlayersInTurnIsHeardAsOneStream() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47200...47299), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let recorder = try AudioRecorder()
        let (gatewayLeg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: nil, recorder: recorder)

        let ticker = MediaTicker(eventLoop: loop, clock: { Double(NIODeadlineClock.now) })
        let prompt = AudioPlayer(leg: .webRTC(gatewayLeg), audio: try EncodedAudio.tone(frequency: 440), ticker: ticker)
        let music = AudioPlayer(leg: .webRTC(gatewayLeg), audio: try EncodedAudio.tone(frequency: 660), ticker: ticker)
        func received() async -> Int { await client.figures().packetsReceived }

        prompt.start()
        #expect(await ClientLegTests.eventually(5) { await received() >= 50 })
        prompt.stop()
        // A pause of about half a second (as while an agent's hold begins), then the music.
        try await Task.sleep(for: .milliseconds(500))
        let afterPrompt = await received()
        music.start()
        #expect(await ClientLegTests.eventually(5) { await received() >= afterPrompt + 50 })
        music.stop()
        try await Task.sleep(for: .milliseconds(100))

        let figures = await client.close()
        gatewayLeg.close()
        #expect(figures.lost == 0, "sequence numbers go on across the change of source")
        let samples = try await client.eventLoop.submit { recorder.samples }.get()
        // Laid out by RTP timestamp: the packets' audio plus the pause, not the packets alone.
        let packetsAudio = figures.packetsReceived * 960
        #expect(samples.count > packetsAudio + 48000 / 5 && samples.count < packetsAudio + 48000, "\(samples.count)")
        let first = Array(samples[4800..<43200]), last = Array(samples[(samples.count - 38400)...])
        #expect(
            ToneAnalysis.power(first, frequency: 440, rate: 48000)
                > 100 * ToneAnalysis.power(first, frequency: 660, rate: 48000))
        #expect(
            ToneAnalysis.power(last, frequency: 660, rate: 48000)
                > 100 * ToneAnalysis.power(last, frequency: 440, rate: 48000))
        try await engine.shutdown()
        try await media.shutdown()
    }
}

/// Seconds on the monotonic clock, for a ticker in a test.
enum NIODeadlineClock {
    static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
