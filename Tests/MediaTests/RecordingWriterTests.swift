import Codecs
import Foundation
import NIOCore
import RTP
import Synchronization
import TestSupport
import Testing
import WAV

@testable import Media

/// Taps feeding the recording writer (a packet log per participant), the WAV files rendered from
/// the logs (each participant's and the composed one), failures, a log cut by a crash, and the
/// memory budget.
@Suite struct RecordingWriterTests {
    /// Collects the writer's events.
    final class Events: Sendable {
        let list = Mutex<[RecordingWriterEvent]>([])
        func add(_ event: RecordingWriterEvent) { list.withLock { $0.append(event) } }
        var all: [RecordingWriterEvent] { list.withLock { $0 } }
    }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "recording-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// One PCMU RTP packet of a tone, as a leg hands it to its tap.
    static func packet(_ index: Int, frequency: Double, payloadType: UInt8 = 0) -> (ByteBuffer, RTPHeader) {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(payloadType)
        buffer.writeInteger(UInt16(truncatingIfNeeded: index))
        buffer.writeInteger(UInt32(5000 + index * 160))
        buffer.writeInteger(UInt32(0x1234))
        for sample in 0..<160 {
            let phase = 2 * Double.pi * frequency * Double(index * 160 + sample) / 8000
            buffer.writeInteger(G711.ulaw(Int16(8000 * sin(phase))))
        }
        let header = buffer.withUnsafeReadableBytes { try! RTPHeader.parse($0) }
        return (buffer, header)
    }

    static func channel(_ wav: WAVFile, _ channel: Int) -> [Int16] {
        let samples = wav.data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        return stride(from: channel, to: samples.count, by: wav.channels).map { samples[$0] }
    }

    static func power(_ samples: [Int16], _ frequency: Double) -> Double {
        ToneAnalysis.power(samples, frequency: frequency, rate: 16000) / Double(max(samples.count, 1))
    }

    @Test func eachParticipantHasTheirOwnFileAndTheComposedOneHasEachOnItsChannel() async throws {
        let folder = try Self.directory()
        let events = Events()
        let writer = RecordingWriter { events.add($0) }
        let files = RecordingFiles(
            tracks: [.init(fileId: "c", path: "\(folder)/c.packets"), .init(fileId: "a", path: "\(folder)/a.packets")])
        let deliveries = writer.open(files)
        let customer = RecordingTap(codec: .pcmu, payloadType: 0, budget: writer.budget, deliver: deliveries["c"]!)
        let agent = RecordingTap(codec: .pcmu, payloadType: 0, budget: writer.budget, deliver: deliveries["a"]!)
        customer.start(origin: 100)
        agent.start(origin: 100)
        // Two seconds of calls: the customer says 600 Hz from the start, the agent 1 kHz from 0.5 s.
        for index in 0..<100 {
            let now = 100 + Double(index) * 0.02 + 0.003
            let (c, ch) = Self.packet(index, frequency: 600)
            customer.capture(c, ch, now: now)
            if index >= 25 {
                let (a, ah) = Self.packet(index, frequency: 1000)
                agent.capture(a, ah, now: now)
            }
            // A telephone-event packet is not audio: not recorded.
            let (dtmf, dh) = Self.packet(index, frequency: 1000, payloadType: 101)
            customer.capture(dtmf, dh, now: now)
        }
        customer.finish(now: 102.5)
        agent.finish(now: 102.5)
        await writer.flush()
        let finished = events.all.compactMap { event -> (String, Double)? in
            if case .finished(let id, let end, _) = event { return (id, end) }
            return nil
        }
        #expect(Set(finished.map(\.0)) == ["c", "a"], "\(events.all)")
        #expect(finished.allSatisfy { $0.1 == 2.5 }, "every track ends with the recording: \(finished)")
        let samples = try RecordingRenderer.renderComposed(
            left: ("\(folder)/c.packets", "\(folder)/c.wav"), right: ("\(folder)/a.packets", "\(folder)/a.wav"),
            into: "\(folder)/both.wav")
        #expect(samples == 40000 && RecordingRenderer.wavBytes(until: 2.5, channels: 2) == 44 + 160000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".part") }.isEmpty)
        let c = try WAVFile.read(path: "\(folder)/c.wav")
        let a = try WAVFile.read(path: "\(folder)/a.wav")
        let both = try WAVFile.read(path: "\(folder)/both.wav")
        #expect(c.sampleRate == 16000 && c.channels == 1 && both.channels == 2)
        let cs = Self.channel(c, 0)
        let asamples = Self.channel(a, 0)
        let (c600, c1000) = (Self.power(Array(cs[1600..<30000]), 600), Self.power(Array(cs[1600..<30000]), 1000))
        let (a600, a1000) = (
            Self.power(Array(asamples[9000..<30000]), 600), Self.power(Array(asamples[9000..<30000]), 1000)
        )
        #expect(c600 > 1e6 && c1000 < c600 / 100, "the customer's file has only the customer: \(c600) \(c1000)")
        #expect(a1000 > 1e6 && a600 < a1000 / 100, "the agent's file has only the agent: \(a600) \(a1000)")
        #expect(asamples[0..<7800].allSatisfy { $0 == 0 }, "the agent is silent until they speak at 0.5 s")
        #expect(Self.channel(both, 0) == cs, "left: the customer")
        #expect(Self.channel(both, 1) == asamples, "right: the agent")
    }

