import BenchmarkSupport
import Codecs
import Foundation
import Media
import NIOCore
import NIOPosix
import RTP
import SRTP

// How many waiting WebRTC callers one core carries when the music is encoded once and shared
// (what the gateway does), against encoding it for each caller (the baseline), in one run:
//
// 1. the work per caller per 20 ms frame, one thread: pick the shared Opus frame, write the
//    RTP header, the leg's stream continuity and SSRC, SRTP protect in place, one UDP send;
//    the baseline adds an Opus encode of the frame with the caller's own encoder;
// 2. a loaded run in real time: one event loop's MediaTicker drives N players doing (1) and
//    writes and flushes each packet to a NIO datagram channel, as AudioPlayer and WebRTCLeg do;
//    a frame is late when it leaves more than 20 ms after it was due.
//
// 3. the same through the gateway's own code: N WebRTC legs up with real ICE, DTLS and SRTP against
//    headless client legs (on a second thread), each in a MediaGraph playing the hold music
//    (ThroughTheGatewaysLegs.swift); lateness is the media clock's own, with the loop's CPU.
//
// Usage: waiting-benchmark [--legs-only] [--pin] [seconds] [callers for the shared runs...]
// (--legs-only: only 3; --pin: in 3, the media loop's thread on CPU 0 and the clients' on CPU 1.)

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let legsOnly = CommandLine.arguments.contains("--legs-only")
let pinned = CommandLine.arguments.contains("--pin")
let seconds = arguments.first ?? 5
let loads = arguments.count > 1 ? Array(arguments.dropFirst()) : [1000, 2000, 3000]
let key = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
let music = EncodedAudio.defaultHoldMusic!
// What the baseline encodes: ten seconds of a chord (three sines), like the music's level.
let pcm: [Int16] = (0..<480_000).map { n in
    let t = Double(n) / 48000
    return Int16(6000 * (sin(2 * .pi * 261.63 * t) + sin(2 * .pi * 329.63 * t) + sin(2 * .pi * 392 * t)))
}

/// One caller's sending state: its SRTP session, continuity, numbering, place in the music and
/// (for the baseline) its own encoder.
///
/// `@unchecked Sendable`: used by one thread at a time (the measuring loop, or the one event loop
/// of the loaded run).
final class Caller: @unchecked Sendable {
    let srtp: SRTPSession
    var continuity = RTPStreamContinuity(clockRate: 48000)
    var sequence = UInt16.random(in: 0...UInt16.max)
    var timestamp = UInt32.random(in: 0...UInt32.max)
    var index = Int.random(in: 0..<music.frames.count)
    let encoder: OpusEncoder?
    var encoded = [UInt8](repeating: 0, count: 1500)

    init(encoding: Bool) throws {
        srtp = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: true)
        encoder = encoding ? try OpusEncoder(sampleRate: 48000, channels: 1, complexity: 5, bitrate: 32000) : nil
    }

    /// Builds and protects this caller's next packet in `buffer`.
    func nextPacket(into buffer: inout ByteBuffer) {
        buffer.clear()
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(UInt8(111))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(UInt32(0x1234_5678))
        if let encoder {
            let start = (index * 960) % (pcm.count - 960)
            let length = pcm.withUnsafeBufferPointer { samples in
                encoded.withUnsafeMutableBufferPointer { out in
                    (try? encoder.encode(UnsafeBufferPointer(rebasing: samples[start..<start + 960]), into: out)) ?? 0
                }
            }
            buffer.writeBytes(encoded[0..<length])
        } else {
            buffer.writeBytes(music.frames[index])
        }
        index = (index + 1) % music.frames.count
        sequence &+= 1
        timestamp &+= 960
        let numbering = continuity.next(
            source: 0x1234_5678, sequence: sequence, timestamp: timestamp, marker: false,
            now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
        buffer.withUnsafeMutableReadableBytes { bytes in
            RTPRewrite.setSSRC(bytes, 0x0BAD_CAFE)
            RTPRewrite.setSequenceNumber(bytes, numbering.sequence)
            RTPRewrite.setTimestamp(bytes, numbering.timestamp)
        }
        _ = srtp.protect(&buffer, rtcp: false)
    }
}

