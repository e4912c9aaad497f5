import Foundation
import NIOCore
import WebM

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a participant's video file (WebM: the Opus audio and the VP8 video as received, no
/// re-encoding) from the packet log of a track recorded with video. Video packets are put back
/// in sequence order and rebuilt into frames (`VP8Depacketizer`, from the first keyframe on);
/// each stream's RTP timestamps are anchored to the arrival clock every track of the recording
/// shares (again when a stream jumps), so audio and video stay in step. Blocking: run it off the
/// event loops.
public enum VideoRecordingRenderer {
    public struct Summary: Sendable {
        public var videoFrames: Int
        public var audioPackets: Int
        public var size: (width: Int, height: Int)?
        public var milliseconds: Int
    }

    /// Renders the log into a WebM file at `path` (written aside, then moved into place).
    @discardableResult
    public static func render(log: String, into path: String) throws -> Summary {
        let (records, end) = try PacketLogFile.read(path: log)
        var audio: [(ms: Int64, payload: [UInt8])] = []
        var video: [(sequence: Int64, packet: RecordedChunk.Packet, payload: [UInt8])] = []
        var audioClock = Anchor()
        var lastSequence: Int64?
        var valid = 0
        RecordedChunk.forEachPacket(in: records, validBytes: &valid) { packet, payload in
            if packet.codec == .opus {
                audio.append((audioClock.milliseconds(packet), Array(payload)))
            } else if packet.codec == .vp8 {
                // Unwrapped sequence numbers: the nearest to the previous packet's.
                let previous = lastSequence ?? Int64(packet.sequence)
                let delta = Int64(Int16(bitPattern: packet.sequence &- UInt16(truncatingIfNeeded: previous)))
                let sequence = previous + delta
                lastSequence = sequence
                video.append((sequence, packet, Array(payload)))
            }
        } end: { _ in
        }
        audio.sort { $0.ms < $1.ms }
        video.sort { $0.sequence < $1.sequence }
        var depacketizer = VP8Depacketizer()
        var videoClock = Anchor()
        var frames: [(ms: Int64, frame: VP8Frame)] = []
        var seen = Set<Int64>()
        for item in video where seen.insert(item.sequence).inserted {
            let frame = item.payload.withUnsafeBytes {
                depacketizer.push(
                    $0, timestamp: item.packet.timestamp, sequence: item.packet.sequence, marker: item.packet.marker)
            }
            if let frame { frames.append((videoClock.milliseconds(item.packet), frame)) }
        }
        let size = frames.lazy.compactMap(\.frame.size).first
        let aside = "\(path).\(UUID().uuidString.prefix(8)).part"
        do {
            let file = try WebMFile(
                path: aside, audioChannels: audio.isEmpty ? nil : 1, video: size.map { ($0.width, $0.height) })
            var lastAudio = Int64.min
            var lastVideo = Int64.min
            var a = 0
            var v = 0
            var written = (audio: 0, video: 0)
            while a < audio.count || (size != nil && v < frames.count) {
                let takeAudio = v >= frames.count || size == nil || (a < audio.count && audio[a].ms <= frames[v].ms)
                if takeAudio {
                    if audio[a].ms > lastAudio {
                        try audio[a].payload.withUnsafeBytes { try file.writeAudio($0, milliseconds: audio[a].ms) }
                        lastAudio = audio[a].ms
                        written.audio += 1
                    }
                    a += 1
                } else {
                    if frames[v].ms > lastVideo {
                        try frames[v].frame.data.withUnsafeBytes {
                            try file.writeVideo($0, milliseconds: frames[v].ms, keyframe: frames[v].frame.keyframe)
                        }
                        lastVideo = frames[v].ms
                        written.video += 1
                    }
                    v += 1
                }
            }
            try file.close()
            guard rename(aside, path) == 0 else {
                throw RecordingFileError(path: path, operation: "rename", code: errno)
            }
            return Summary(
                videoFrames: written.video, audioPackets: written.audio, size: size,
                milliseconds: Int((end * 1000).rounded()))
        } catch {
            unlink(aside)
            throw error
        }
    }

    /// A stream's RTP clock anchored to the shared arrival clock at its first packet, and again
    /// when its timestamps jump more than a second away from the arrivals.
    struct Anchor {
        var arrival = 0.0
        var timestamp: UInt32?

        mutating func milliseconds(_ packet: RecordedChunk.Packet) -> Int64 {
            let rate = Double(packet.codec.clockRate)
            if let timestamp {
                let at = arrival + Double(Int32(bitPattern: packet.timestamp &- timestamp)) / rate
                if abs(at - packet.arrival) <= 1 { return Int64((at * 1000).rounded()) }
            }
            arrival = packet.arrival
            timestamp = packet.timestamp
            return Int64((packet.arrival * 1000).rounded())
        }
    }
}
