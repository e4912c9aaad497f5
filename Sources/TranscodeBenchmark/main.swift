import BenchmarkSupport
import Codecs
import Foundation
import Media
import RTP
import SDP
import SRTP

// Transcoded PSTN calls per core, in one run:
//  1. the bare codec costs per 20 ms frame (the baseline): Opus encode from 8 kHz at
//     complexity 0, 5 and 9, Opus decode to 8 kHz, G.711 encode and decode;
//  2. what the gateway does per 20 ms of a transcoded call: AudioPipe both ways (Opus→PCMU,
//     PCMU→Opus), SRTP unprotect and protect on the WebRTC side, and four loopback UDP
//     send/receive pairs (one per packet in and out), giving calls per core;
//  3. a loaded run: one thread serves N calls in real time (50 packets/s each way per call,
//     each call at its own phase), and the delay from a packet's arrival to its transcoded
//     packet leaving is recorded (p50, p99, max).
// Usage: transcode-benchmark [seconds-of-load] [calls at complexity 0] [calls at 5] [calls at 9]

let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
let loadSeconds = arguments.first.flatMap { $0 } ?? 5
let loadCalls = [
    0: arguments.dropFirst(1).first.flatMap { $0 } ?? 300,
    5: arguments.dropFirst(2).first.flatMap { $0 } ?? 150,
    9: arguments.dropFirst(3).first.flatMap { $0 } ?? 100,
]
let frames = 2000
let key = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
let opus = AudioPipe.Side(
    codec: Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2), telephoneEvent: nil)
let pcmu = AudioPipe.Side(codec: Codec(payloadType: 0, name: "pcmu", clockRate: 8000), telephoneEvent: nil)

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func tone(_ frequency: Double, rate: Double, from start: Int, count: Int) -> [Int16] {
    (0..<count).map { Int16(9000 * sin(2 * Double.pi * frequency * Double(start + $0) / rate)) }
}

func rtp(_ payloadType: UInt8, _ sequence: Int, _ timestamp: Int, _ payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0x80, payloadType, UInt8((sequence >> 8) & 0xff), UInt8(sequence & 0xff)]
    bytes += withUnsafeBytes(of: UInt32(truncatingIfNeeded: timestamp).bigEndian, Array.init)
    bytes += [0, 0, 0x12, 0x34]
    return bytes + payload
}

/// 20 ms Opus packets of a 440 Hz tone as a browser sends them (48 kHz, complexity 5):
/// narrowband when the gateway's SDP asked for `maxplaybackrate=8000`, else fullband.
func opusPackets(_ count: Int, narrowband: Bool) throws -> [[UInt8]] {
    let encoder = try OpusEncoder(sampleRate: 48000, channels: 1, complexity: 5, narrowband: narrowband)
    var out = [UInt8](repeating: 0, count: 1500)
    return try (0..<count).map { n in
        let pcm = tone(440, rate: 48000, from: n * 960, count: 960)
        let length = try pcm.withUnsafeBufferPointer { p in
            try out.withUnsafeMutableBufferPointer { try encoder.encode(p, into: $0) }
        }
        return rtp(111, n, n * 960, Array(out[0..<length]))
    }
}

func pcmuPackets(_ count: Int) -> [[UInt8]] {
    (0..<count).map { n in rtp(0, n, n * 160, tone(660, rate: 8000, from: n * 160, count: 160).map(G711.ulaw)) }
}

let opusInput = try opusPackets(frames, narrowband: true)
let fullbandInput = try opusPackets(frames, narrowband: false)
let pcmuInput = pcmuPackets(frames)

