import ContactCenter
import Foundation
import Media

/// Recordings across restarts and time: files a stopped gateway left half-written are repaired
/// at the next start, and files past the retention period are deleted.
extension CallCenter {
    /// Files still IN_PROGRESS (the previous process died, or was stopped, while recording
    /// them): each participant's packet log is cut back to its whole records and the track ends
    /// where its last packet arrived (SUCCESSFUL; FAILED when no log is there); a composed file
    /// follows its two tracks. WAV files are rendered from the logs when downloaded.
    public func repairRecordings() async {
        guard let options = recordingOptions else { return }
        let query = DocumentQuery(collection: .recording, filters: [.equals("recordingStatus", "IN_PROGRESS")])
        guard let documents = try? await contactCenter.store.query(query).documents else { return }
        var files = documents.compactMap { try? InfobipDate.decoder().decode(RecordingFile.self, from: $0.body) }
        var ends: [String: Double] = [:]
        for index in files.indices where !files[index].composed {
            let log = options.directory.appendingPathComponent(files[index].packetLogName).path
            do {
                let end = try PacketLogFile.repair(path: log)
                ends[files[index].id] = end
                complete(&files[index], seconds: end, channels: 1)
            } catch {
                files[index].recordingStatus = .FAILED
                files[index].failureReason = "The gateway stopped while recording, and the track is unusable: \(error)"
            }
        }
        for index in files.indices where files[index].composed {
            let tracks = files.filter {
                !$0.composed && $0.callId == files[index].callId && $0.startedAt == files[index].startedAt
            }
            let trackEnds = tracks.compactMap { ends[$0.id] }
            if tracks.count == 2, trackEnds.count == 2 {
                complete(&files[index], seconds: trackEnds.max() ?? 0, channels: 2)
            } else {
                files[index].recordingStatus = .FAILED
                files[index].failureReason = "The gateway stopped while recording, and a track is unusable."
            }
        }
        let now = clock.now()
        for var file in files {
            file.updatedAt = now
            try? await contactCenter.store.save(file)
            logger.notice(
                "recording repaired after a restart",
                metadata: ["recordingId": "\(file.id)", "status": "\(file.recordingStatus.rawValue)"])
        }
    }

    /// Deletes recordings older than the retention period, at most once an hour.
    func sweepRecordingRetention(now: Date) async {
        guard let options = recordingOptions, options.retentionDays > 0,
            now.timeIntervalSince(lastRetentionSweep) >= 3600
        else { return }
        lastRetentionSweep = now
        let cutoff = now.addingTimeInterval(-Double(options.retentionDays) * 86_400)
        do {
            let deleted = try await contactCenter.deleteRecordings(
                matching: [.atMost("startedAt", (cutoff.timeIntervalSince1970 * 1000).rounded(.down))],
                directory: options.directory, deletedBy: "RETENTION")
            if !deleted.isEmpty {
                logger.info("recordings past retention deleted", metadata: ["count": "\(deleted.count)"])
            }
        } catch {
            logger.error("retention sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
