import NIOCore

/// The audio codecs a recording decodes.
public enum RecordedCodec: UInt8, Sendable {
    case opus = 1
    case pcmu = 2
    case pcma = 3

    /// The codec of an SDP encoding name (`opus`, `pcmu`, `pcma`), if a recording can decode it.
    public init?(name: String) {
        switch name.lowercased() {
        case "opus": self = .opus
        case "pcmu": self = .pcmu
        case "pcma": self = .pcma
        default: return nil
        }
    }

    /// The RTP clock rate of its timestamps.
    public var clockRate: Int { self == .opus ? 48000 : 8000 }
}

/// One record of what a recording tap hands its writer: the packets a leg received, in arrival
/// order, and the end of the track. Chunks are plain bytes so that a tap fills one preallocated
/// buffer on its event loop and hands over a whole chunk at a time.
///
/// Layout (big-endian): a packet is `1, codec, length (UInt16), RTP timestamp (UInt32), arrival
/// (Float64 bits, seconds since the recording's origin)`, then the payload; the end is `2, 0,
/// 0 (UInt16), 0 (UInt32), end (Float64 bits)`.
public enum RecordedChunk {
    public static let headerLength = 16

    public enum Record: Equatable, Sendable {
        case packet(codec: RecordedCodec, timestamp: UInt32, arrival: Double, payload: [UInt8])
        case end(at: Double)
    }

    static func writePacket(
        _ buffer: inout ByteBuffer, codec: RecordedCodec, timestamp: UInt32, arrival: Double,
        payload: UnsafeRawBufferPointer
    ) {
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(codec.rawValue)
        buffer.writeInteger(UInt16(payload.count))
        buffer.writeInteger(timestamp)
        buffer.writeInteger(arrival.bitPattern)
        buffer.writeBytes(payload)
    }

    static func writeEnd(_ buffer: inout ByteBuffer, at end: Double) {
        buffer.writeInteger(UInt8(2))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(end.bitPattern)
    }

    /// Reads every record of a chunk, calling `body` with each packet's payload in place.
    /// Stops at the first malformed or cut record (a log whose writer died).
    public static func forEach(
        in chunk: ByteBuffer,
        _ body: (_ codec: RecordedCodec, _ timestamp: UInt32, _ arrival: Double, _ payload: UnsafeRawBufferPointer)
            -> Void,
        end: (Double) -> Void
    ) {
        var valid = 0
        forEach(in: chunk, validBytes: &valid, body, end: end)
    }

    /// As above; `validBytes` is set to the length of the whole records read.
    public static func forEach(
        in chunk: ByteBuffer, validBytes: inout Int,
        _ body: (_ codec: RecordedCodec, _ timestamp: UInt32, _ arrival: Double, _ payload: UnsafeRawBufferPointer)
            -> Void,
        end: (Double) -> Void
    ) {
        var chunk = chunk
        let start = chunk.readerIndex
        validBytes = 0
        while let kind = chunk.readInteger(as: UInt8.self), let codecValue = chunk.readInteger(as: UInt8.self),
            let length = chunk.readInteger(as: UInt16.self), let timestamp = chunk.readInteger(as: UInt32.self),
            let bits = chunk.readInteger(as: UInt64.self)
        {
            let at = Double(bitPattern: bits)
            guard at.isFinite else { return }
            if kind == 2 {
                validBytes = chunk.readerIndex - start
                return end(at)
            }
            guard kind == 1, let codec = RecordedCodec(rawValue: codecValue),
                let payload = chunk.readSlice(length: Int(length))
            else { return }
            payload.withUnsafeReadableBytes { body(codec, timestamp, at, $0) }
            validBytes = chunk.readerIndex - start
        }
    }

    /// Every record of a chunk, copied (for tests).
    public static func records(in chunk: ByteBuffer) -> [Record] {
        var records: [Record] = []
        forEach(in: chunk) { codec, timestamp, arrival, payload in
            records.append(.packet(codec: codec, timestamp: timestamp, arrival: arrival, payload: Array(payload)))
        } end: {
            records.append(.end(at: $0))
        }
        return records
    }
}
