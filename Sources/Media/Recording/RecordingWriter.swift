import Dispatch
import NIOCore

/// What a recording writer reports, on its own queue.
public enum RecordingWriterEvent: Sendable, Equatable {
    /// A file is complete: its duration and size.
    case finished(fileId: String, durationMilliseconds: Int, bytes: Int)
    /// A file could not be written (a full or unwritable disk); what was written stays, closed.
    case failed(fileId: String, reason: String)
}

/// The files of one recording: one mono track per participant, and optionally a stereo file
/// composed from two of them (the first on the left channel) once both are complete.
public struct RecordingFiles: Sendable, Equatable {
    public struct Track: Sendable, Equatable {
        public var fileId: String
        public var path: String
        public init(fileId: String, path: String) {
            self.fileId = fileId
            self.path = path
        }
    }

    public var tracks: [Track]
    public var composed: Track?

    public init(tracks: [Track], composed: Track? = nil) {
        self.tracks = tracks
        self.composed = composed
    }
}

/// Writes recordings to disk off the media event loops: taps hand it chunks of received
/// packets, one serial queue decodes them onto each track's timeline (`RecordingTimeline`) and
/// appends 16 kHz PCM to the track's WAV file. A disk error fails that file only. What is queued
/// counts against `budget`, so a stalled disk costs dropped audio, never memory or media delay.
///
/// `@unchecked Sendable`: `tracks` and `compositions` are read and written only on `queue`.
public final class RecordingWriter: @unchecked Sendable {
    public let budget: RecordingBudget
    private let queue = DispatchQueue(label: "recording-writer")
    private let onEvent: @Sendable (RecordingWriterEvent) -> Void

    private final class Track {
        let fileId: String
        var file: WAVStreamFile?
        let timeline = RecordingTimeline()
        var failure: String?
        var ended = false
        init(fileId: String) { self.fileId = fileId }
    }

    private struct Composition {
        let left: String
        let right: String
        let output: RecordingFiles.Track
    }

    private var tracks: [String: Track] = [:]
    private var compositions: [Composition] = []
    /// The paths of tracks whose files are complete, kept until a composition needing them ran.
    private var completed: [String: (path: String, ok: Bool)] = [:]

    public init(
        budget: RecordingBudget = RecordingBudget(), onEvent: @escaping @Sendable (RecordingWriterEvent) -> Void
    ) {
        self.budget = budget
        self.onEvent = onEvent
    }

    /// Creates the recording's files and returns, per track file id, where its tap delivers.
    public func open(_ files: RecordingFiles) -> [String: @Sendable (ByteBuffer) -> Void] {
        queue.async { [self] in
            for spec in files.tracks {
                let track = Track(fileId: spec.fileId)
                do {
                    track.file = try WAVStreamFile(
                        path: spec.path, sampleRate: RecordingTimeline.sampleRate, channels: 1)
                } catch {
                    track.failure = "\(error)"
                    onEvent(.failed(fileId: spec.fileId, reason: "\(error)"))
                }
                tracks[spec.fileId] = track
            }
            if let composed = files.composed, files.tracks.count >= 2 {
                compositions.append(
                    Composition(left: files.tracks[0].fileId, right: files.tracks[1].fileId, output: composed))
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
        guard let track = tracks[fileId], !track.ended else { return }
        let emit: (UnsafeBufferPointer<Int16>) -> Void = { samples in
            guard track.failure == nil, let file = track.file else { return }
            do { try file.append(samples) } catch { self.fail(track, "\(error)") }
        }
        var endAt: Double?
        RecordedChunk.forEach(in: chunk) { codec, timestamp, arrival, payload in
            track.timeline.receive(codec: codec, timestamp: timestamp, arrival: arrival, payload: payload, emit: emit)
        } end: {
            endAt = $0
        }
        if let endAt {
            track.timeline.finish(at: endAt, emit: emit)
            close(track)
        } else if track.failure == nil {
            do { try track.file?.commit() } catch { fail(track, "\(error)") }
        }
    }

    private func fail(_ track: Track, _ reason: String) {
        guard track.failure == nil else { return }
        track.failure = reason
        try? track.file?.close()
        onEvent(.failed(fileId: track.fileId, reason: reason))
    }

    private func close(_ track: Track) {
        track.ended = true
        tracks[track.fileId] = nil
        let path = track.file?.path ?? ""
        if track.failure == nil, let file = track.file {
            do {
                try file.close()
                onEvent(
                    .finished(
                        fileId: track.fileId,
                        durationMilliseconds: file.dataBytes / 2 * 1000 / RecordingTimeline.sampleRate,
                        bytes: file.dataBytes + 44))
            } catch { fail(track, "\(error)") }
        }
        completed[track.fileId] = (path, track.failure == nil)
        composeReady()
    }

    /// Runs each composition whose two tracks are complete.
    private func composeReady() {
        let ready = compositions.filter { completed[$0.left] != nil && completed[$0.right] != nil }
        compositions.removeAll { completed[$0.left] != nil && completed[$0.right] != nil }
        for composition in ready {
            let (left, right) = (completed[composition.left]!, completed[composition.right]!)
            let output = composition.output
            if left.ok, right.ok {
                do {
                    let file = try StereoComposer.compose(left: left.path, right: right.path, into: output.path)
                    onEvent(
                        .finished(
                            fileId: output.fileId,
                            durationMilliseconds: file.dataBytes / 4 * 1000 / RecordingTimeline.sampleRate,
                            bytes: file.dataBytes + 44))
                } catch {
                    onEvent(.failed(fileId: output.fileId, reason: "\(error)"))
                }
            } else {
                onEvent(.failed(fileId: output.fileId, reason: "a participant's file failed"))
            }
        }
        for id in Array(completed.keys) where !compositions.contains(where: { $0.left == id || $0.right == id }) {
            completed[id] = nil
        }
    }
}
