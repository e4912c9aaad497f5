import ContactCenter
import Foundation
import Media
import NIOPosix

/// Where a gateway keeps recordings, and for how long.
public struct RecordingOptions: Sendable, Equatable {
    public var directory: URL
    /// Files older than this many days are deleted (0: kept until deleted over REST).
    public var retentionDays: Int

    public init(directory: URL, retentionDays: Int = 0) {
        self.directory = directory
        self.retentionDays = retentionDays
    }
}

/// A composed file waiting for its tracks: each track's end (nil when it failed), once known.
struct PendingComposition {
    var agentId: String
    var tracks: [String]
    var outcomes: [String: Double?] = [:]
}

/// A call's recording in progress: the customer's and the agent's files (and the composed one).
struct ActiveRecording {
    var agentId: String
    var files: [RecordingFile]
    var paused = false
}

/// Recording calls: started when the session says the call is established (or moved to
/// another agent) and the agent's recording configuration says so; the media graph taps the
/// customer's and the agent's legs; the writer's reports make the files READY or FAILED.
extension CallCenter {
    func recording(_ cue: RecordingCue, callId: String) async {
        switch cue {
        case .established:
            guard activeRecordings[callId] == nil else { return }
            await startRecording(callId, transferredFrom: nil)
        case .transferred(let from, let fromQueue):
            stopRecording(callId)
            await startRecording(callId, transferredFrom: (from, fromQueue))
        }
    }

    private func startRecording(_ callId: String, transferredFrom: (agent: String, queue: String?)?) async {
        guard let options = recordingOptions, let writer = recordingWriter, let session = sessions[callId],
            let state = mediaStates[callId], let agentId = session.record.agentId
        else { return }
        let policy: RecordingPolicy?
        do { policy = try await contactCenter.recordingPolicy(agentId: agentId) } catch {
            return logger.error("recording configuration unreadable", metadata: ["error": "\(error)"])
        }
        guard let policy, policy.records(inbound: session.isInbound) else { return }
        startRecordingPump()
        let record = session.record
        let now = clock.now()
        let customer = session.party(session.customerSide) ?? record.callee ?? ""
        let agentName = try? await contactCenter.agent(agentId).agent.displayName
        let legNames = [session.customerSide.legName, session.agentSide.legName]
        // With AUDIO_AND_VIDEO, the WebRTC legs that carry VP8 video are recorded with it (WebM);
        // the composed file is audio.
        let videoLegs =
            policy.mediaType == "AUDIO_AND_VIDEO" && state.video
            ? (try? await state.graph.videoLegs(legNames)) ?? [] : []
        func file(identity: String?, name: String?, type: String?, video: Bool = false) -> RecordingFile {
            let id = UUID().uuidString.lowercased()
            var file = RecordingFile(
                id: id, conversationId: record.conversationId, callId: callId, direction: record.direction,
                composed: type == nil,
                filename: RecordingFile.filename(
                    conversationId: record.conversationId, identity: identity ?? "COMPOSED", startedAt: now,
                    recordingId: id, video: video),
                participantId: identity, participantIdentity: identity, participantName: name, participantType: type,
                mediaType: video ? "AUDIO_AND_VIDEO" : "AUDIO", startedAt: now)
            if let transferredFrom {
                file.transferredFrom = transferredFrom.agent
                file.transferredTo = agentId
                file.transferredFromQueue = transferredFrom.queue
                file.transferredToQueue = record.queueId
            }
            return file
        }
        let customerFile = file(
            identity: customer, name: customer, type: "CUSTOMER", video: videoLegs.contains(legNames[0]))
        let agentFile = file(identity: agentId, name: agentName, type: "AGENT", video: videoLegs.contains(legNames[1]))
        let composed = policy.autoCompose ? file(identity: nil, name: nil, type: nil) : nil
        var files = [customerFile, agentFile] + (composed.map { [$0] } ?? [])
        do { try FileManager.default.createDirectory(at: options.directory, withIntermediateDirectories: true) } catch {
            return logger.error("recording not started", metadata: ["callId": "\(callId)", "error": "\(error)"])
        }
        func track(_ file: RecordingFile) -> RecordingFiles.Track {
            .init(fileId: file.id, path: options.directory.appendingPathComponent(file.packetLogName).path)
        }
        // The taps go in before the files are stored, so that no more of the call than the policy
        // lookup goes unrecorded; the writer's reports wait until the files are stored.
        let deliveries = writer.open(RecordingFiles(tracks: [track(customerFile), track(agentFile)]))
        for file in [customerFile, agentFile] { pendingRecordingFiles[file.id] = agentId }
        if let composed {
            pendingCompositions[composed.id] = PendingComposition(
                agentId: agentId, tracks: [customerFile.id, agentFile.id])
        }
        do {
            try await state.graph.startRecording(
                [legNames[0]: deliveries[customerFile.id]!, legNames[1]: deliveries[agentFile.id]!],
                video: videoLegs, budget: writer.budget)
        } catch {
            // The legs cannot be recorded (a codec a recording cannot decode), or the call ended
            // while the recording was being set up: the files fail.
            let reason =
                sessions[callId] == nil ? "The call ended before its recording started." : "\(error)"
            writer.end([customerFile.id, agentFile.id], at: 0)
            for index in files.indices {
                pendingRecordingFiles[files[index].id] = nil
                pendingCompositions[files[index].id] = nil
                files[index].recordingStatus = .FAILED
                files[index].failureReason = reason
                try? await contactCenter.store.save(files[index])
            }
            publishRecording(.CALL_RECORDING_FAILED, callId: callId, agentId: agentId, files: files)
            return
        }
        let ids = Set(files.map(\.id))
        unstoredRecordingFiles.formUnion(ids)
        do {
            for file in files { try await contactCenter.store.save(file) }
        } catch {
            logger.error("recording not stored", metadata: ["callId": "\(callId)", "error": "\(error)"])
            for file in files {
                pendingRecordingFiles[file.id] = nil
                pendingCompositions[file.id] = nil
            }
            if sessions[callId] != nil { mediaStates[callId]?.graph.stopRecording() }
            return await releaseRecordingReports(of: ids)
        }
        for file in files where file.isVideo && policy.videoDownloadPreparation { preparedVideos.insert(file.id) }
        publishRecording(.CALL_RECORDING_STARTED, callId: callId, agentId: agentId, files: files)
        if sessions[callId] == nil || activeRecordings[callId] != nil {
            // The call ended while the recording was set up (the graph's close ended its tracks),
            // or moved to another agent whose recording replaced these taps (ending their tracks).
            for file in files { stoppedRecordingFiles[file.id] = file }
            publishRecording(.CALL_RECORDING_STOPPED, callId: callId, agentId: agentId, files: files)
        } else {
            activeRecordings[callId] = ActiveRecording(agentId: agentId, files: files)
            logger.info("recording", metadata: ["callId": "\(callId)", "agentId": "\(agentId)"])
        }
        await releaseRecordingReports(of: ids)
    }

