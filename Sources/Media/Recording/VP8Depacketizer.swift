/// One VP8 frame rebuilt from its RTP packets.
public struct VP8Frame: Equatable, Sendable {
    public var data: [UInt8]
    public var timestamp: UInt32
    public var keyframe: Bool
    /// The frame size a keyframe gives (nil for other frames).
    public var size: (width: Int, height: Int)? {
        guard keyframe, data.count >= 10, data[3] == 0x9d, data[4] == 0x01, data[5] == 0x2a else { return nil }
        return ((Int(data[6]) | Int(data[7]) << 8) & 0x3fff, (Int(data[8]) | Int(data[9]) << 8) & 0x3fff)
    }
}

/// Rebuilds VP8 frames from RTP payloads (RFC 7741), sans I/O: feed packets in sequence order;
/// a frame comes out when its last packet (the marker) arrives and every packet since its first
/// (S bit, partition 0) was there. After a frame with a missing packet nothing comes out until the
/// next keyframe, so a decoder never gets a frame that refers to one it did not get. Never traps
/// on any payload.
public struct VP8Depacketizer {
    private var frame: [UInt8] = []
    private var timestamp: UInt32?
    private var nextSequence: UInt16 = 0
    private var complete = false
    private var needKeyframe = true
    /// Frames dropped: incomplete, or waiting for a keyframe.
    public private(set) var dropped = 0

    public init() {}

    public mutating func push(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, sequence: UInt16, marker: Bool)
        -> VP8Frame?
    {
        guard let offset = Self.descriptorLength(payload) else { return nil }
        let first = payload[0]
        let start = first & 0x10 != 0 && first & 0x07 == 0
        if start {
            if self.timestamp != nil, !frame.isEmpty { dropped += 1 }
            frame = Array(payload[offset...])
            self.timestamp = timestamp
            complete = true
        } else if self.timestamp == timestamp, sequence == nextSequence, complete {
            frame.append(contentsOf: payload[offset...])
        } else {
            complete = false
        }
        nextSequence = sequence &+ 1
        guard marker, self.timestamp == timestamp else { return nil }
        defer {
            frame = []
            self.timestamp = nil
            complete = false
        }
        guard complete, !frame.isEmpty else {
            dropped += 1
            needKeyframe = true
            return nil
        }
        let keyframe = frame[0] & 0x01 == 0
        guard keyframe || !needKeyframe else {
            dropped += 1
            return nil
        }
        needKeyframe = false
        return VP8Frame(data: frame, timestamp: timestamp, keyframe: keyframe)
    }

    /// Bytes of the payload descriptor, nil when the payload is too short for it.
    static func descriptorLength(_ payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count >= 1 else { return nil }
        var index = 1
        if payload[0] & 0x80 != 0 {
            guard payload.count > index else { return nil }
            let extensions = payload[index]
            index += 1
            if extensions & 0x80 != 0 {
                guard payload.count > index else { return nil }
                index += payload[index] & 0x80 != 0 ? 2 : 1
            }
            if extensions & 0x40 != 0 { index += 1 }
            if extensions & 0x30 != 0 { index += 1 }
        }
        return index <= payload.count ? index : nil
    }
}
