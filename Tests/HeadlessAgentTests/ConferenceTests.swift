import Codecs
import Foundation
import NIOCore
import RTP
import TestSupport
import Testing

@testable import ClientMedia
@testable import HeadlessAgent
@testable import Media
@testable import SDP

/// A call's conference with real legs on loopback: a WebRTC customer sending 660 Hz, a phone
/// (trunk leg, PCMU) sending 1 kHz, and a supervisor's WebRTC leg sending 440 Hz who joins as a
/// listener, then whispers to the phone, then barges in, then leaves. In each phase every party
/// must hear exactly whom its role says, never itself, and each receiver one continuous stream.
@Suite struct ConferenceTests {
    struct Marks {
        var customer: Int
        var supervisor: Int
        var phone: Int
    }

    @Test func aSupervisorListensWhispersAndBargesAndEachPartyHearsWhomItShould() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47500...47599), threads: 1)
        let engine = try ClientMediaEngine()
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        let customerRecorder = try AudioRecorder()
        let supervisorRecorder = try AudioRecorder()
        let (customerLeg, customer) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 660),
            recorder: customerRecorder)
        let (supervisorLeg, supervisor) = try await ClientLegTests.gatewayLegWithClient(
            media: media, engine: engine, loop: loop, audio: try EncodedAudio.tone(frequency: 440),
            recorder: supervisorRecorder)
        let phone = try await FakePhone.start()
        let trunkLeg = try await MediaGraphTests.trunkLeg(
            media, on: loop, to: phone, codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000))
        phone.send(to: trunkLeg.port)
        graph.attach("caller", .webRTC(customerLeg))
        graph.attach("callee", .rtp(trunkLeg))
        graph.attach("monitor", .webRTC(supervisorLeg))
        try await graph.connect("caller", "callee")
        #expect(await ClientLegTests.eventually(5) { phone.received.count >= 25 })

        func marks() async throws -> Marks {
            Marks(
                customer: try await customer.eventLoop.submit { customerRecorder.samples.count }.get(),
                supervisor: try await supervisor.eventLoop.submit { supervisorRecorder.samples.count }.get(),
                phone: phone.received.count)
        }
        /// Lets a phase run for about 1.2 s of the phone's audio; returns its marks.
        func phase() async throws -> (Marks, Marks) {
            let start = try await marks()
            #expect(await ClientLegTests.eventually(5) { phone.received.count >= start.phone + 60 })
            return (start, try await marks())
        }

        let beforeJoin = try await marks()
        try await graph.join("monitor", as: .listener)
        #expect(try await graph.conference() == ["caller": .party, "callee": .party, "monitor": .listener])
        #expect(try await graph.snapshot().connections.isEmpty, "the relay became the conference")
        let listening = try await phase()
        try await graph.join("monitor", as: .whisperer(to: "callee"))
        let whispering = try await phase()
        try await graph.join("monitor", as: .party)
        let barging = try await phase()
        let beforeLeave = try await marks()
        graph.leave("monitor")
        #expect(try await graph.conference().isEmpty)
        #expect(try await graph.snapshot().connections == ["caller+callee"], "two parties are relayed again")
        let relayed = try await phase()

        graph.close()
        let customerFigures = await customer.close()
        _ = await supervisor.close()
        phone.close()
        let customerAudio = try await customer.eventLoop.submit { customerRecorder.samples }.get()
        let supervisorAudio = try await supervisor.eventLoop.submit { supervisorRecorder.samples }.get()
        let packets = phone.received

        // A phase's audio, less its first 300 ms (the change settling).
        func heardByCustomer(_ phase: (Marks, Marks)) -> [Int16] {
            Array(customerAudio[min(phase.0.customer + 14400, phase.1.customer)..<phase.1.customer])
        }
        func heardBySupervisor(_ phase: (Marks, Marks)) -> [Int16] {
            Array(supervisorAudio[min(phase.0.supervisor + 14400, phase.1.supervisor)..<phase.1.supervisor])
        }
        func heardByPhone(_ phase: (Marks, Marks)) -> [Int16] {
            packets[(phase.0.phone + 15)..<phase.1.phone].flatMap { $0.payload.map { G711.ulawTable[Int($0)] } }
        }
        func hears(
            _ samples: [Int16], _ frequency: Double, over other: Double, rate: Double,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let heard = ToneAnalysis.power(samples, frequency: frequency, rate: rate)
            let against = ToneAnalysis.power(samples, frequency: other, rate: rate)
            #expect(
                heard > 20 * against, "\(frequency) Hz: \(heard), \(other) Hz: \(against)",
                sourceLocation: sourceLocation)
        }
        let silent = 1300.0

        // Listening: the supervisor hears both; nobody hears the supervisor.
        hears(heardBySupervisor(listening), 660, over: 440, rate: 48000)
        hears(heardBySupervisor(listening), 1000, over: 440, rate: 48000)
        hears(heardByCustomer(listening), 1000, over: 440, rate: 48000)
        hears(heardByPhone(listening), 660, over: 440, rate: 8000)
        // Whispering to the phone: the phone hears the supervisor, the customer does not.
        hears(heardByPhone(whispering), 440, over: silent, rate: 8000)
        hears(heardByPhone(whispering), 660, over: silent, rate: 8000)
        hears(heardByCustomer(whispering), 1000, over: 440, rate: 48000)
        hears(heardBySupervisor(whispering), 660, over: 440, rate: 48000)
        // Barging: everyone hears the other two, and never themselves.
        hears(heardByCustomer(barging), 440, over: 660, rate: 48000)
        hears(heardByCustomer(barging), 1000, over: 660, rate: 48000)
        hears(heardByPhone(barging), 440, over: 1000, rate: 8000)
        hears(heardByPhone(barging), 660, over: 1000, rate: 8000)
        hears(heardBySupervisor(barging), 660, over: 440, rate: 48000)
        hears(heardBySupervisor(barging), 1000, over: 440, rate: 48000)
        // Relayed again: the two parties only.
        hears(heardByCustomer(relayed), 1000, over: 440, rate: 48000)
        hears(heardByPhone(relayed), 660, over: 440, rate: 8000)

        // No glitch for the parties when the supervisor joins or leaves: every 20 ms around each
        // change still carries the other party's tone (the phone's 1 kHz to the customer).
        for change in [beforeJoin.customer, beforeLeave.customer] {
            let around = customerAudio[max(0, change - 24000)..<min(customerAudio.count, change + 48000)]
            let frames = stride(from: around.startIndex, to: around.endIndex - 960, by: 960).map {
                Array(customerAudio[$0..<$0 + 960])
            }
            let powers = frames.map { ToneAnalysis.power($0, frequency: 1000, rate: 48000) }
            let typical = powers.sorted()[powers.count / 2]
            // A frame the mixer left silent is ~0; a late packet concealed by the decoder is not.
            let quiet = powers.filter { $0 < typical / 1_000_000 }
            let at = powers.indices.filter { powers[$0] < typical / 1_000_000 }.map { ($0 * 960 - 24000) / 48 }
            #expect(
                quiet.isEmpty,
                "\(quiet.count) of \(frames.count) frames without the phone's tone around the \(change == beforeJoin.customer ? "join" : "leave"), at \(at) ms from it"
            )
        }

        // One stream each through relay → conference → relay.
        let gaps = zip(packets, packets.dropFirst()).enumerated().filter { $1.1.sequence != $1.0.sequence &+ 1 }
        #expect(
            Set(packets.map(\.ssrc)).count == 1,
            "SSRCs \(Set(packets.map(\.ssrc))); foreign datagrams dropped: \(phone.foreign)")
        #expect(
            gaps.isEmpty,
            "gaps at packets \(gaps.map { "\($0.offset): \($0.element.0.sequence) → \($0.element.1.sequence)" }) of \(packets.count)"
        )
        #expect(customerFigures.lost == 0)
        try await engine.shutdown()
        try await media.shutdown()
    }

    @Test func aConferenceIsRefusedBeyondItsCapacityAndForMissingLegs() async throws {
        let media = try MediaEngine(configuration: MediaConfiguration(portRange: 47600...47699), threads: 1)
        let loop = media.nextEventLoop()
        let graph = media.makeGraph(on: loop)
        await #expect(throws: MediaError.sdp("no leg nobody in this call")) {
            try await graph.join("nobody", as: .listener)
        }
        var phones: [FakePhone] = []
        for index in 0...AudioMixer.capacity {
            let phone = try await FakePhone.start()
            phones.append(phone)
            let leg = try await MediaGraphTests.trunkLeg(
                media, on: loop, to: phone, codec: Codec(payloadType: 8, name: "pcma", clockRate: 8000))
            graph.attach("leg\(index)", .rtp(leg))
            if index < AudioMixer.capacity {
                try await graph.join("leg\(index)", as: .party)
            } else {
                await #expect(throws: MediaError.sdp("a conference has at most \(AudioMixer.capacity) parties")) {
                    try await graph.join("leg\(index)", as: .party)
                }
            }
        }
        #expect(try await graph.conference().count == AudioMixer.capacity)
        graph.close()
        for phone in phones { phone.close() }
        try await media.shutdown()
    }
}
