import ArgumentParser
import Foundation
import HeadlessAgent
import Logging
import SignalingFrames
import Synchronization

struct StormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm",
        abstract: "Sign many agents in over signaling WebSockets, then drop and reconnect them all at once.",
        discussion: """
            The generator of Benchmarks/signaling_scale.py --swift-generator. Each agent opens its signaling \
            URL, waits for the welcome, sets itself ACTIVE and waits for the agent.state saying so (--in-flight \
            sign-ins at a time); signed in, it beats every --beat seconds. Prints JSON lines and takes commands \
            on standard input, one per line: {"event":"signedIn"} when every agent is ACTIVE; then "drop" \
            closes every connection ({"event":"dropped"}), "storm" signs every agent in again at once \
            ({"event":"storm"}, timed from the first connection to the last ACTIVE), and "end" exits.
            """)

    @Option(help: "A file of signaling URLs (ws://…/webrtc/1/signaling?token=…), one per agent and line.")
    var urls: String
    @Option(help: "Sign-ins in flight at once.") var inFlight = 500
    @Option(help: "Seconds between an agent's heartbeats.") var beat = 10.0

    func validate() throws {
        guard inFlight >= 1, beat > 0 else { throw ValidationError("--in-flight and --beat must be positive") }
    }

    func run() async throws {
        let lines = try String(contentsOfFile: urls, encoding: .utf8).split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { throw ValidationError("\(urls) names no URL") }
        var logger = Logger(label: "storm")
        logger.logLevel = .critical
        let storm = Storm(urls: lines, inFlight: inFlight, beat: .seconds(beat), logger: logger)
        var (seconds, failed) = await storm.signInAll()
        emitLine(#"{"event":"signedIn","seconds":\#(seconds),"failed":\#(failed)}"#)
        while let command = await Self.readCommand() {
            switch command {
            case "drop":
                await storm.dropAll()
                emitLine(#"{"event":"dropped"}"#)
            case "storm":
                (seconds, failed) = await storm.signInAll()
                emitLine(#"{"event":"storm","seconds":\#(seconds),"failed":\#(failed)}"#)
            case "end":
                await storm.dropAll()
                flushOutput()
                return
            default:
                emitLine(#"{"event":"error","message":"unknown command"}"#)
            }
        }
    }

    /// The next line of standard input, read off the cooperative pool; nil at its end.
    static func readCommand() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: readLine(strippingNewline: true)) }
        }
    }
}

/// The agents' connections: signed in, beating, dropped.
final class Storm: Sendable {
    let urls: [String]
    let inFlight: Int
    let beat: Duration
    let logger: Logger
    private let connections = Connections()

    init(urls: [String], inFlight: Int, beat: Duration, logger: Logger) {
        self.urls = urls
        self.inFlight = inFlight
        self.beat = beat
        self.logger = logger
    }

    /// Signs every agent in, `inFlight` at a time: seconds until the last is ACTIVE, and how
    /// many could not sign in in 5 attempts.
    func signInAll() async -> (seconds: Double, failed: Int) {
        let start = ContinuousClock.now
        let failed = await withTaskGroup(of: Bool.self) { group in
            var next = 0
            var failed = 0
            while next < min(inFlight, urls.count) {
                let url = urls[next]
                group.addTask { await self.signIn(url) }
                next += 1
            }
            for await signedIn in group {
                if !signedIn { failed += 1 }
                if next < urls.count {
                    let url = urls[next]
                    group.addTask { await self.signIn(url) }
                    next += 1
                }
            }
            return failed
        }
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, failed)
    }

    /// One agent: connected, welcomed, set ACTIVE and told so; then its frames are drained and
    /// it beats until the connection ends.
    private func signIn(_ url: String) async -> Bool {
        for attempt in 1...5 {
            let connection = SignalingConnection(url: url, logger: logger)
            let active: Bool = await withTaskGroup(of: Bool?.self) { group in
                group.addTask {
                    for await frame in connection.frames {
                        switch frame {
                        case .welcome: connection.send(["type": "agent.setStatus", "status": "ACTIVE", "id": "s"])
                        case .agentState(let state) where state.availability == "ACTIVE": return true
                        default: break
                        }
                    }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(60))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? false
            }
            if active {
                connections.add(connection)
                let beat = self.beat
                Task {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { for await _ in connection.frames {} }
                        group.addTask {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: beat)
                                connection.send(["type": "heartbeat", "id": "h"])
                            }
                        }
                        _ = await group.next()
                        group.cancelAll()
                    }
                }
                return true
            }
            connection.close()
            try? await Task.sleep(for: .milliseconds(500 * attempt))
        }
        return false
    }

    /// Closes every connection and waits until each has ended.
    func dropAll() async {
        let all = connections.removeAll()
        for connection in all { connection.close() }
        for connection in all { _ = await connection.closeReason() }
    }
}

/// The signed-in connections (added by the sign-in tasks, taken by `dropAll`).
final class Connections: Sendable {
    private let list = Mutex<[SignalingConnection]>([])

    func add(_ connection: SignalingConnection) { list.withLock { $0.append(connection) } }
    func removeAll() -> [SignalingConnection] {
        list.withLock { list in
            defer { list = [] }; return list
        }
    }
}
