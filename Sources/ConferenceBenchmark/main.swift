import CallBenchmarkSupport
import ClientMedia
import Codecs
import Foundation
import Media
import NIOCore
import SDP

// What a conference costs per party-second against a relayed two-party call, in one run,
// through the real media code: the gateway's legs (ICE-lite, DTLS-SRTP, Opus) on one event
// loop, driven by a `MediaGraph` each call, against headless client legs (the load generator's,
// real ICE, DTLS, SRTP and Opus, sending a tone every 20 ms) on another thread.
//
// 1. the baseline: `calls` two-party WebRTC calls, relayed (`MediaGraph.connect`);
// 2. `calls` conferences of three WebRTC parties (`MediaGraph.join`, the mixer).
//
// Each scenario runs `seconds` after its set-up; the gateway loop's own CPU time over that
// window (CLOCK_THREAD_CPUTIME_ID read on the loop) divided by party-seconds is the figure.
//
// Usage: conference-benchmark [seconds] [calls] [Opus complexity of the mixer's encoders] [rounds]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.first ?? 10
let calls = arguments.count > 1 ? arguments[1] : 20
let complexity = arguments.count > 2 ? arguments[2] : 0
let rounds = arguments.count > 3 ? arguments[3] : 3

struct Outcome {
    let parties: Int
    let cpuSeconds: Double
    let received: Int
    var perPartySecond: Double { cpuSeconds / Double(parties * seconds) }
}

/// Sets up `calls` calls of `parties` parties each, lets them run `seconds`, and measures.
func run(parties: Int) async throws -> Outcome {
    let media = try MediaEngine(configuration: MediaConfiguration(portRange: 40000...49999), threads: 1)
    let clients = try ClientMediaEngine(threads: 1)
    let loop = media.nextEventLoop()
    var graphs: [MediaGraph] = []
    var clientLegs: [ClientLeg] = []
    for _ in 0..<calls {
        let graph = media.makeGraph(on: loop, conferenceOpusComplexity: complexity)
        for party in 0..<parties {
            let (leg, client) = try await connectedLeg(media, clients, on: loop, tone: 400 + 200 * Double(party))
            graph.attach("p\(party)", .webRTC(leg))
            clientLegs.append(client)
        }
        if parties == 2 {
            try await graph.connect("p0", "p1")
        } else {
            for party in 0..<parties { try await graph.join("p\(party)", as: .party) }
        }
        graphs.append(graph)
    }
    try await Task.sleep(for: .seconds(1))
    var heardBefore = 0
    for client in clientLegs { heardBefore += await client.figures().packetsReceived }
    let start = try await loop.submit { threadCPUSeconds() }.get()
    try await Task.sleep(for: .seconds(seconds))
    let end = try await loop.submit { threadCPUSeconds() }.get()
    var heard = 0
    for client in clientLegs { heard += await client.figures().packetsReceived }
    for graph in graphs { graph.close() }
    for client in clientLegs { _ = await client.close() }
    try await clients.shutdown()
    try await media.shutdown()
    return Outcome(parties: calls * parties, cpuSeconds: end - start, received: heard - heardBefore)
}

// Rounds alternate the two scenarios; each figure is the round with the median cost.
var relayRounds: [Outcome] = []
var mixRounds: [Outcome] = []
for _ in 0..<rounds {
    relayRounds.append(try await run(parties: 2))
    mixRounds.append(try await run(parties: 3))
}
let relayed = medianRound(relayRounds, by: \.perPartySecond)
let mixed = medianRound(mixRounds, by: \.perPartySecond)
print(
    "conference benchmark: \(calls) calls each, \(seconds) s steady, gateway media on one event loop,"
        + " median of \(rounds) alternating rounds")
for (name, outcome) in [("relayed two-party calls (baseline)", relayed), ("three-party conferences (mixer)", mixed)] {
    let expected = outcome.parties * seconds * 50
    print(
        "  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(microseconds(outcome.perPartySecond)) of CPU per party-second,"
            + String(
                format: " %.1f%% of a core; %d parties heard %.1f%% of the packets due",
                100 * outcome.cpuSeconds / Double(seconds), outcome.parties,
                100 * Double(outcome.received) / Double(expected)))
}
print(
    String(
        format: "  a conference party costs %.2f× a relayed party (goal: under 3×); mixer Opus complexity %d",
        mixed.perPartySecond / relayed.perPartySecond, complexity))

// Where a conference party's extra cost goes: one Opus decode and one encode of a 20 ms frame.
func codecCost(rate: Int, complexity: Int) throws -> (decode: Double, encode: Double) {
    let frames = 2000
    let tone = (0..<(rate / 50 * frames)).map { Int16(8000 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
    let encoder = try OpusEncoder(
        sampleRate: rate, channels: 1, complexity: complexity, bitrate: 32000, application: .restrictedLowDelay)
    let decoder = try OpusDecoder(sampleRate: rate, channels: 1)
    var packet = [UInt8](repeating: 0, count: 1500)
    var out = [Int16](repeating: 0, count: 5760)
    let frame = rate / 50
    var encodeNs = 0.0
    var decodeNs = 0.0
    for index in 0..<frames {
        let start = DispatchTime.now().uptimeNanoseconds
        let length = try tone[index * frame..<(index + 1) * frame].withUnsafeBufferPointer { input in
            try packet.withUnsafeMutableBufferPointer { try encoder.encode(input, into: $0) }
        }
        let middle = DispatchTime.now().uptimeNanoseconds
        _ = try packet[0..<length].withUnsafeBufferPointer { input in
            try out.withUnsafeMutableBufferPointer { try decoder.decode(input, into: $0) }
        }
        let end = DispatchTime.now().uptimeNanoseconds
        encodeNs += Double(middle - start)
        decodeNs += Double(end - middle)
    }
    return (decodeNs / Double(frames) / 1000, encodeNs / Double(frames) / 1000)
}
for rate in [16000, 48000] {
    for level in [0, 5] {
        let cost = try codecCost(rate: rate, complexity: level)
        print(
            String(
                format: "  Opus at %d Hz, complexity %d: decode %.1f µs, encode %.1f µs per 20 ms frame", rate, level,
                cost.decode, cost.encode))
    }
}