// 1. Bare codec costs per 20 ms frame (the best of three runs: other work only adds time).
func perFrame(_ body: (Int) throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<3 {
        let start = now()
        for i in 0..<frames { try body(i) }
        best = min(best, Double(now() - start) / Double(frames))
    }
    return best
}
var packet = [UInt8](repeating: 0, count: 1500)
var pcm8k = [Int16](repeating: 0, count: 960)
@MainActor func decodeCost(_ input: [[UInt8]]) throws -> Double {
    let decoder = try OpusDecoder(sampleRate: 8000, channels: 1)
    return try perFrame { i in
        let payload = Array(input[i][12...])
        _ = try payload.withUnsafeBufferPointer { p in
            try pcm8k.withUnsafeMutableBufferPointer { try decoder.decode(p, into: $0) }
        }
    }
}
let opusDecodeNs = try decodeCost(opusInput)
let fullbandDecodeNs = try decodeCost(fullbandInput)
var encodeNs: [Int: Double] = [:]
var silkEncodeNs: [Int: Double] = [:]
let frames8k = (0..<frames).map { tone(660, rate: 8000, from: $0 * 160, count: 160) }
for complexity in [0, 5, 9] {
    for celt in [true, false] {
        // The pipe's encoder (SILK, narrowband, the voice hint), and the CELT layer only (what it
        // used before), for comparison.
        let encoder = try OpusEncoder(
            sampleRate: 8000, channels: 1, complexity: complexity, bitrate: 24000, narrowband: !celt,
            application: celt ? .restrictedLowDelay : .voip)
        let cost = try perFrame { i in
            _ = try frames8k[i].withUnsafeBufferPointer { p in
                try packet.withUnsafeMutableBufferPointer { try encoder.encode(p, into: $0) }
            }
        }
        if celt { encodeNs[complexity] = cost } else { silkEncodeNs[complexity] = cost }
    }
}
let samples = tone(660, rate: 8000, from: 0, count: 160)
var codes = [UInt8](repeating: 0, count: 160)
let g711Ns = perFrame { _ in
    samples.withUnsafeBufferPointer { s in
        codes.withUnsafeMutableBufferPointer { G711.encode(s, aLaw: false, into: $0) }
    }
    codes.withUnsafeBufferPointer { c in pcm8k.withUnsafeMutableBufferPointer { G711.decode(c, aLaw: false, into: $0) }
    }
}

// 2. Per 20 ms of a call: both pipes, SRTP on the WebRTC side, four UDP send/receive pairs.
let loopback = LoopbackUDP()
@MainActor func udpPair(_ bytes: UnsafeRawBufferPointer) { loopback.sendAndReceive(bytes) }

/// One simulated transcoded call: its two pipes and its SRTP sessions.
@MainActor final class Call {
    let toTrunk: AudioPipe
    let toWeb: AudioPipe
    let srtpIn: SRTPSession
    let srtpOut: SRTPSession
    /// The browser's packets, protected with the browser's key.
    let protectedInput: [[UInt8]]
    var scratch = [UInt8](repeating: 0, count: 1600)

    init(complexity: Int, frames: Int, input: [[UInt8]] = opusInput) throws {
        toTrunk = try AudioPipe(from: opus, to: pcmu, ssrc: 1)
        toWeb = try AudioPipe(from: pcmu, to: opus, ssrc: 2, opusComplexity: complexity)
        srtpIn = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: false)
        srtpOut = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: true)
        let browser = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: true)
        var buffer = [UInt8](repeating: 0, count: 1600)
        protectedInput = try (0..<frames).map { i in
            let plain = rtp(111, i, i * 960, Array(input[i % input.count][12...]))
            buffer.replaceSubrange(0..<plain.count, with: plain)
            let length = try buffer.withUnsafeMutableBytes { try browser.protect($0, length: plain.count) }
            return Array(buffer[0..<length])
        }
    }

    /// A browser packet arrives: unprotect, transcode to PCMU, send to the trunk.
    func fromWeb(_ index: Int) throws {
        let input = protectedInput[index]
        scratch.replaceSubrange(0..<input.count, with: input)
        let length = try scratch.withUnsafeMutableBytes { try srtpIn.unprotect($0, length: input.count) }
        try scratch.withUnsafeBytes { bytes in
            let plain = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
            toTrunk.process(plain, header: try RTPHeader.parse(plain)) { udpPair($0) }
        }
    }

    /// A trunk packet arrives: transcode to Opus, protect, send to the browser.
    func fromTrunk(_ index: Int) throws {
        let input = pcmuInput[index % pcmuInput.count]
        try input.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes)
            toWeb.process(bytes, header: header) { out in
                scratch.withUnsafeMutableBytes { $0.copyMemory(from: out) }
                let length = (try? scratch.withUnsafeMutableBytes { try srtpOut.protect($0, length: out.count) }) ?? 0
                scratch.withUnsafeBytes { udpPair(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            }
        }
    }
}

