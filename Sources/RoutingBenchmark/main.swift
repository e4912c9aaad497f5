import Calls
import ContactCenter
import Foundation
import JSON
import Logging
import Media
import SignalingFrames
import Storage

/// Every agent has a signaling session and every offer reaches it; none answers.
struct AgentsWhoHearEveryOffer: CallSignaling {
    func send(_ frame: CallFrame, to identity: String) async -> Int { 1 }
    func isConnected(_ identity: String) async -> Bool { true }
}

// What routing a call costs as a queue grows: the gateway's own services in-process (SQLite store,
// contact center, call center, media engine), one queue of M signed-in agents who are all on a
// call, W phone callers waiting in it. Then agents become free one at a time, each through the
// registry as at the end of a call: the waiting calls are dispatched (the first waiting caller is
// offered the agent), and the round's CPU is taken. A new call is then routed to a free agent
// among the M. The baseline, in the same run, is the same with one member (M = 1).
//
//   swift build -c release --product routing-benchmark
//   .build/release/routing-benchmark [waiting callers] [M,M,...]     # default: 20 1,100,1000,3000

/// Prints a line at once (standard output is a pipe under `farm-bench` and scripts).
func say(_ items: Any...) {
    print(items.map { "\($0)" }.joined(separator: " "))
    fflush(nil)
}

func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// CPU of the whole process while `body` runs and until the process goes quiet again (the
/// dispatch round goes on after the first caller is offered), less what it burns when idle.
func roundCPU(idleRate: Double, _ body: () async throws -> Void) async rethrows -> (
    cpu: Double, offeredAfter: Double
) {
    let cpu0 = processCPUSeconds()
    let t0 = monotonicSeconds()
    try await body()
    let offered = monotonicSeconds() - t0
    let slice = 0.02
    while true {
        let before = processCPUSeconds()
        try? await Task.sleep(for: .seconds(slice))
        if processCPUSeconds() - before < idleRate * slice + 0.002 { break }
    }
    let wall = monotonicSeconds() - t0
    return (max(0, processCPUSeconds() - cpu0 - idleRate * wall), offered)
}

/// Returns once the registry holds `agent` for a call (asked every millisecond: spinning would
/// add to the CPU measured); a routing that never offers it is a failure.
func waitUntilOffered(_ agent: String, _ registry: AgentRegistry) async {
    let deadline = monotonicSeconds() + 60
    while await registry.reservation(of: agent) == nil {
        guard monotonicSeconds() < deadline else {
            say("no call was offered to the agent freed within 60 s")
            exit(1)
        }
        try? await Task.sleep(for: .milliseconds(1))
    }
}

struct Measurement {
    var members: Int
    var dispatchCPU: [Double] = []
    var offerLatency: [Double] = []
    var newCallWall: [Double] = []
}

let offer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

