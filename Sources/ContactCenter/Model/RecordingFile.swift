import Foundation

/// One recorded file, as `/ccaas/voice/2/recording/metadata` lists it: a participant's track
/// (`participantType` CUSTOMER or AGENT) or the composed file of a call (`composed`).
public struct RecordingFile: Persistable, Equatable {
    public static let collection = DocumentCollection.recording

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Being recorded (or written out after the call).
        case IN_PROGRESS
        case SUCCESSFUL
        /// Nothing usable was written (a full or unwritable disk); the call went on.
        case FAILED
    }

    /// A span during which recording was paused (epoch milliseconds); silence in the file.
    public struct PausedSpan: Codable, Sendable, Equatable {
        public var pausedAt: Int64
        public var resumedAt: Int64?
        public init(pausedAt: Int64, resumedAt: Int64?) {
            self.pausedAt = pausedAt
            self.resumedAt = resumedAt
        }
    }

    /// The recording id (Infobip's `recordingId`).
    public var id: String
    public var conversationId: String
    public var conferenceId: String?
    public var callId: String
    public var direction: String
    public var recordingStatus: Status
    public var composed: Bool
    public var filename: String
    /// Whole seconds, as Infobip gives it; `durationMilliseconds` is exact.
    public var duration: Int64
    public var durationMilliseconds: Int64
    public var participantId: String?
    public var participantIdentity: String?
    public var participantName: String?
    public var participantType: String?
    public var mediaType: String
    /// Epoch milliseconds.
    public var startedAt: Int64
    public var deletedAt: Int64?
    public var deletedBy: String?
    public var sftpPath: String?
    public var transferredFrom: String?
    public var transferredTo: String?
    public var transferredFromQueue: String?
    public var transferredToQueue: String?
    public var pausedSpans: [PausedSpan]
    /// Bytes of the file; why it failed, when it did.
    public var size: Int64
    public var failureReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, conversationId: String, callId: String, direction: String, composed: Bool, filename: String,
        participantId: String?, participantIdentity: String?, participantName: String?, participantType: String?,
        mediaType: String, startedAt: Date
    ) {
        self.id = id
        self.conversationId = conversationId
        self.callId = callId
        self.conferenceId = callId
        self.direction = direction
        self.recordingStatus = .IN_PROGRESS
        self.composed = composed
        self.filename = filename
        self.duration = 0
        self.durationMilliseconds = 0
        self.participantId = participantId
        self.participantIdentity = participantIdentity
        self.participantName = participantName
        self.participantType = participantType
        self.mediaType = mediaType
        self.startedAt = Int64((startedAt.timeIntervalSince1970 * 1000).rounded())
        self.pausedSpans = []
        self.size = 0
        self.createdAt = startedAt
        self.updatedAt = startedAt
    }

    /// The packet log a participant's track is recorded into while the call runs (its WAV file,
    /// `filename`, is rendered from it when first downloaded).
    public var packetLogName: String { filename + ".packets" }

    /// Infobip's file name: `<conversationId>_<IDENTITY>_<yyyyMMddHHmmss>-<recordingId>.wav` (`.webm`
    /// for a participant recorded with video), the identity being the participant's (`COMPOSED`
    /// for the composed file), kept to characters safe in a file name.
    public static func filename(
        conversationId: String, identity: String, startedAt: Date, recordingId: String, video: Bool = false
    ) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let safe = String(identity.map { $0.isLetter || $0.isNumber || "+-.".contains($0) ? $0 : "_" })
        return "\(conversationId)_\(safe)_\(formatter.string(from: startedAt))-\(recordingId).\(video ? "webm" : "wav")"
    }

    /// Whether the file is a participant's audio and video (WebM) rather than audio (WAV).
    public var isVideo: Bool { filename.hasSuffix(".webm") }

    /// The body Infobip's metadata lists (with this gateway's extensions `durationMilliseconds`,
    /// `pausedSpans`, `size` and `failureReason`).
    public var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func number(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }
        return .object([
            "recordingId": .string(id), "conversationId": .string(conversationId), "conferenceId": text(conferenceId),
            "callId": .string(callId), "direction": .string(direction),
            "recordingStatus": .string(recordingStatus.rawValue), "composed": .bool(composed),
            "filename": .string(filename), "duration": .int(duration),
            "durationMilliseconds": .int(durationMilliseconds), "participantId": text(participantId),
            "participantIdentity": text(participantIdentity), "participantName": text(participantName),
            "participantType": text(participantType), "mediaType": .string(mediaType), "startedAt": .int(startedAt),
            "deletedAt": number(deletedAt), "deletedBy": text(deletedBy), "sftpPath": text(sftpPath),
            "transferredFrom": text(transferredFrom), "transferredTo": text(transferredTo),
            "transferredFromQueue": text(transferredFromQueue), "transferredToQueue": text(transferredToQueue),
            "pausedSpans": .array(
                pausedSpans.map { .object(["pausedAt": .int($0.pausedAt), "resumedAt": number($0.resumedAt)]) }),
            "size": .int(size), "failureReason": text(failureReason),
        ])
    }
}
