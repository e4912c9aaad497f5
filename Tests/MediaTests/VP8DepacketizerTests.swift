import Foundation
import NIOCore
import Testing

@testable import Media

/// VP8 frames rebuilt from RTP payloads, and the WebM file made from a recorded video track.
@Suite struct VP8DepacketizerTests {
    /// A VP8 frame's bytes: a keyframe starts with the 10-byte header giving its size.
    static func frame(keyframe: Bool, length: Int, width: Int = 320, height: Int = 240) -> [UInt8] {
        var bytes = [UInt8](repeating: 0x55, count: length)
        bytes[0] = keyframe ? 0x10 : 0x11
        if keyframe {
            bytes[3] = 0x9d
            bytes[4] = 0x01
            bytes[5] = 0x2a
            bytes[6] = UInt8(width & 0xff)
            bytes[7] = UInt8(width >> 8)
            bytes[8] = UInt8(height & 0xff)
            bytes[9] = UInt8(height >> 8)
        }
        return bytes
    }

    /// RTP payloads of a frame: a descriptor with a 15-bit picture id, then up to `size` bytes.
    static func packets(_ frame: [UInt8], picture: Int, size: Int = 500) -> [[UInt8]] {
        stride(from: 0, to: frame.count, by: size).map { start in
            let descriptor: [UInt8] = [
                0x80 | (start == 0 ? 0x10 : 0), 0x80, 0x80 | UInt8(picture >> 8 & 0x7f), UInt8(picture & 0xff),
            ]
            return descriptor + frame[start..<min(frame.count, start + size)]
        }
    }

    @Test func framesAreRebuiltAndALossWaitsForTheNextKeyframe() {
        var depacketizer = VP8Depacketizer()
        var sequence: UInt16 = 65530
        var out: [VP8Frame] = []
        let frames = [
            Self.frame(keyframe: true, length: 1400), Self.frame(keyframe: false, length: 900),
            Self.frame(keyframe: false, length: 1200), Self.frame(keyframe: false, length: 600),
            Self.frame(keyframe: true, length: 1100),
        ]
        for (index, frame) in frames.enumerated() {
            let parts = Self.packets(frame, picture: index)
            for (part, payload) in parts.enumerated() {
                defer { sequence &+= 1 }
                // The second packet of the third frame is lost.
                if index == 2, part == 1 { continue }
                let made = payload.withUnsafeBytes {
                    depacketizer.push(
                        $0, timestamp: UInt32(index * 3000), sequence: sequence, marker: part == parts.count - 1)
                }
                if let made { out.append(made) }
            }
        }
        #expect(out.map(\.data) == [frames[0], frames[1], frames[4]], "frames 2 and 3 wait for the keyframe")
        #expect(out.map(\.keyframe) == [true, false, true])
        #expect(out[0].size?.width == 320 && out[0].size?.height == 240)
        #expect(depacketizer.dropped == 2)
    }

    @Test func anyPayloadIsReadWithoutTrapping() {
        var depacketizer = VP8Depacketizer()
        var generator = SystemRandomNumberGenerator()
        for index in 0..<20000 {
            let payload = (0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 0...255) }
            _ = payload.withUnsafeBytes {
                depacketizer.push(
                    $0, timestamp: UInt32(index / 3), sequence: UInt16(truncatingIfNeeded: index),
                    marker: index % 3 == 2)
            }
        }
    }

    @Test func aVideoTrackBecomesAWebMFileWithBothStreams() throws {
        let folder = NSTemporaryDirectory() + "video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var chunk = ByteBuffer()
        var sequence: UInt16 = 1
        // One second: 25 frames (a keyframe every 10) and 50 Opus packets.
        for index in 0..<25 {
            let frame = Self.frame(keyframe: index % 10 == 0, length: 800)
            let parts = Self.packets(frame, picture: index)
            for (part, payload) in parts.enumerated() {
                payload.withUnsafeBytes {
                    RecordedChunk.writePacket(
                        &chunk, codec: .vp8, timestamp: UInt32(index * 3600), sequence: sequence,
                        marker: part == parts.count - 1, arrival: 0.1 + Double(index) * 0.04, payload: $0)
                }
                sequence &+= 1
            }
        }
        for index in 0..<50 {
            [UInt8](arrayLiteral: 0xf8, 0xff, 0xfe).withUnsafeBytes {
                RecordedChunk.writePacket(
                    &chunk, codec: .opus, timestamp: UInt32(index * 960), sequence: UInt16(index),
                    arrival: 0.1 + Double(index) * 0.02, payload: $0)
            }
        }
        RecordedChunk.writeEnd(&chunk, at: 1.2)
        let log = try PacketLogFile(path: "\(folder)/v.packets")
        try log.append(chunk)
        log.close()
        let summary = try VideoRecordingRenderer.render(log: "\(folder)/v.packets", into: "\(folder)/v.webm")
        #expect(summary.videoFrames == 25 && summary.audioPackets == 50 && summary.milliseconds == 1200)
        #expect(summary.size?.width == 320 && summary.size?.height == 240)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/v.webm"))
        #expect(Array(bytes.prefix(4)) == [0x1a, 0x45, 0xdf, 0xa3], "an EBML (Matroska) file")
        #expect(bytes.range(of: Data("webm".utf8)) != nil && bytes.range(of: Data("V_VP8".utf8)) != nil)
        #expect(bytes.range(of: Data("A_OPUS".utf8)) != nil)
    }
}