func measure(members: Int, waiting: Int, rounds: Int) async throws -> Measurement {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("routing-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var logger = Logger(label: "routing-benchmark")
    logger.logLevel = .critical
    let store = try SQLiteStore(path: folder.appendingPathComponent("gateway.sqlite").path)
    let clock = ManualWallClock(Date())
    let cc = ContactCenter(store: store, clock: clock, logger: logger)
    try await cc.start(liveChat: nil, webhook: nil)
    let media = try MediaEngine(
        configuration: MediaConfiguration(portRange: 30000...(30000 + 2 * waiting + 2 * rounds + 100)), threads: 1)
    let calls = CallCenter(
        contactCenter: cc, media: media, signaling: AgentsWhoHearEveryOffer(), clock: clock, logger: logger)
    let follower = Task { await calls.follow(events: cc.events.subscribe()) }

    let queue = try await cc.createQueue(
        .object(["name": .string("Bench"), "isAutoAssignmentEnabled": .bool(true)]), by: .integration)
    var agents: [String] = []
    for i in 0..<members {
        let agent = try await cc.createAgent(
            .object(["displayName": .string("Agent \(i)"), "status": .string("ACTIVE"), "role": .string("AGENT")]),
            by: .integration
        ).agent
        _ = try await cc.addAgentToQueue(agent.id, .object(["queueId": .string(queue.id)]), by: .integration)
        await cc.registry.connected(agentId: agent.id)
        await cc.registry.callStarted(agentId: agent.id)
        agents.append(agent.id)
    }
    let trunkBody = JSONValue.parse(
        #"""
        {"name":"carrier","destinationHosts":["127.0.0.1:5080"],"transport":"UDP","codecs":["PCMU"],
         "numbers":[{"number":"+15550100","queueId":"\#(queue.id)"}],"channelLimit":100000}
        """#)!
    _ = try await cc.createSIPTrunk(trunkBody, by: .integration)
    guard let (trunk, number) = try await cc.sipTrunk(forNumber: "+15550100") else {
        fatalError("the trunk's number is not found")
    }
    for i in 0..<waiting {
        _ = try await calls.startFromPhone(trunk: trunk, number: number, caller: "+1555\(1_000_000 + i)", offer: offer)
    }
    // What the process burns with the callers waiting (their ringback) and nothing routed.
    try await Task.sleep(for: .milliseconds(300))
    let idle0 = processCPUSeconds()
    try await Task.sleep(for: .seconds(1))
    let idleRate = processCPUSeconds() - idle0

    var result = Measurement(members: members)
    let noWrapUp = WrapUpPolicy(enabled: false, seconds: 0, canExtend: false)
    for round in 0..<min(rounds, members, waiting) {
        let agent = agents[round]
        let (cpu, latency) = await roundCPU(idleRate: idleRate) {
            await cc.registry.callEnded(agentId: agent, wrapUp: noWrapUp)
            await waitUntilOffered(agent, cc.registry)
        }
        result.dispatchCPU.append(cpu)
        result.offerLatency.append(latency)
    }
    // New calls while an agent is free (nobody waiting any more would change the queue's state,
    // so the waiting callers stay): each is offered the free agent at once.
    for round in 0..<min(rounds, members) {
        let agent = agents[members - 1 - round]
        await cc.registry.callEnded(agentId: agent, wrapUp: noWrapUp)
        let t0 = monotonicSeconds()
        _ = try await calls.startFromPhone(
            trunk: trunk, number: number, caller: "+1556\(1_000_000 + round)", offer: offer)
        await waitUntilOffered(agent, cc.registry)
        result.newCallWall.append(monotonicSeconds() - t0)
    }
    await calls.endAllCalls()
    follower.cancel()
    // The ended calls' legs close on the media loop: let them before it stops.
    try? await Task.sleep(for: .milliseconds(300))
    try? await media.shutdown()
    try await store.close()
    return result
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

let arguments = CommandLine.arguments.dropFirst()
let waiting = arguments.first.flatMap { Int($0) } ?? 20
let sizes = arguments.dropFirst().first.map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1, 100, 1000, 3000]
guard waiting >= 1, !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 }) else {
    say("usage: routing-benchmark [waiting callers >= 1] [M,M,... each >= 1]")
    exit(2)
}
let rounds = 5
say(
    "\(waiting) phone callers waiting in a queue of M agents, all on a call; up to \(rounds) agents freed one at a time, then as many new calls each offered a free agent"
)
var baseline: Measurement?
for members in ([1] + sizes.filter { $0 != 1 }) {
    let m = try await measure(members: members, waiting: waiting, rounds: rounds)
    if baseline == nil { baseline = m }
    let dispatch = median(m.dispatchCPU), newCall = median(m.newCallWall)
    let base = baseline!
    say(
        String(
            format:
                "  M = %5d: dispatch round %8.2f ms CPU (%6.1fx M = 1), first caller offered after %7.2f ms; new call routed in %7.2f ms (%5.1fx M = 1)",
            members, dispatch * 1000, dispatch / median(base.dispatchCPU), median(m.offerLatency) * 1000,
            newCall * 1000, newCall / median(base.newCallWall)))
}
