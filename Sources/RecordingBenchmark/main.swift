import CallBenchmarkSupport
import ClientMedia
import Foundation
import Media
import NIOCore
import Synchronization
import WAV

// What recording adds to a relayed call, in one run, through the real media code: the gateway's
// WebRTC legs (ICE-lite, DTLS-SRTP) relayed by a `MediaGraph` per call on one event loop, against
// headless client legs (real ICE, DTLS, SRTP, an Opus tone every 20 ms) on another thread.
//
// 1. the baseline: `calls` two-party calls, relayed, not recorded;
// 2. the same calls recorded as a gateway records them: both legs tapped, a `RecordingWriter`
//    appending each track's packets to its log.
//
// The cost is the gateway's CPU over `seconds` of steady media: the whole process's CPU time less
// the client loop's thread (so the writer's queue counts, wherever Dispatch runs it), per
// call-second. Rendering the WAV files a user downloads (each track decoded onto its timeline,
// and the composed stereo file) is measured apart, after the calls: a gateway does it once per
// file, when it is first downloaded. Every rendered track is then read back: a 20 ms frame of
// silence inside the steady window is a lost frame.
//
// Usage: recording-benchmark [seconds] [calls] [rounds]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.first ?? 10
let calls = arguments.count > 1 ? arguments[1] : 50
let rounds = arguments.count > 2 ? arguments[2] : 3

struct Outcome {
    let cpuSeconds: Double
    let received: Int
    var renderSeconds = 0.0
    var logBytes = 0
    var files: [(path: String, bytes: Int, milliseconds: Int, channels: Int)] = []
    var lostFrames = 0
    var droppedChunks = 0
    var perCallSecond: Double { cpuSeconds / Double(calls * seconds) }
}

/// Frames of exact silence (20 ms at 16 kHz) in a mono track, past its first 100 ms and before
/// its last 400 ms (the tail still in flight when the recording stopped).
func silentFrames(_ path: String) throws -> Int {
    let wav = try WAVFile.read(path: path)
    let samples = wav.data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    let frame = 320
    var silent = 0
    var start = 1600
    while start + frame <= samples.count - 6400 {
        if samples[start..<start + frame].allSatisfy({ $0 == 0 }) { silent += 1 }
        start += frame
    }
    return silent
}

func run(recorded: Bool) async throws -> Outcome {
    let media = try MediaEngine(configuration: MediaConfiguration(portRange: 40000...49999), threads: 1)
    let clients = try ClientMediaEngine(threads: 1)
    let loop = media.nextEventLoop()
    let clientLoop = clients.eventLoops[0]
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recording-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let reports = Mutex<[RecordingWriterEvent]>([])
    let writer = RecordingWriter { event in reports.withLock { $0.append(event) } }
    var graphs: [MediaGraph] = []
    var clientLegs: [ClientLeg] = []
    var tracks: [String] = []
    var composed: [(left: String, right: String, path: String)] = []
    for call in 0..<calls {
        let graph = media.makeGraph(on: loop)
        for party in 0..<2 {
            let (leg, client) = try await connectedLeg(media, clients, on: loop, tone: 400 + 300 * Double(party))
            graph.attach("p\(party)", .webRTC(leg))
            clientLegs.append(client)
        }
        try await graph.connect("p0", "p1")
        if recorded {
            let paths = (0..<2).map { folder.appendingPathComponent("c\(call)-p\($0)").path }
            let deliveries = writer.open(
                RecordingFiles(
                    tracks: [.init(fileId: paths[0], path: paths[0]), .init(fileId: paths[1], path: paths[1])]))
            try await graph.startRecording(
                ["p0": deliveries[paths[0]]!, "p1": deliveries[paths[1]]!], budget: writer.budget)
            tracks += paths
            composed.append((paths[0], paths[1], folder.appendingPathComponent("c\(call).wav").path))
        }
        graphs.append(graph)
    }
    try await Task.sleep(for: .seconds(1))
    var heardBefore = 0
    for client in clientLegs { heardBefore += await client.figures().packetsReceived }
    let processStart = processCPUSeconds()
    let clientStart = try await clientLoop.submit { threadCPUSeconds() }.get()
    try await Task.sleep(for: .seconds(seconds))
    let clientEnd = try await clientLoop.submit { threadCPUSeconds() }.get()
    let processEnd = processCPUSeconds()
    var heard = 0
    for client in clientLegs { heard += await client.figures().packetsReceived }
    var outcome = Outcome(
        cpuSeconds: (processEnd - processStart) - (clientEnd - clientStart), received: heard - heardBefore)
    if recorded {
        for graph in graphs { graph.stopRecording() }
        try await loop.submit {}.get()
        await writer.flush()
        outcome.droppedChunks = writer.budget.dropped
        for event in reports.withLock({ $0 }) {
            if case .finished(_, _, let bytes) = event { outcome.logBytes += bytes }
        }
        let before = processCPUSeconds()
        for call in composed {
            let samples = try RecordingRenderer.renderComposed(
                left: (call.left, call.left + ".wav"), right: (call.right, call.right + ".wav"), into: call.path)
            for track in [call.left, call.right] {
                let samples = try WAVFile.read(path: track + ".wav").data.count / 2
                outcome.files.append((track, 44 + samples * 2, samples / 16, 1))
            }
            outcome.files.append((call.path, 44 + samples * 4, samples / 16, 2))
        }
        outcome.renderSeconds = processCPUSeconds() - before
        for track in tracks { outcome.lostFrames += try silentFrames(track + ".wav") }
    }
    for graph in graphs { graph.close() }
    for client in clientLegs { _ = await client.close() }
    try await clients.shutdown()
    try await media.shutdown()
    return outcome
}