// 1. Work per caller per frame, one thread, with a loopback UDP send.
func perFrameNanoseconds(encoding: Bool, frames: Int) throws -> Double {
    let callers = try (0..<200).map { _ in try Caller(encoding: encoding) }
    let socket = LoopbackUDP()
    var buffer = ByteBufferAllocator().buffer(capacity: 1500)
    let start = DispatchTime.now().uptimeNanoseconds
    for i in 0..<frames {
        callers[i % callers.count].nextPacket(into: &buffer)
        buffer.withUnsafeReadableBytes { socket.send($0) }
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(frames)
}

if !legsOnly {
    let sharedNs = try perFrameNanoseconds(encoding: false, frames: 200_000)
    let encodingNs = try perFrameNanoseconds(encoding: true, frames: 20_000)
    print("waiting callers: work per caller per 20 ms frame, one thread (200 callers round robin)")
    print(
        String(
            format: "  encoded per caller (baseline): %8.0f ns  → %6.0f callers per core", encodingNs, 20e6 / encodingNs
        )
    )
    print(
        String(
            format: "  encoded once, shared:          %8.0f ns  → %6.0f callers per core = %.1f× the baseline",
            sharedNs, 20e6 / sharedNs, encodingNs / sharedNs))
}

// 2. Loaded real time: one event loop, N players on its ticker, packets written to a channel.
/// `@unchecked Sendable`: added, ticked and removed on the run's one event loop.
final class LoadedPlayer: MediaTickable, @unchecked Sendable {
    let caller: Caller
    let channel: any Channel
    let target: SocketAddress
    let lateness: Lateness
    let ticker: MediaTicker
    var buffer = ByteBufferAllocator().buffer(capacity: 1500)

    init(caller: Caller, channel: any Channel, target: SocketAddress, lateness: Lateness, ticker: MediaTicker) {
        self.ticker = ticker
        self.caller = caller
        self.channel = channel
        self.target = target
        self.lateness = lateness
    }

    func tick(now: Double) {
        caller.nextPacket(into: &buffer)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer), promise: nil)
        lateness.sent(due: ticker.due)
    }
}

/// How late each frame left: the ticker says when the phase being ticked was due (its absolute
/// deadline; each player's frames are due 20 ms apart in its phase).
///
/// `@unchecked Sendable`: written on the run's one event loop, read after the loop stopped.
final class Lateness: @unchecked Sendable {
    var worst = 0.0
    var late = 0
    var frames = 0
    var samples: [Double] = []
    func sent(due: NIODeadline?) {
        guard let due else { return }
        let delay = Double(NIODeadline.now().uptimeNanoseconds - due.uptimeNanoseconds) / 1e9
        frames += 1
        if frames % 97 == 0 { samples.append(delay) }
        worst = max(worst, delay)
        if delay > 0.020 { late += 1 }
    }
}

func loaded(callers count: Int, encoding: Bool) async throws -> Lateness {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let sink = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
    let channel = try await DatagramBootstrap(group: group)
        .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
        .bind(host: "127.0.0.1", port: 0).get()
    let target = sink.localAddress!
    let lateness = Lateness()
    // The ticker's clock is the deadline clock: `now` in a tick is when the tick was due.
    let ticker = MediaTicker(eventLoop: loop) { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }
    let players = try (0..<count).map { _ in
        LoadedPlayer(
            caller: try Caller(encoding: encoding), channel: channel, target: target, lateness: lateness, ticker: ticker
        )
    }
    try await loop.submit {
        for player in players { ticker.add(player) }
    }.get()
    try await Task.sleep(for: .seconds(seconds))
    try await loop.submit {
        for player in players { ticker.remove(player) }
    }.get()
    try await channel.close()
    try await sink.close()
    try await group.shutdownGracefully()
    return lateness
}

func report(_ label: String, _ lateness: Lateness) {
    let sorted = lateness.samples.sorted()
    let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    print(
        String(
            format: "  %@: %d frames, p99 %.2f ms after due, worst %.2f ms, late (> 20 ms): %d", label, lateness.frames,
            p99 * 1000, lateness.worst * 1000, lateness.late))
}

if !legsOnly {
    print("waiting callers: loaded, one event loop, \(seconds) s each (delay from a frame's due time to its send)")
    report("encoded per caller, 200 callers (baseline)", try await loaded(callers: 200, encoding: true))
    for count in loads {
        report("encoded once, \(count) callers", try await loaded(callers: count, encoding: false))
    }
}

print(
    "waiting callers through the gateway's legs and players: one media event loop, \(seconds) s each "
        + "(client legs on a second thread; lateness of the media clock's 5 ms phases)")
for count in loads {
    reportLegs(
        try await waitingThroughTheGatewaysLegs(callers: count, seconds: seconds, music: music, pinned: pinned))
}
