import CallBenchmarkSupport
import ClientMedia
import Foundation
import Media
import NIOCore

/// What the run through the gateway's own code measured.
struct LegsOutcome {
    let callers: Int
    let lateness: TickLateness
    /// The media loop's CPU time over the run, as a share of one core.
    let loopShare: Double
    let sent: Int
    let heard: Int
}

/// 3. Waiting callers through the gateway's own code: `count` WebRTC legs of one media event loop,
/// each up with real ICE, DTLS and SRTP against a headless client leg (on a second thread), each
/// in a `MediaGraph` that plays the default hold music to it (`AudioPlayer`, the leg's stream
/// continuity, SRTP, NIO's socket write: what a waiting caller costs in the gateway). Lateness is
/// the media clock's own (`TickLateness`: when a phase's last frame left, against its due time).
///
/// With `pinned`, the media loop's thread runs on CPU 0 and the clients' on CPU 1.
func waitingThroughTheGatewaysLegs(callers count: Int, seconds: Int, music: EncodedAudio, pinned: Bool) async throws
    -> LegsOutcome
{
    raiseDescriptorLimit()
    let media = try MediaEngine(
        configuration: MediaConfiguration(portRange: 30000...(30000 + count + 200)), threads: 1)
    let clients = try ClientMediaEngine(threads: 1)
    let loop = media.nextEventLoop()
    if pinned {
        guard try await loop.submit({ pinCallingThread(toCPU: 0) }).get(),
            try await clients.eventLoops[0].submit({ pinCallingThread(toCPU: 1) }).get()
        else { throw PinningRefused() }
    }
    var calls: [(WebRTCLeg, ClientLeg)] = []
    try await withThrowingTaskGroup(of: (WebRTCLeg, ClientLeg).self) { group in
        var started = 0
        // At most 32 handshakes at a time.
        while started < min(32, count) {
            group.addTask { try await connectedLeg(media, clients, on: loop, tone: nil) }
            started += 1
        }
        for try await call in group {
            calls.append(call)
            if started < count {
                group.addTask { try await connectedLeg(media, clients, on: loop, tone: nil) }
                started += 1
            }
        }
    }
    var graphs: [MediaGraph] = []
    for (leg, _) in calls {
        let graph = media.makeGraph(on: loop)
        graph.attach("caller", .webRTC(leg))
        graph.play(music, to: "caller")
        graphs.append(graph)
    }
    try await Task.sleep(for: .seconds(1))
    let before = try await media.tickLateness()[0]
    let sentBefore = media.statistics.rtpSent.load(ordering: .relaxed)
    let cpuBefore = try await loop.submit { threadCPUSeconds() }.get()
    let wallBefore = Date()
    try await Task.sleep(for: .seconds(seconds))
    let cpu = try await loop.submit { threadCPUSeconds() }.get() - cpuBefore
    let wall = Date().timeIntervalSince(wallBefore)
    let lateness = try await media.tickLateness()[0].since(before)
    let sent = media.statistics.rtpSent.load(ordering: .relaxed) - sentBefore
    var heard = 0
    for graph in graphs { graph.close() }
    for (_, client) in calls { heard += await client.close().packetsReceived }
    try await clients.shutdown()
    try await media.shutdown()
    return LegsOutcome(callers: count, lateness: lateness, loopShare: cpu / wall, sent: sent, heard: heard)
}

/// `--pin` asked for CPUs 0 and 1 and the kernel refused one of them (a machine or an affinity
/// mask with fewer CPUs).
struct PinningRefused: Error, CustomStringConvertible {
    var description: String { "--pin: CPUs 0 and 1 are not both usable by this process" }
}

/// Every leg and client leg is a socket: raises the soft descriptor limit to the hard one.
func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

func reportLegs(_ outcome: LegsOutcome) {
    let lateness = outcome.lateness
    print(
        String(
            format:
                "  %d callers: %d phases, p99 %d ms after due, worst %.2f ms, late phases (> 20 ms): %d; "
                + "media loop %.0f%% of a core; %d packets sent, %d heard by the clients",
            outcome.callers, lateness.phases, lateness.percentile(0.99), Double(lateness.worstNanoseconds) / 1e6,
            lateness.late, outcome.loopShare * 100, outcome.sent, outcome.heard))
}