var plain: [Outcome] = []
var recorded: [Outcome] = []
for _ in 0..<rounds {
    plain.append(try await run(recorded: false))
    recorded.append(try await run(recorded: true))
}
let baseline = medianRound(plain, by: \.perCallSecond)
let withRecording = medianRound(recorded, by: \.perCallSecond)
print(
    "recording benchmark: \(calls) relayed WebRTC calls, \(seconds) s steady, gateway media on one event loop,"
        + " median of \(rounds) alternating rounds")
for (name, outcome) in [("relayed, not recorded (baseline)", baseline), ("relayed and recorded", withRecording)] {
    let expected = calls * 2 * seconds * 50
    print(
        "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(microseconds(outcome.perCallSecond)) of CPU per call-second,"
            + String(
                format: " %.1f%% of a core; the clients heard %.2f%% of the packets due",
                100 * outcome.cpuSeconds / Double(seconds), 100 * Double(outcome.received) / Double(expected)))
}
print(
    String(
        format: "  recording adds %.1f%% to a relayed call's CPU (goal: under 25%%)",
        100 * (withRecording.perCallSecond / baseline.perCallSecond - 1)))
let recordedSeconds = Double(withRecording.files.filter { $0.channels == 1 }.map(\.milliseconds).reduce(0, +)) / 2000
print(
    String(
        format:
            "  rendering the WAV files once (both tracks decoded and the composed file): %.1f µs of CPU per recorded"
            + " call-second, %.1f%% of the relay's cost",
        1e6 * withRecording.renderSeconds / max(recordedSeconds, 1),
        100 * withRecording.renderSeconds / max(recordedSeconds, 1) / baseline.perCallSecond))
print(
    String(
        format: "  disk: a participant's packet log (Opus as received) %.0f bytes per minute",
        Double(withRecording.logBytes) / max(recordedSeconds * 2 / 60, 1e-9)))
for (label, channels) in [("a participant's file (16 kHz mono WAV)", 1), ("a composed file (16 kHz stereo WAV)", 2)] {
    let files = withRecording.files.filter { $0.channels == channels }
    let bytes = Double(files.map(\.bytes).reduce(0, +))
    let minutes = Double(files.map(\.milliseconds).reduce(0, +)) / 60000
    print(String(format: "  disk: %@ %.0f bytes per minute (%d files)", label, bytes / max(minutes, 1e-9), files.count))
}
let trackCount = withRecording.files.filter { $0.channels == 1 }.count
print(
    "  recorded tracks: \(trackCount) of \(calls * 2) complete, \(withRecording.lostFrames) silent 20 ms frames"
        + " inside their steady windows, \(withRecording.droppedChunks) chunks dropped for the memory budget")
