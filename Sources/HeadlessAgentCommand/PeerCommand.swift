import ArgumentParser
import ClientMedia
import Foundation
import HeadlessAgent
import Media

/// A call straight to another WebRTC endpoint (a browser, aiortc), without the gateway: SDP
/// travels as JSON lines on standard output and input.
struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Call another WebRTC endpoint directly; SDP is exchanged as JSON lines on stdout and stdin.",
        discussion: """
            With --offer: prints {"type":"offer","sdp":…}, reads {"type":"answer","sdp":…}. Without it: \
            reads the offer, prints the answer. Then plays and records for --duration seconds and prints \
            the call's figures as a JSON line.
            """)
    @OptionGroup var mediaOptions: MediaOptions
    @Flag(help: "Make the offer (else answer one).") var offer = false
    @Option(help: "Seconds of media once connected.") var duration = 3.0
    @Option(help: "Seconds to wait for ICE and DTLS.") var connectTimeout = 10.0
    @Option(help: "IPv4 address the media socket binds to and announces.") var mediaAddress = "127.0.0.1"

    func validate() throws {
        guard duration > 0, connectTimeout > 0 else {
            throw ValidationError("--duration and --connect-timeout must be positive")
        }
    }

    func run() async throws {
        let engine = try ClientMediaEngine(address: mediaAddress)
        let recorder = mediaOptions.record == nil ? nil : try AudioRecorder()
        let leg = try await engine.makeLeg(audio: try mediaOptions.audio(default: 440), recorder: recorder)
        let events = AsyncStream.makeStream(of: ClientLegEvent.self)
        let onEvent: @Sendable (ClientLegEvent) -> Void = { events.continuation.yield($0) }
        let started = Date().timeIntervalSince1970
        do {
            if offer {
                Self.emit(["type": "offer", "sdp": leg.offer()])
                try await leg.accept(answer: try Self.read("answer"), onEvent: onEvent)
            } else {
                let answer = try await leg.answer(offer: try Self.read("offer"), onEvent: onEvent)
                Self.emit(["type": "answer", "sdp": answer])
                leg.start()
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail("bad description: \(error)")
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(connectTimeout))
            events.continuation.yield(.failed("not connected within \(connectTimeout) s"))
        }
        var figures = CallFigures(identity: "peer", role: offer ? "offerer" : "answerer", callId: "peer")
        for await event in events.stream {
            if case .failed(let reason) = event { throw fail(reason) }
            break
        }
        timeout.cancel()
        figures.setupSeconds = Date().timeIntervalSince1970 - started
        try await Task.sleep(for: .seconds(duration))
        figures.add(await leg.close(), startedAt: started)
        if let recorder, let path = mediaOptions.record {
            try await leg.eventLoop.submit { recorder.wav }.get().write(path: path)
        }
        if figures.packetsReceived == 0 { figures.failure = "no audio received" }
        MediaOptions.printer(json: true)(figures)
        flushOutput()
        try? await engine.shutdown()
        if let failure = figures.failure { throw fail(failure) }
    }

    static func emit(_ object: [String: String]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { return }
        emitLine(String(decoding: data, as: UTF8.self))
        flushOutput()
    }

    static func read(_ type: String) throws -> String {
        guard let line = readLine() else { throw fail("standard input ended before the \(type)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            object["type"] as? String == type, let sdp = object["sdp"] as? String
        else { throw fail("expected {\"type\":\"\(type)\",\"sdp\":…} on standard input") }
        return sdp
    }
}
