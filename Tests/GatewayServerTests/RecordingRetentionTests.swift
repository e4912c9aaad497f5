import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

/// Recordings past `recordingRetentionDays` are deleted by the hourly sweep: files removed,
/// metadata kept with `deletedBy` RETENTION.
@Suite struct RecordingRetentionTests {
    @Test func recordingsPastTheRetentionPeriodAreDeletedHourly() async throws {
        let gw = try await TestGateway.make { $0.recordingRetentionDays = 30 }
        let folder = gw.services.recordingsDirectory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func recording(daysAgo: Double) async throws -> RecordingFile {
            let started = gw.clock.now().addingTimeInterval(-daysAgo * 86_400)
            let id = UUID().uuidString.lowercased()
            var file = RecordingFile(
                id: id, conversationId: "conv", callId: "call-\(id)", direction: "INBOUND", composed: false,
                filename: RecordingFile.filename(
                    conversationId: "conv", identity: "agent", startedAt: started, recordingId: id),
                participantId: "agent", participantIdentity: "agent", participantName: "Agent",
                participantType: "AGENT",
                mediaType: "AUDIO", startedAt: started)
            file.recordingStatus = .SUCCESSFUL
            try await gw.store.save(file)
            for name in [file.filename, file.packetLogName] {
                try Data([1, 2, 3]).write(to: folder.appendingPathComponent(name))
            }
            return file
        }
        func stored(_ file: RecordingFile) async throws -> RecordingFile? {
            try await gw.store.load(RecordingFile.self, id: file.id)
        }
        let old = try await recording(daysAgo: 31)
        let recent = try await recording(daysAgo: 29)
        await gw.services.calls.tick()
        #expect(try await stored(old)?.deletedBy == "RETENTION")
        #expect(try await stored(old)?.deletedAt != nil)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(old.filename).path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(old.packetLogName).path))
        #expect(try await stored(recent)?.deletedAt == nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(recent.filename).path))

        // The sweep runs once an hour: a day later the recent one is due, but only at the next sweep.
        gw.clock.advance(by: 86_400 + 600)
        let late = try await recording(daysAgo: 40)
        await gw.services.calls.tick()
        let (recentNow, lateNow) = (try await stored(recent), try await stored(late))
        #expect(recentNow?.deletedBy == "RETENTION" && lateNow?.deletedBy == "RETENTION")
        gw.clock.advance(by: 600)
        let another = try await recording(daysAgo: 40)
        await gw.services.calls.tick()
        #expect(try await stored(another)?.deletedAt == nil, "not before an hour since the last sweep")
        gw.clock.advance(by: 3600)
        await gw.services.calls.tick()
        #expect(try await stored(another)?.deletedBy == "RETENTION")
        try await gw.close()
    }
}
