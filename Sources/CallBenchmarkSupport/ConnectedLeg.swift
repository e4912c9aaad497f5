import ClientMedia
import Foundation
import Media
import NIOCore
import SDP

/// The CPU time the calling thread used, in seconds.
public func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The CPU time the whole process used (every thread), in seconds.
public func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The middle one of `rounds` by `cost` (the median round, as a whole).
public func medianRound<Round>(_ rounds: [Round], by cost: (Round) -> Double) -> Round {
    rounds.sorted { cost($0) < cost($1) }[rounds.count / 2]
}

/// Seconds as microseconds, for a table column.
public func microseconds(_ seconds: Double) -> String { String(format: "%6.1f µs", seconds * 1e6) }

/// A gateway WebRTC leg on `loop` and a headless client leg answering it (real ICE, DTLS, SRTP;
/// the client sends a pre-encoded Opus tone every 20 ms, or nothing when `tone` is nil),
/// connected: DTLS is up when this returns.
public func connectedLeg(_ media: MediaEngine, _ clients: ClientMediaEngine, on loop: any EventLoop, tone: Double?)
    async throws -> (WebRTCLeg, ClientLeg)
{
    let leg = try await media.makeLeg(on: loop)
    let offer = WebRTCDescriptionBuilder.offer(local: leg.local, sessionId: 1, video: false)
    let client = try await clients.makeLeg(audio: try tone.map { try EncodedAudio.tone(frequency: $0) }, recorder: nil)
    let (events, continuation) = AsyncStream.makeStream(of: ClientLegEvent.self)
    let answer = try await client.answer(offer: offer.text) { continuation.yield($0) }
    client.start()
    let parsed = try SessionDescription.parse(answer)
    let (negotiated, setup) = try WebRTCDescriptionBuilder.readAnswer(parsed)
    try await loop.submit { try leg.configure(remote: parsed, negotiated: negotiated, localSetup: setup) }.get()
    for await event in events {
        guard event == .established else { throw MediaError.sdp("client leg: \(event)") }
        break
    }
    return (leg, client)
}

/// Pins the calling thread (not the process) to CPU `cpu`; false when the kernel refused.
/// (`sched_setaffinity` is a GNU extension that Glibc's Swift module leaves out: found by name.)
@discardableResult
public func pinCallingThread(toCPU cpu: Int) -> Bool {
    typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    guard cpu >= 0, cpu < 1024, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity")
    else { return false }
    var mask = [UInt64](repeating: 0, count: 16)
    mask[cpu / 64] |= 1 << UInt64(cpu % 64)
    let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
    return mask.withUnsafeBytes { setAffinity(0, $0.count, $0.baseAddress!) } == 0
}
