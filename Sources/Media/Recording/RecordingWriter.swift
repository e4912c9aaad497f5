import Dispatch
import NIOCore

/// What a recording writer reports, on its own queue.
public enum RecordingWriterEvent: Sendable, Equatable {
    /// A track's log is complete: where the track ends (seconds from the recording's origin) and
    /// the log's size.
    case finished(fileId: String, seconds: Double, bytes: Int)
    /// A track could not be written (a full or unwritable disk); what was written stays, closed.
    case failed(fileId: String, reason: String)

    /// The file (track) the report is about.
    public var fileId: String {
        switch self {
        case .finished(let fileId, _, _), .failed(let fileId, _): fileId
        }
    }
}

/// The tracks of one recording, one per participant, each written to a packet log.
public struct RecordingFiles: Sendable, Equatable {
    public struct Track: Sendable, Equatable {
        public var fileId: String
        /// Where the track's packet log goes.
        public var path: String
        public init(fileId: String, path: String) {
            self.fileId = fileId
            self.path = path
        }
    }

    public var tracks: [Track]

    public init(tracks: [Track]) { self.tracks = tracks }
}

/// Writes recordings to disk off the media event loops: taps hand it chunks of received
/// packets, and one serial queue appends each chunk to its track's packet log (no decoding while
/// the call runs: `RecordingRenderer` makes the WAV files when they are first asked for). A disk
/// error fails that track only. What is queued counts against `budget`, so a stalled disk costs
/// dropped audio, never memory or media delay.
///
/// `@unchecked Sendable`: `tracks` is read and written only on `queue`.
public final class RecordingWriter: @unchecked Sendable {
    public let budget: RecordingBudget
    private let queue = DispatchQueue(label: "recording-writer")
    private let onEvent: @Sendable (RecordingWriterEvent) -> Void

    private final class Track {
        let fileId: String
        var log: PacketLogFile?
        var failure: String?
        init(fileId: String) { self.fileId = fileId }
    }

    private var tracks: [String: Track] = [:]

    public init(
        budget: RecordingBudget = RecordingBudget(), onEvent: @escaping @Sendable (RecordingWriterEvent) -> Void
    ) {
        self.budget = budget
        self.onEvent = onEvent
    }

    /// Creates the recording's logs and returns, per track file id, where its tap delivers.
    public func open(_ files: RecordingFiles) -> [String: @Sendable (ByteBuffer) -> Void] {
        queue.async { [self] in
            for spec in files.tracks {
                let track = Track(fileId: spec.fileId)
                do { track.log = try PacketLogFile(path: spec.path) } catch { fail(track, "\(error)") }
                tracks[spec.fileId] = track
            }
        }
        var deliveries: [String: @Sendable (ByteBuffer) -> Void] = [:]
        for spec in files.tracks {
            let fileId = spec.fileId
            deliveries[fileId] = { [self] chunk in queue.async { self.write(chunk, to: fileId) } }
        }
        return deliveries
    }

    /// Ends tracks that will get no more chunks (their taps were never installed) at `end`.
    public func end(_ fileIds: [String], at end: Double) {
        queue.async { [self] in
            for fileId in fileIds {
                var chunk = ByteBuffer()
                RecordedChunk.writeEnd(&chunk, at: end)
                budget.charge(chunk.readableBytes)
                write(chunk, to: fileId)
            }
        }
    }

    /// Waits until everything handed over so far has been written (for tests and shutdown).
    public func flush() async {
        await withCheckedContinuation { continuation in queue.async { continuation.resume() } }
    }

    private func write(_ chunk: ByteBuffer, to fileId: String) {
        defer { budget.release(chunk.readableBytes) }
        guard let track = tracks[fileId] else { return }
        if track.failure == nil, let log = track.log {
            do { try log.append(chunk) } catch { fail(track, "\(error)") }
        }
        var end: Double?
        RecordedChunk.forEach(in: chunk) { _, _, _, _ in
        } end: {
            end = $0
        }
        guard let end else { return }
        tracks[fileId] = nil
        track.log?.close()
        if track.failure == nil { onEvent(.finished(fileId: fileId, seconds: end, bytes: track.log?.bytes ?? 0)) }
    }

    private func fail(_ track: Track, _ reason: String) {
        guard track.failure == nil else { return }
        track.failure = reason
        track.log?.close()
        onEvent(.failed(fileId: track.fileId, reason: reason))
    }
}
