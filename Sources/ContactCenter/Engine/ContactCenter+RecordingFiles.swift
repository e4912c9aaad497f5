import Foundation

/// Recorded files' metadata: listed with Infobip's filters, read for download, deleted.
extension ContactCenter {
    /// Infobip's text filters of `/recording/metadata`, each the field of the same name.
    public static let recordingTextFilters = [
        "recordingId", "conversationId", "conferenceId", "callId", "direction", "filename", "participantId",
        "participantIdentity", "participantName", "participantType", "mediaType", "deletedBy", "transferredFrom",
        "transferredTo", "transferredFromQueue", "transferredToQueue",
    ]
    /// Numeric range filters: query parameter → (field, lower bound).
    static let recordingRangeFilters: [(String, String, Bool)] = [
        ("durationFrom", "duration", true), ("durationTo", "duration", false),
        ("startedAtFrom", "startedAt", true), ("startedAtTo", "startedAt", false),
        ("deletedAtFrom", "deletedAt", true), ("deletedAtTo", "deletedAt", false),
    ]
    static let recordingSortFields: Set<String> = [
        "recordingId", "conversationId", "callId", "direction", "recordingStatus", "filename", "duration",
        "participantIdentity", "participantName", "participantType", "mediaType", "startedAt", "deletedAt",
    ]

    /// `GET /ccaas/voice/2/recording/metadata`: `{elements, total, totalPages}`. Every parameter
    /// is checked; a bad one is a 400 naming it.
    public func recordingMetadata(_ parameters: [String: String], by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may list recordings.")
        }
        var violations: [Violation] = []
        var filters: [DocumentFilter] = []
        for name in Self.recordingTextFilters {
            guard let value = parameters[name] else { continue }
            filters.append(name == "recordingId" ? .idIn([value]) : .equals(name, value))
        }
        for (name, field, lower) in Self.recordingRangeFilters {
            guard let text = parameters[name] else { continue }
            guard let value = Int64(text), value >= 0 else {
                violations.append(Violation(field: name, message: "must be a whole number of at least 0"))
                continue
            }
            filters.append(lower ? .atLeast(field, Double(value)) : .atMost(field, Double(value)))
        }
        let page = Int(parameters["page"] ?? "0") ?? -1
        if page < 0 { violations.append(Violation(field: "page", message: "must be a whole number of at least 0")) }
        let size = Int(parameters["size"] ?? "20") ?? 0
        if !(1...999).contains(size) {
            violations.append(Violation(field: "size", message: "must be between 1 and 999"))
        }
        let sortBy = parameters["sortBy"] ?? "startedAt"
        if !Self.recordingSortFields.contains(sortBy) {
            violations.append(
                Violation(
                    field: "sortBy",
                    message: "must be one of \(Self.recordingSortFields.sorted().joined(separator: ", "))"))
        }
        let direction = (parameters["sortDirection"] ?? "DESC").uppercased()
        if direction != "ASC", direction != "DESC" {
            violations.append(Violation(field: "sortDirection", message: "must be ASC or DESC"))
        }
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let (documents, total) = try await store.query(
            DocumentQuery(
                collection: .recording, filters: filters, orderBy: sortBy == "recordingId" ? "id" : sortBy,
                descending: direction == "DESC", offset: page * size, limit: size))
        let files = try documents.map { try InfobipDate.decoder().decode(RecordingFile.self, from: $0.body) }
        return .object([
            "elements": .array(files.map(\.json)), "total": .int(Int64(total)),
            "totalPages": .int(Int64((total + size - 1) / size)),
        ])
    }

    /// A recorded file that can be downloaded: not deleted. Infobip's 404 otherwise.
    public func downloadableRecording(_ recordingId: String, by actor: ActingParty) async throws -> RecordingFile {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may download recordings.")
        }
        guard let file = try await store.load(RecordingFile.self, id: recordingId), file.deletedAt == nil else {
            throw ContactCenterError.absent("Recording file \(recordingId) not found!")
        }
        return file
    }

    /// The two tracks a composed file is made of: the customer's (left) and the agent's (right),
    /// recorded together with it. Empty when one is missing.
    public func recordingTracks(of composed: RecordingFile) async throws -> [RecordingFile] {
        let documents = try await store.query(
            DocumentQuery(
                collection: .recording,
                filters: [.equals("callId", composed.callId), .equalsBool("composed", false)])
        ).documents
        let tracks = try documents.map { try InfobipDate.decoder().decode(RecordingFile.self, from: $0.body) }
            .filter { $0.startedAt == composed.startedAt }
        guard let customer = tracks.first(where: { $0.participantType == "CUSTOMER" }),
            let agent = tracks.first(where: { $0.participantType == "AGENT" })
        else { return [] }
        return [customer, agent]
    }

    /// Deletes recorded files (one, or every file of a call) from `directory`; their metadata
    /// stays, with `deletedAt` and `deletedBy`. Returns the files deleted now.
    public func deleteRecordings(
        fileId: String? = nil, callId: String? = nil, directory: URL, by actor: ActingParty
    ) async throws -> [RecordingFile] {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete recordings.")
        }
        var filters: [DocumentFilter] = []
        if let fileId { filters.append(.idIn([fileId])) }
        if let callId { filters.append(.equals("callId", callId)) }
        let deletedBy: String =
            switch actor {
            case .integration: "API"
            case .agent(let agent): agent.id
            }
        let files = try await deleteRecordings(matching: filters, directory: directory, deletedBy: deletedBy)
        guard !files.isEmpty else {
            throw ContactCenterError.absent(
                fileId.map { "Recording file \($0) not found!" } ?? "No recordings found for call \(callId ?? "")!")
        }
        return files
    }

    /// Deletes the files of every recording matching `filters` not deleted yet; their metadata
    /// stays, with `deletedAt` and `deletedBy`.
    public func deleteRecordings(matching filters: [DocumentFilter], directory: URL, deletedBy: String) async throws
        -> [RecordingFile]
    {
        let query = DocumentQuery(collection: .recording, filters: filters + [.isNull("deletedAt")])
        var files = try await store.query(query).documents.map {
            try InfobipDate.decoder().decode(RecordingFile.self, from: $0.body)
        }
        let at = now()
        for index in files.indices {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(files[index].filename))
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(files[index].packetLogName))
            files[index].deletedAt = Int64((at.timeIntervalSince1970 * 1000).rounded())
            files[index].deletedBy = deletedBy
            files[index].updatedAt = at
            try await store.save(files[index])
        }
        return files
    }
}