/// A loopback send and its receive: each packet the gateway relays is one receive and one send.
let udpNs = perFrame { _ in pcmuInput[0].withUnsafeBytes { udpPair($0) } }
var callNs: [Int: Double] = [:]
var fullbandCallNs: [Int: Double] = [:]
@MainActor func callCost(complexity: Int, input: [[UInt8]]) throws -> Double {
    let call = try Call(complexity: complexity, frames: frames * 3, input: input)
    var offset = 0
    return try perFrame { i in
        try call.fromWeb(offset + i)
        try call.fromTrunk(offset + i)
        if i == frames - 1 { offset += frames }
    }
}
for complexity in [0, 5, 9] {
    callNs[complexity] = try callCost(complexity: complexity, input: opusInput)
    fullbandCallNs[complexity] = try callCost(complexity: complexity, input: fullbandInput)
}

// 3. Loaded: one thread, N calls in real time; delay from arrival to the packet leaving.
@MainActor func loaded(calls count: Int, complexity: Int) throws -> (p50: Double, p99: Double, max: Double, late: Int) {
    let perCall = loadSeconds * 50
    let calls = try (0..<count).map { _ in try Call(complexity: complexity, frames: perCall) }
    // Each call's two directions arrive every 20 ms at their own phase.
    var arrivals: [(at: UInt64, call: Int, index: Int, fromWeb: Bool)] = []
    arrivals.reserveCapacity(count * perCall * 2)
    for c in 0..<count {
        let phase = UInt64.random(in: 0..<20_000_000)
        for i in 0..<perCall {
            let at = phase + UInt64(i) * 20_000_000
            arrivals.append((at, c, i, true))
            arrivals.append((at + 10_000_000, c, i, false))
        }
    }
    arrivals.sort { $0.at < $1.at }
    var delays: [Double] = []
    delays.reserveCapacity(arrivals.count)
    let start = now() + 50_000_000
    for arrival in arrivals {
        let due = start + arrival.at
        while now() < due {}
        if arrival.fromWeb {
            try calls[arrival.call].fromWeb(arrival.index)
        } else {
            try calls[arrival.call].fromTrunk(arrival.index)
        }
        delays.append(Double(now() - due) / 1_000_000)
    }
    delays.sort()
    func percentile(_ p: Double) -> Double { delays[min(delays.count - 1, Int(Double(delays.count) * p))] }
    return (percentile(0.5), percentile(0.99), delays.last ?? 0, delays.filter { $0 > 25 }.count)
}

func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

print("Codec costs per 20 ms frame, one thread (best of three runs)")
print(
    "  Opus decode to 8 kHz:   \(f(opusDecodeNs / 1000)) µs narrowband input, "
        + "\(f(fullbandDecodeNs / 1000)) µs fullband input")
for complexity in [0, 5, 9] {
    print(
        "  Opus encode from 8 kHz, complexity \(complexity): \(f(silkEncodeNs[complexity]! / 1000)) µs SILK "
            + "(the gateway's), \(f(encodeNs[complexity]! / 1000)) µs CELT")
}
print("  G.711 encode + decode:  \(f(g711Ns / 1000, 2)) µs")
print("  loopback UDP send+receive: \(f(udpNs / 1000)) µs")
print("")
print("Per 20 ms of a call (both pipes, SRTP, two UDP send+receive pairs) and calls per core")
for complexity in [0, 5, 9] {
    let bare = opusDecodeNs + encodeNs[complexity]! + g711Ns
    let total = callNs[complexity]!
    let callsPerCore = 1_000_000_000 / (total * 50)
    let fullband = fullbandCallNs[complexity]!
    print(
        "  c=\(complexity): \(f(total / 1000)) µs per 20 ms (bare codecs \(f(bare / 1000)) µs, "
            + "×\(f(total / bare, 2)))  →  \(Int(callsPerCore)) calls per core; "
            + "fullband Opus from the browser: \(f(fullband / 1000)) µs  →  \(Int(1_000_000_000 / (fullband * 50)))")
}
print("")
print("Loaded, one thread, \(loadSeconds) s: delay from a packet's arrival until its transcoded packet leaves")
for complexity in [0, 5, 9] {
    let count = loadCalls[complexity]!
    let result = try loaded(calls: count, complexity: complexity)
    print(
        "  c=\(complexity), \(count) calls: p50 \(f(result.p50, 3)) ms, p99 \(f(result.p99, 3)) ms, "
            + "max \(f(result.max, 2)) ms, over 25 ms: \(result.late)")
}
