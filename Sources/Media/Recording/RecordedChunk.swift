import NIOCore

/// The audio codecs a recording decodes.
public enum RecordedCodec: UInt8, Sendable {
    case opus = 1
    case pcmu = 2
    case pcma = 3
    /// Video, kept as RTP payloads (RFC 7741) and rebuilt into frames when the file is made.
    case vp8 = 4

    /// The codec of an SDP encoding name (`opus`, `pcmu`, `pcma`), if a recording can decode it.
    public init?(name: String) {
        switch name.lowercased() {
        case "opus": self = .opus
        case "pcmu": self = .pcmu
        case "pcma": self = .pcma
        case "vp8": self = .vp8
        default: return nil
        }
    }

    /// The RTP clock rate of its timestamps.
    public var clockRate: Int {
        switch self {
        case .opus: 48000
        case .pcmu, .pcma: 8000
        case .vp8: 90000
        }
    }

    public var isVideo: Bool { self == .vp8 }
}

/// One record of what a recording tap hands its writer: the packets a leg received, in arrival
/// order, and the end of the track. Chunks are plain bytes so that a tap fills one preallocated
/// buffer on its event loop and hands over a whole chunk at a time.
///
/// Layout (big-endian): a packet is `1 (| 0x80 with the RTP marker bit), codec, length (UInt16),
/// RTP timestamp (UInt32), RTP sequence number (UInt16), arrival (Float64 bits, seconds since the
/// recording's origin)`, then the payload; the end is `2, 0, 0, 0, 0, end (Float64 bits)`.
public enum RecordedChunk {
    public static let headerLength = 18

    /// One packet as recorded.
    public struct Packet: Equatable, Sendable {
        public var codec: RecordedCodec
        public var timestamp: UInt32
        public var sequence: UInt16
        public var marker: Bool
        public var arrival: Double
    }

    static func writePacket(
        _ buffer: inout ByteBuffer, codec: RecordedCodec, timestamp: UInt32, sequence: UInt16 = 0,
        marker: Bool = false, arrival: Double, payload: UnsafeRawBufferPointer
    ) {
        buffer.writeInteger(UInt8(marker ? 0x81 : 1))
        buffer.writeInteger(codec.rawValue)
        buffer.writeInteger(UInt16(payload.count))
        buffer.writeInteger(timestamp)
        buffer.writeInteger(sequence)
        buffer.writeInteger(arrival.bitPattern)
        buffer.writeBytes(payload)
    }

    static func writeEnd(_ buffer: inout ByteBuffer, at end: Double) {
        buffer.writeInteger(UInt8(2))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(end.bitPattern)
    }

    /// Reads every record of a chunk, calling `body` with each audio packet's payload in place.
    /// Stops at the first malformed or cut record (a log whose writer died).
    public static func forEach(
        in chunk: ByteBuffer,
        _ body: (_ codec: RecordedCodec, _ timestamp: UInt32, _ arrival: Double, _ payload: UnsafeRawBufferPointer)
            -> Void,
        end: (Double) -> Void
    ) {
        var valid = 0
        forEachPacket(
            in: chunk, validBytes: &valid,
            { packet, payload in
                guard !packet.codec.isVideo else { return }
                body(packet.codec, packet.timestamp, packet.arrival, payload)
            }, end: end)
    }

    /// Every packet of a chunk (audio and video) with its payload in place; `validBytes` is set
    /// to the length of the whole records read.
    public static func forEachPacket(
        in chunk: ByteBuffer, validBytes: inout Int, _ body: (Packet, UnsafeRawBufferPointer) -> Void,
        end: (Double) -> Void
    ) {
        var chunk = chunk
        let start = chunk.readerIndex
        validBytes = 0
        while let kind = chunk.readInteger(as: UInt8.self), let codecValue = chunk.readInteger(as: UInt8.self),
            let length = chunk.readInteger(as: UInt16.self), let timestamp = chunk.readInteger(as: UInt32.self),
            let sequence = chunk.readInteger(as: UInt16.self), let bits = chunk.readInteger(as: UInt64.self)
        {
            let at = Double(bitPattern: bits)
            guard at.isFinite else { return }
            if kind == 2 {
                validBytes = chunk.readerIndex - start
                return end(at)
            }
            guard kind & 0x7f == 1, let codec = RecordedCodec(rawValue: codecValue),
                let payload = chunk.readSlice(length: Int(length))
            else { return }
            let packet = Packet(
                codec: codec, timestamp: timestamp, sequence: sequence, marker: kind & 0x80 != 0, arrival: at)
            payload.withUnsafeReadableBytes { body(packet, $0) }
            validBytes = chunk.readerIndex - start
        }
    }
}
