import ArgumentParser
import ClientMedia
import Foundation
import Media
import NIOCore
import SDP

/// The load `headless-agent load --probe-delay` puts on the gateway, put on rtpengine instead:
/// calls set up over its `ng` protocol, then both parties of every call send pre-encoded audio
/// every 20 ms: WebRTC (ICE, DTLS-SRTP, Opus), SDES-SRTP or plain RTP per side, behind delay
/// probes unless rtpengine transcodes (`webrtc-pcmu`: Opus on the WebRTC side, PCMU on the other).
@main
struct RTPEngineLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtpengine-load",
        abstract: "Drive calls through rtpengine: the baseline beside the gateway's own load.")

    enum Legs: String, ExpressibleByArgument, CaseIterable {
        case webRTC = "webrtc", webRTCRTP = "webrtc-rtp", webRTCPCMU = "webrtc-pcmu"
        case srtpSRTP = "srtp-srtp", srtpRTP = "srtp-rtp", rtpRTP = "rtp-rtp"

        /// Whether the first side is a WebRTC party.
        var webRTCFirst: Bool { self == .webRTC || self == .webRTCRTP || self == .webRTCPCMU }
    }

    @Option(help: "rtpengine's ng control address.") var ng = "127.0.0.1:2223"
    @Option(help: "Concurrent calls.") var count = 10
    @Option(help: "Seconds the calls carry media once all are set up.") var duration = 20.0
    @Option(
        help: """
            Each call's two sides: webrtc (WebRTC both), webrtc-rtp (WebRTC and plain RTP, Opus relayed), \
            webrtc-pcmu (WebRTC Opus and plain RTP PCMU, transcoded: no delay probes), srtp-srtp, srtp-rtp \
            or rtp-rtp (SDES-SRTP or RTP, Opus).
            """)
    var legs = Legs.srtpSRTP
    @Option(help: "Event loops carrying the generator's media.") var threads = 1
    @Option(help: "The address the generator's sockets bind to.") var mediaAddress = "127.0.0.1"
    @Option(help: "Count only the probes heard from this many seconds after every call is up.")
    var measureAfter = 0.0
    @Option(help: "Count the probes heard for this many seconds (default: to the end).") var measureFor: Double?

    func validate() throws {
        guard count >= 1, duration > 0, threads >= 1 else {
            throw ValidationError("--count, --duration and --threads must be positive")
        }
        guard ng.split(separator: ":").count == 2, UInt16(ng.split(separator: ":")[1]) != nil else {
            throw ValidationError("--ng must be host:port")
        }
    }

    func run() async throws {
        let parts = ng.split(separator: ":")
        let control = try NGClient(host: String(parts[0]), port: UInt16(parts[1])!)
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        let audio = try EncodedAudio.tone(frequency: 440)
        let media = try ClientMediaEngine(address: mediaAddress, threads: threads)
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let window = DelayProbe(closed: measureAfter > 0 || measureFor != nil)
        let probe = legs == .webRTCPCMU ? nil : window
        var calls: [(id: String, a: any LoadLeg, b: any LoadLeg)] = []
        let setupStarted = Date()
        for index in 0..<count {
            let callId = "load-\(run)-\(index)"
            if legs == .webRTC {
                let (a, b) = try await webRTCCall(callId, index, control, media, audio, window)
                calls.append((callId, a, b))
            } else if legs.webRTCFirst {
                let (a, b) = try await webRTCToRTPCall(callId, index, control, media, audio, probe, clock)
                calls.append((callId, a, b))
            } else {
                let (a, b) = try await sdesCall(callId, index, control, media.nextTicker(), audio, window, clock)
                calls.append((callId, a, b))
            }
        }
        if legs.webRTCFirst {
            let deadline = Date().addingTimeInterval(15)
            for call in calls {
                for leg in [call.a, call.b] {
                    while try await leg.snapshot().packetsReceived == 0 {
                        guard Date() < deadline else {
                            throw NGClient.Failure(description: "\(call.id): no media through rtpengine within 15 s")
                        }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
        }
        let setupSeconds = Date().timeIntervalSince(setupStarted)
        window.measure(after: measureAfter, for: measureFor ?? .infinity, now: clock())
        emit(["event": "established", "calls": count, "setupSeconds": setupSeconds])
        try await Task.sleep(for: .seconds(duration))
        var figures: [PumpFigures] = []
        for call in calls {
            figures.append(try await call.a.snapshot())
            figures.append(try await call.b.snapshot())
        }
        for call in calls {
            await call.a.close()
            await call.b.close()
            _ = try? control.request("delete", ["call-id": .text(call.id)])
        }
        let late = await media.tickLateness()
        try await media.shutdown()
        var delay = DelayHistogram()
        for leg in figures { delay.merge(leg.delay) }
        let losses = figures.map { $0.expected > 0 ? Double($0.lost) * 100 / Double($0.expected) : 100 }.sorted()
        emit([
            "event": "summary", "calls": count, "legs": legs.rawValue, "setupSeconds": setupSeconds,
            "packetsSent": figures.reduce(0) { $0 + $1.packetsSent },
            "packetsReceived": figures.reduce(0) { $0 + $1.packetsReceived },
            "packetsLost": figures.reduce(0) { $0 + $1.lost },
            "packetsExpected": figures.reduce(0) { $0 + $1.expected },
            "dropped": figures.reduce(0) { $0 + $1.dropped },
            "lossPercentMax": losses.last ?? 0,
            "delayMilliseconds": [
                "p50": delay.percentile(0.5) ?? -1, "p99": delay.percentile(0.99) ?? -1,
                "max": delay.percentile(1) ?? -1, "count": delay.sampleCount,
            ],
            "generatorTicks": late.phases, "generatorLateTicks": late.late,
        ])
        guard figures.allSatisfy({ $0.packetsReceived > 0 }) else {
            throw ExitCode.failure
        }
    }

    /// A call of two SDES (or plain RTP) legs set up by an ng offer and answer.
    private func sdesCall(
        _ callId: String, _ index: Int, _ control: NGClient, _ ticker: MediaTicker, _ audio: EncodedAudio,
        _ probe: DelayProbe, _ clock: @escaping @Sendable () -> Double
    ) async throws -> (PumpLeg, PumpLeg) {
        let a = try await PumpLeg.make(
            address: mediaAddress, srtp: legs != .rtpRTP, audio: audio, ticker: ticker, probe: probe, clock: clock)
        let b = try await PumpLeg.make(
            address: mediaAddress, srtp: legs == .srtpSRTP, audio: audio, ticker: ticker, probe: probe, clock: clock)
        let offered = try control.request(
            "offer",
            [
                "call-id": .text(callId), "from-tag": .text("a\(index)"), "sdp": .text(sdp(for: a)),
                "transport-protocol": .text(b.keyAndSalt == nil ? "RTP/AVP" : "RTP/SAVP"),
                "ICE": .text("remove"), "flags": .list([.text("trust-address")]),
            ])
        let towardB = try Endpoint(offered["sdp"]?.text)
        let answered = try control.request(
            "answer",
            [
                "call-id": .text(callId), "from-tag": .text("a\(index)"), "to-tag": .text("b\(index)"),
                "sdp": .text(sdp(for: b, cryptoTag: towardB.cryptoTag)), "ICE": .text("remove"),
                "flags": .list([.text("trust-address")]),
            ])
        let towardA = try Endpoint(answered["sdp"]?.text)
        try await a.start(remote: towardA.address, remoteKey: towardA.key)
        try await b.start(remote: towardB.address, remoteKey: towardB.key)
        return (a, b)
    }

    /// A call of two WebRTC legs (the generator's own, as in `headless-agent load`): rtpengine
    /// does ICE and DTLS-SRTP with each, so it decrypts and encrypts every packet with keys of its
    /// own on each side, as the gateway does.
    private func webRTCCall(
        _ callId: String, _ index: Int, _ control: NGClient, _ media: ClientMediaEngine, _ audio: EncodedAudio,
        _ probe: DelayProbe
    ) async throws -> (ClientLeg, ClientLeg) {
        let a = try await media.makeLeg(audio: audio, recorder: nil, delayProbe: probe)
        let b = try await media.makeLeg(audio: audio, recorder: nil, delayProbe: probe)
        let webRTC: [String: Bencode] = [
            "call-id": .text(callId), "from-tag": .text("a\(index)"), "ICE": .text("force"),
            "transport-protocol": .text("UDP/TLS/RTP/SAVPF"), "rtcp-mux": .list([.text("require")]),
            "flags": .list([.text("trust-address")]),
        ]
        var offer = webRTC
        offer["sdp"] = .text(a.offer())
        let offered = try control.request("offer", offer)
        guard let towardB = offered["sdp"]?.text else { throw NGClient.Failure(description: "ng offer: no SDP") }
        let failure: @Sendable (ClientLegEvent) -> Void = { event in
            if case .failed(let reason) = event { FileHandle.standardError.write(Data("\(callId): \(reason)\n".utf8)) }
        }
        var answer = webRTC
        answer["to-tag"] = .text("b\(index)")
        answer["sdp"] = .text(try await b.answer(offer: towardB, onEvent: failure))
        let answered = try control.request("answer", answer)
        guard let towardA = answered["sdp"]?.text else { throw NGClient.Failure(description: "ng answer: no SDP") }
        try await a.accept(answer: towardA, onEvent: failure)
        b.start()
        return (a, b)
    }

    /// A call from a WebRTC party (offering) to a plain RTP one (answering): rtpengine does ICE and
    /// DTLS-SRTP with the first and plain RTP with the second; with `webrtc-pcmu` it offers the
    /// second PCMU only and transcodes both ways.
    private func webRTCToRTPCall(
        _ callId: String, _ index: Int, _ control: NGClient, _ media: ClientMediaEngine, _ audio: EncodedAudio,
        _ probe: DelayProbe?, _ clock: @escaping @Sendable () -> Double
    ) async throws -> (ClientLeg, PumpLeg) {
        let a = try await media.makeLeg(audio: audio, recorder: nil, delayProbe: probe)
        let b = try await PumpLeg.make(
            address: mediaAddress, srtp: false, codec: legs == .webRTCPCMU ? .pcmu : .opus, audio: audio,
            ticker: media.nextTicker(), probe: probe, clock: clock)
        var offer: [String: Bencode] = [
            "call-id": .text(callId), "from-tag": .text("a\(index)"), "sdp": .text(a.offer()),
            "transport-protocol": .text("RTP/AVP"), "ICE": .text("remove"), "rtcp-mux": .list([.text("demux")]),
            "flags": .list([.text("trust-address")]),
        ]
        if legs == .webRTCPCMU {
            offer["codec"] = .dictionary(["mask": .list([.text("all")]), "transcode": .list([.text("PCMU")])])
        }
        let offered = try control.request("offer", offer)
        let towardB = try Endpoint(offered["sdp"]?.text)
        let answered = try control.request(
            "answer",
            [
                "call-id": .text(callId), "from-tag": .text("a\(index)"), "to-tag": .text("b\(index)"),
                "sdp": .text(sdp(for: b)), "flags": .list([.text("trust-address")]),
            ])
        guard let towardA = answered["sdp"]?.text else { throw NGClient.Failure(description: "ng answer: no SDP") }
        try await a.accept(answer: towardA) { event in
            if case .failed(let reason) = event { FileHandle.standardError.write(Data("\(callId): \(reason)\n".utf8)) }
        }
        try await b.start(remote: towardB.address, remoteKey: nil)
        return (a, b)
    }

    /// The SDP of a leg: its codec on its port, with its SDES key when it does SRTP.
    private func sdp(for leg: PumpLeg, cryptoTag: String = "1") -> String {
        let type = leg.codec.payloadType
        var lines = [
            "v=0", "o=- \(leg.port) 1 IN IP4 \(mediaAddress)", "s=-", "c=IN IP4 \(mediaAddress)", "t=0 0",
            "m=audio \(leg.port) \(leg.keyAndSalt == nil ? "RTP/AVP" : "RTP/SAVP") \(type)",
            "a=rtpmap:\(type) \(leg.codec.rtpmap)", "a=sendrecv",
        ]
        if let key = leg.keyAndSalt {
            lines.append("a=crypto:\(cryptoTag) AES_CM_128_HMAC_SHA1_80 inline:\(Data(key).base64EncodedString())")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func emit(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// A party of a load call, whichever way it was set up.
protocol LoadLeg: Sendable {
    func snapshot() async throws -> PumpFigures
    func close() async
}

extension PumpLeg: LoadLeg {}

extension ClientLeg: LoadLeg {
    func snapshot() async throws -> PumpFigures {
        let counters = await figures()
        return PumpFigures(
            packetsSent: counters.packetsSent, packetsReceived: counters.packetsReceived, dropped: counters.dropped,
            expected: counters.expected, lost: counters.lost, jitterMilliseconds: counters.jitterMilliseconds,
            delay: counters.delay)
    }

    func close() async { _ = await (self.close() as ClientLegCounters) }
}

/// Where rtpengine takes a leg's media, from the SDP it gave: its address and port, and the key
/// it sends with (its AES_CM_128_HMAC_SHA1_80 `a=crypto` line) when the side is SRTP.
struct Endpoint {
    var address: SocketAddress
    var key: [UInt8]?
    var cryptoTag = "1"

    init(_ text: String?) throws {
        guard let text, let (audio, address) = PumpLeg.audioEndpoint(of: text) else {
            throw NGClient.Failure(description: "rtpengine gave no usable audio SDP: \(text ?? "none")")
        }
        self.address = address
        for line in audio.attributes("crypto") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, fields[1] == "AES_CM_128_HMAC_SHA1_80", fields[2].hasPrefix("inline:") else {
                continue
            }
            let inline = fields[2].dropFirst("inline:".count).split(separator: "|")[0]
            guard let key = Data(base64Encoded: String(inline)), key.count == 30 else { continue }
            self.key = Array(key)
            cryptoTag = String(fields[0])
            break
        }
        if audio.proto.uppercased().hasSuffix("SAVP"), key == nil {
            throw NGClient.Failure(description: "rtpengine offered no AES_CM_128_HMAC_SHA1_80 key: \(text)")
        }
    }
}
