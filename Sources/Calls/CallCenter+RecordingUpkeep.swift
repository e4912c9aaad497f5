import ContactCenter
import Foundation
import Media

/// Recordings across restarts and time: files a stopped gateway left half-written are repaired
/// at the next start, and files past the retention period are deleted.
extension CallCenter {
    /// Files still IN_PROGRESS (the previous process died, or was stopped, while writing them):
    /// each participant's file gets a valid header and its true duration and becomes SUCCESSFUL
    /// (FAILED when nothing usable is there); a composed file is made again from its two tracks.
    public func repairRecordings() async {
        guard let options = recordingOptions else { return }
        let query = DocumentQuery(collection: .recording, filters: [.equals("recordingStatus", "IN_PROGRESS")])
        guard let documents = try? await contactCenter.store.query(query).documents else { return }
        var files = documents.compactMap { try? InfobipDate.decoder().decode(RecordingFile.self, from: $0.body) }
        let path = { (file: RecordingFile) in options.directory.appendingPathComponent(file.filename).path }
        for index in files.indices where !files[index].composed {
            do {
                let milliseconds = try WAVStreamFile.repair(path: path(files[index]))
                files[index].recordingStatus = .SUCCESSFUL
                files[index].durationMilliseconds = Int64(milliseconds)
                files[index].duration = Int64((Double(milliseconds) / 1000).rounded())
                files[index].size = Int64(
                    (try? FileManager.default.attributesOfItem(atPath: path(files[index]))[.size] as? Int) ?? 0)
            } catch {
                files[index].recordingStatus = .FAILED
                files[index].failureReason = "The gateway stopped while recording, and the file is unusable: \(error)"
            }
        }
        for index in files.indices where files[index].composed {
            let tracks = files.filter {
                !$0.composed && $0.callId == files[index].callId && $0.startedAt == files[index].startedAt
            }
            let customer = tracks.first { $0.participantType == "CUSTOMER" }
            let agent = tracks.first { $0.participantType == "AGENT" }
            do {
                guard let customer, let agent, customer.recordingStatus == .SUCCESSFUL,
                    agent.recordingStatus == .SUCCESSFUL
                else { throw CancellationError() }
                let file = try StereoComposer.compose(
                    left: path(customer), right: path(agent), into: path(files[index]))
                files[index].recordingStatus = .SUCCESSFUL
                files[index].durationMilliseconds = Int64(file.dataBytes / 4 * 1000 / file.sampleRate)
                files[index].duration = Int64((Double(files[index].durationMilliseconds) / 1000).rounded())
                files[index].size = Int64(file.dataBytes + 44)
            } catch {
                files[index].recordingStatus = .FAILED
                files[index].failureReason =
                    "The gateway stopped while recording, and the tracks could not be composed."
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