    /// Ends the call's recording (the writer finishes the files and reports them).
    func stopRecording(_ callId: String) {
        guard var active = activeRecordings.removeValue(forKey: callId) else { return }
        mediaStates[callId]?.graph.stopRecording()
        if active.paused { closePausedSpans(&active) }
        for file in active.files { stoppedRecordingFiles[file.id] = file }
        publishRecording(.CALL_RECORDING_STOPPED, callId: callId, agentId: active.agentId, files: active.files)
    }

    /// Pauses the recording of the conversation's call (the span is silence, listed in each
    /// file's `pausedSpans`) or resumes it; returns the files. Throws `ContactCenterError`: 412
    /// when the conversation has no call, 409 when its call is not recorded, 403 when `actor` is
    /// an agent other than the call's, not a supervisor.
    public func setRecordingPaused(_ paused: Bool, conversationId: String, by actor: ActingParty) async throws
        -> [RecordingFile]
    {
        guard let callId = sessions.first(where: { $0.value.record.conversationId == conversationId })?.key else {
            throw ContactCenterError.preconditionFailed("No call for conversation \(conversationId).")
        }
        return try await setRecordingPaused(paused, callId: callId, by: actor)
    }

    /// As above, for a call by its id (signaling `call.recording`).
    public func setRecordingPaused(_ paused: Bool, callId: String, by actor: ActingParty) async throws
        -> [RecordingFile]
    {
        guard sessions[callId] != nil else { throw ContactCenterError.preconditionFailed("No call \(callId).") }
        guard var active = activeRecordings[callId] else {
            throw ContactCenterError.conflict("The call \(callId) is not being recorded.")
        }
        if case .agent(let agent) = actor, agent.id != active.agentId, agent.role != .SUPERVISOR {
            throw ContactCenterError.forbidden("Only the call's agent or a supervisor may pause its recording.")
        }
        guard active.paused != paused else { return active.files }
        mediaStates[callId]?.graph.setRecordingPaused(paused)
        active.paused = paused
        if paused {
            let at = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
            for index in active.files.indices {
                active.files[index].pausedSpans.append(RecordingFile.PausedSpan(pausedAt: at, resumedAt: nil))
            }
        } else {
            closePausedSpans(&active)
        }
        activeRecordings[callId] = active
        // Only the spans change in the store: a file may have failed meanwhile (a full disk).
        for file in active.files {
            guard var stored = try? await contactCenter.store.load(RecordingFile.self, id: file.id) else { continue }
            stored.pausedSpans = file.pausedSpans
            try? await contactCenter.store.save(stored)
        }
        return active.files
    }

