import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes the WAV files users download from the packet logs a call recorded: each track decoded
/// onto its timeline (`RecordingTimeline`: 16 kHz mono, gaps as silence, aligned with the other
/// tracks of its recording), and the composed stereo file from two tracks. Files are written
/// beside their final name and moved into place, so a reader never sees half a file. Blocking:
/// run it off the event loops.
public enum RecordingRenderer {
    /// Samples a track ending at `end` seconds holds.
    public static func samples(until end: Double) -> Int {
        Int((end * Double(RecordingTimeline.sampleRate)).rounded())
    }

    /// Bytes of the WAV file of a track (or, with 2 `channels`, a composed file) ending at `end`.
    public static func wavBytes(until end: Double, channels: Int) -> Int { 44 + 2 * channels * samples(until: end) }

    /// Renders the track recorded in `log` into a mono WAV file at `path`; returns its samples.
    @discardableResult
    public static func renderTrack(log: String, into path: String) throws(RecordingFileError) -> Int {
        let (records, end) = try PacketLogFile.read(path: log)
        let aside = "\(path).\(UUID().uuidString.prefix(8)).part"
        let file = try WAVStreamFile(path: aside, sampleRate: RecordingTimeline.sampleRate, channels: 1)
        let timeline = RecordingTimeline()
        var pending: [Int16] = []
        pending.reserveCapacity(32768)
        var failure: RecordingFileError?
        let emit: (UnsafeBufferPointer<Int16>) -> Void = { samples in
            pending.append(contentsOf: samples)
            guard pending.count >= 16384, failure == nil else { return }
            do throws(RecordingFileError) {
                try pending.withUnsafeBufferPointer { (samples) throws(RecordingFileError) in try file.append(samples) }
            } catch { failure = error }
            pending.removeAll(keepingCapacity: true)
        }
        RecordedChunk.forEach(in: records) { codec, timestamp, arrival, payload in
            timeline.receive(codec: codec, timestamp: timestamp, arrival: arrival, payload: payload, emit: emit)
        } end: { _ in
        }
        timeline.finish(at: end, emit: emit)
        if failure == nil, !pending.isEmpty {
            do throws(RecordingFileError) {
                try pending.withUnsafeBufferPointer { (samples) throws(RecordingFileError) in try file.append(samples) }
            } catch { failure = error }
        }
        do throws(RecordingFileError) {
            if let failure { throw failure }
            try file.close()
            try place(aside, at: path)
        } catch {
            unlink(aside)
            throw error
        }
        return timeline.emitted
    }

    /// Renders the stereo file of two tracks (left, right) at `path`, rendering each track's WAV
    /// first when it is missing; returns its samples per channel.
    @discardableResult
    public static func renderComposed(
        left: (log: String, wav: String), right: (log: String, wav: String), into path: String
    ) throws(RecordingFileError) -> Int {
        for track in [left, right] where access(track.wav, F_OK) != 0 {
            try renderTrack(log: track.log, into: track.wav)
        }
        let aside = "\(path).\(UUID().uuidString.prefix(8)).part"
        do throws(RecordingFileError) {
            let file = try StereoComposer.compose(left: left.wav, right: right.wav, into: aside)
            try place(aside, at: path)
            return file.dataBytes / 4
        } catch {
            unlink(aside)
            throw error
        }
    }

    private static func place(_ aside: String, at path: String) throws(RecordingFileError) {
        guard rename(aside, path) == 0 else { throw RecordingFileError(path: path, operation: "rename", code: errno) }
    }
}