    @Test func anUnwritableTrackFailsAlone() async throws {
        let folder = try Self.directory()
        let events = Events()
        let writer = RecordingWriter { events.add($0) }
        let deliveries = writer.open(
            RecordingFiles(tracks: [
                .init(fileId: "c", path: "\(folder)/c.packets"), .init(fileId: "a", path: "/dev/full"),
            ]))
        let taps = ["c", "a"].map {
            RecordingTap(codec: .pcmu, payloadType: 0, budget: writer.budget, deliver: deliveries[$0]!)
        }
        for tap in taps { tap.start(origin: 0) }
        for index in 0..<50 {
            let (packet, header) = Self.packet(index, frequency: 600)
            for tap in taps { tap.capture(packet, header, now: Double(index) * 0.02) }
        }
        for tap in taps { tap.finish(now: 1) }
        await writer.flush()
        let all = events.all
        #expect(
            all.contains { if case .failed("a", let reason) = $0 { reason.contains("No space") } else { false } },
            "\(all)")
        #expect(all.contains { if case .finished("c", 1.0, let bytes) = $0 { bytes > 50 * 160 } else { false } })
        #expect(all.count == 2, "\(all)")
        #expect(writer.budget.pending == 0)
    }

    @Test func aLogCutByACrashIsCutBackToWholeRecordsAndEndsAtItsLastPacket() throws {
        let folder = try Self.directory()
        let log = try PacketLogFile(path: "\(folder)/t.packets")
        var chunk = ByteBuffer()
        for index in 0..<50 {
            let (packet, header) = Self.packet(index, frequency: 600)
            packet.withUnsafeReadableBytes { bytes in
                RecordedChunk.writePacket(
                    &chunk, codec: .pcmu, timestamp: header.timestamp, arrival: Double(index) * 0.02,
                    payload: UnsafeRawBufferPointer(rebasing: bytes[header.payloadOffset...]))
            }
        }
        try log.append(chunk)
        // Killed in the middle of the next record.
        try log.append(ByteBuffer(bytes: [1, 2, 0, 160, 0, 0]))
        log.close()
        #expect(try PacketLogFile.repair(path: "\(folder)/t.packets") == 0.98 + 0.02)
        let size = try FileManager.default.attributesOfItem(atPath: "\(folder)/t.packets")[.size] as? Int
        #expect(size == chunk.readableBytes, "the cut record is gone")
        #expect(try RecordingRenderer.renderTrack(log: "\(folder)/t.packets", into: "\(folder)/t.wav") == 16000)
        let track = Self.channel(try WAVFile.read(path: "\(folder)/t.wav"), 0)
        #expect(Self.power(Array(track[1600..<15000]), 600) > 1e6)
    }

    @Test func aSpentBudgetDropsChunksNotTheCallAndTheTrackKeepsItsLength() async throws {
        let folder = try Self.directory()
        let events = Events()
        let writer = RecordingWriter(budget: RecordingBudget(limit: 1)) { events.add($0) }
        let deliveries = writer.open(RecordingFiles(tracks: [.init(fileId: "c", path: "\(folder)/c.packets")]))
        let tap = RecordingTap(codec: .pcmu, payloadType: 0, budget: writer.budget, deliver: deliveries["c"]!)
        tap.start(origin: 0)
        for index in 0..<100 {
            let (packet, header) = Self.packet(index, frequency: 600)
            tap.capture(packet, header, now: Double(index) * 0.02)
        }
        tap.finish(now: 2)
        await writer.flush()
        #expect(writer.budget.dropped > 0)
        #expect(events.all.count == 1)
        guard case .finished("c", 2.0, _) = events.all.first else {
            Issue.record("\(events.all)")
            return
        }
        #expect(try RecordingRenderer.renderTrack(log: "\(folder)/c.packets", into: "\(folder)/c.wav") == 32000)
    }
}