    private func closePausedSpans(_ active: inout ActiveRecording) {
        let at = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
        for index in active.files.indices {
            guard let last = active.files[index].pausedSpans.indices.last,
                active.files[index].pausedSpans[last].resumedAt == nil
            else { continue }
            active.files[index].pausedSpans[last].resumedAt = at
        }
    }

    private func startRecordingPump() {
        guard !recordingPumpStarted else { return }
        recordingPumpStarted = true
        let reports = recordingReports
        Task { [weak self] in
            for await report in reports { await self?.recordingWritten(report) }
        }
    }

    /// The writer finished a track (or gave up on it); a composed file is ready once both of
    /// its tracks are.
    func recordingWritten(_ report: RecordingWriterEvent) async {
        if unstoredRecordingFiles.contains(report.fileId) { return parkedRecordingReports.append(report) }
        let fileId = report.fileId
        var seconds: Double?
        if case .finished(_, let end, _) = report { seconds = end }
        guard let agentId = pendingRecordingFiles.removeValue(forKey: fileId),
            var file = try? await contactCenter.store.load(RecordingFile.self, id: fileId)
        else { return }
        // Pauses closed when the recording stopped (the stored file may not have them yet).
        if let stopped = stoppedRecordingFiles.removeValue(forKey: fileId) { file.pausedSpans = stopped.pausedSpans }
        if case .failed(_, let reason) = report {
            file.recordingStatus = .FAILED
            file.failureReason = reason
            logger.error("recording failed", metadata: ["callId": "\(file.callId)", "reason": "\(reason)"])
        } else if let seconds {
            complete(&file, seconds: seconds, channels: 1)
            if file.isVideo { await prepareVideo(&file) }
        }
        await settle(file, agentId: agentId)
        for (composedId, var composition) in pendingCompositions where composition.tracks.contains(fileId) {
            composition.outcomes[fileId] = seconds.map { .some($0) } ?? .some(nil)
            pendingCompositions[composedId] = composition
            guard composition.outcomes.count == composition.tracks.count,
                var composed = try? await contactCenter.store.load(RecordingFile.self, id: composedId)
            else { continue }
            pendingCompositions[composedId] = nil
            if let stopped = stoppedRecordingFiles.removeValue(forKey: composedId) {
                composed.pausedSpans = stopped.pausedSpans
            }
            let ends = composition.outcomes.values.compactMap { $0 }
            if ends.count == composition.tracks.count {
                complete(&composed, seconds: ends.max() ?? 0, channels: 2)
            } else {
                composed.recordingStatus = .FAILED
                composed.failureReason = "A participant's track could not be recorded."
            }
            await settle(composed, agentId: composition.agentId)
        }
    }

    /// The files are stored (or could not be): the reports that came meanwhile are handled.
    private func releaseRecordingReports(of ids: Set<String>) async {
        unstoredRecordingFiles.subtract(ids)
        let released = parkedRecordingReports.filter { ids.contains($0.fileId) }
        parkedRecordingReports.removeAll { ids.contains($0.fileId) }
        for report in released { await recordingWritten(report) }
    }

    /// A file ready: its duration and the size of its WAV file (made when first downloaded; a
    /// video file's size is known once it is made).
    func complete(_ file: inout RecordingFile, seconds: Double, channels: Int) {
        file.recordingStatus = .SUCCESSFUL
        file.durationMilliseconds = Int64((seconds * 1000).rounded())
        file.duration = Int64(seconds.rounded())
        file.size = file.isVideo ? 0 : Int64(RecordingRenderer.wavBytes(until: seconds, channels: channels))
    }

    /// With the account's `videoDownloadPreparation`, a video file is made as soon as its track
    /// is complete (on NIO's blocking pool), so its size is known and its download is immediate.
    private func prepareVideo(_ file: inout RecordingFile) async {
        guard preparedVideos.remove(file.id) != nil, let options = recordingOptions else { return }
        let log = options.directory.appendingPathComponent(file.packetLogName).path
        let path = options.directory.appendingPathComponent(file.filename).path
        do {
            try await NIOThreadPool.singleton.runIfActive {
                _ = try VideoRecordingRenderer.render(log: log, into: path)
            }
            file.size = Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        } catch {
            logger.error("video recording not prepared", metadata: ["recordingId": "\(file.id)", "error": "\(error)"])
        }
    }

    private func settle(_ file: RecordingFile, agentId: String?) async {
        var file = file
        file.updatedAt = clock.now()
        try? await contactCenter.store.save(file)
        publishRecording(
            file.recordingStatus == .SUCCESSFUL ? .CALL_RECORDING_READY : .CALL_RECORDING_FAILED, callId: file.callId,
            agentId: agentId, files: [file])
    }

    private func publishRecording(_ type: RecordingEvent.Kind, callId: String, agentId: String?, files: [RecordingFile])
    {
        contactCenter.events.publish(
            .recording(RecordingEvent(type: type, callId: callId, agentId: agentId, files: files, at: clock.now())))
    }
}
