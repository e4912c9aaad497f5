import Codecs
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

@testable import ClientMedia
@testable import Media
@testable import SDP

/// Legs moving in a call's graph: two legs swapping names (an agent's outbound call turned round
/// to be transferred), and a leg set aside and connected again (a transfer that failed). Each
/// receiver must see one stream throughout.
@Suite struct MediaGraphMovesTests {
    /// The swapped legs stay connected (held if they were), each leg's digits go to the reporter
    /// of its new name, and what is played to a name reaches the leg now under it.
    @Test func exchangedLegsStayConnectedAndAnswerToTheirNewNames() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47700...47799), threads: 1)
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let pcmu = Codec(payloadType: 0, name: "pcmu", clockRate: 8000)
        let agentPhone = try await FakePhone.start()
        let customerPhone = try await FakePhone.start()
        let agentLeg = try await MediaGraphTests.trunkLeg(media, on: loop, to: agentPhone, codec: pcmu)
        let customerLeg = try await MediaGraphTests.trunkLeg(media, on: loop, to: customerPhone, codec: pcmu)
        let digits = Mutex<[String]>([])
        func reporter(_ name: String) -> @Sendable (Character) -> Void {
            { digit in digits.withLock { $0.append("\(name):\(digit)") } }
        }
        graph.attach("caller", .rtp(agentLeg), onDTMF: reporter("old caller"))
        graph.attach("callee", .rtp(customerLeg), onDTMF: reporter("old callee"))
        try await graph.connect("caller", "callee")
        graph.setHeld(true, connectionOf: "caller")
        agentPhone.send(to: agentLeg.port)

        graph.exchange("caller", "callee", digits: (reporter("caller"), reporter("callee")))
        var snapshot = try await graph.snapshot()
        #expect(snapshot.legs == ["caller", "callee"] && snapshot.connections == ["caller+callee held"])
        graph.setHeld(false, connectionOf: "callee")
        #expect(await ClientLegTests.eventually(5) { customerPhone.received.count >= 50 }, "relayed once resumed")

        // The agent's phone is under "callee" now: its digit goes to that name's reporter.
        agentPhone.sendEvent(7, timestamp: 80_000, to: agentLeg.port)
        #expect(await ClientLegTests.eventually(5) { !digits.withLock { $0 }.isEmpty })
        #expect(digits.withLock { $0 } == ["callee:7"])

        // "caller" is the customer's leg: music played to it reaches the customer's phone.
        let musicStart = customerPhone.received.count
        graph.play(try EncodedAudio.tone(frequency: 440), to: "caller")
        #expect(await ClientLegTests.eventually(5) { customerPhone.received.count >= musicStart + 50 })
        graph.stop(playingTo: "caller")
        let musicEnd = customerPhone.received.count
        #expect(await ClientLegTests.eventually(5) { customerPhone.received.count >= musicEnd + 25 })
        snapshot = try await graph.snapshot()
        #expect(snapshot.connections == ["caller+callee"] && snapshot.playing.isEmpty)
        graph.close()

        // The digit's events are relayed to the customer in the same stream (numbered as the fake
        // phone numbered them, apart from its audio).
        let packets = customerPhone.received
        let audioPackets = packets.filter { $0.payload.count == 160 }
        #expect(Set(packets.map(\.ssrc)).count == 1, "one stream to the customer across the exchange")
        #expect(zip(audioPackets, audioPackets.dropFirst()).allSatisfy { $1.sequence == $0.sequence &+ 1 })
        func audio(_ range: Range<Int>) -> [Int16] {
            packets[range].filter { $0.payload.count == 160 }.flatMap { $0.payload.map { G711.ulawTable[Int($0)] } }
        }
        let music = audio(musicStart + 5..<musicEnd - 2), after = audio(packets.count - 20..<packets.count)
        #expect(
            ToneAnalysis.power(music, frequency: 440, rate: 8000) > 100
                * ToneAnalysis.power(music, frequency: 1000, rate: 8000))
        #expect(
            ToneAnalysis.power(after, frequency: 1000, rate: 8000) > 100
                * ToneAnalysis.power(after, frequency: 440, rate: 8000))
        #expect(agentPhone.received.filter { $0.payload.count == 160 }.isEmpty, "nothing plays to the agent")
        agentPhone.close()
        customerPhone.close()
        try await media.shutdown()
    }

    /// A WebRTC leg connected to a trunk again gets a new transcoder, whose stream towards it has
    /// the leg's own SSRC but numbering of its own: the leg must take it as a new source (one
    /// stream to the browser, no jump), not as more of the old one.
    @Test func aLegConnectedAgainToATrunkSendsOneStream() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47800...47899), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let recorder = try AudioRecorder()
        let (agentLeg, client) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 660), recorder: recorder)
        let phone = try await FakePhone.start()
        let trunkLeg = try await MediaGraphTests.trunkLeg(
            media, on: loop, to: phone, codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000))
        phone.send(to: trunkLeg.port)
        graph.attach("agent", .webRTC(agentLeg))
        graph.attach("phone", .rtp(trunkLeg))
        func heard() async -> Int { await client.figures().packetsReceived }

        for round in 1...3 {
            try await graph.connect("agent", "phone")
            let mark = await heard()
            #expect(await ClientLegTests.eventually(5) { await heard() >= mark + 40 }, "round \(round)")
            // Set aside (a transfer's target rings), then back.
            graph.rename("agent", to: "aside")
            try await Task.sleep(for: .milliseconds(300))
            graph.rename("aside", to: "agent")
        }
        let figures = await client.figures()
        #expect(figures.lost == 0 && figures.expected <= figures.packetsReceived + 1, "\(figures)")
        let samples = try await client.eventLoop.submit { recorder.samples }.get()
        let last = Array(samples.suffix(24_000))
        #expect(
            ToneAnalysis.power(last, frequency: 1000, rate: 48000) > 100
                * ToneAnalysis.power(last, frequency: 660, rate: 48000))
        graph.close()
        _ = await client.close()
        phone.close()
        try await engine.shutdown()
        try await media.shutdown()
    }

    /// Legs in a conference when they swap names stay in it as parties, under their new names,
    /// and report digits there; a listener stays a listener.
    @Test func exchangedLegsInAConferenceStayInItAsParties() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47900...47999), threads: 1)
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let pcmu = Codec(payloadType: 0, name: "pcmu", clockRate: 8000)
        var phones: [FakePhone] = []
        var legs: [RTPLeg] = []
        for _ in 0..<3 {
            let phone = try await FakePhone.start()
            legs.append(try await MediaGraphTests.trunkLeg(media, on: loop, to: phone, codec: pcmu))
            phones.append(phone)
        }
        let digits = Mutex<[String]>([])
        func reporter(_ name: String) -> @Sendable (Character) -> Void {
            { digit in digits.withLock { $0.append("\(name):\(digit)") } }
        }
        graph.attach("caller", .rtp(legs[0]), onDTMF: reporter("old caller"))
        graph.attach("callee", .rtp(legs[1]), onDTMF: reporter("old callee"))
        graph.attach("monitor", .rtp(legs[2]))
        try await graph.connect("caller", "callee")
        try await graph.join("monitor", as: .listener)
        phones[0].send(to: legs[0].port)

        graph.exchange("caller", "callee", digits: (reporter("caller"), reporter("callee")))
        #expect(try await graph.conference() == ["caller": .party, "callee": .party, "monitor": .listener])
        let heard = phones[1].received.count
        #expect(await ClientLegTests.eventually(5) { phones[1].received.count >= heard + 25 }, "still mixed")
        phones[0].sendEvent(4, timestamp: 80_000, to: legs[0].port)
        #expect(await ClientLegTests.eventually(5) { !digits.withLock { $0 }.isEmpty })
        #expect(digits.withLock { $0 } == ["callee:4"], "the first leg is the callee now")
        graph.close()
        for phone in phones { phone.close() }
        try await media.shutdown()
    }
}
