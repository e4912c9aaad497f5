/// Why bytes are not an RTP or RTCP packet.
public enum RTPParseError: Error, Equatable, Sendable {
    case tooShort
    case badVersion(UInt8)
    case badLength
    case badPadding
}

/// The fixed RTP header (RFC 3550 §5.1) and where the payload lies. Parsing reads the bytes
/// in place and allocates nothing, so it can run on the media hot path.
public struct RTPHeader: Equatable, Sendable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcCount: Int
    public var hasExtension: Bool
    /// Byte offset of the payload.
    public var payloadOffset: Int
    /// Payload length without padding.
    public var payloadLength: Int
    public var paddingLength: Int

    /// Parses the header of the packet in `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPParseError) -> RTPHeader {
        let count = bytes.count
        guard count >= 12 else { throw .tooShort }
        let b0 = bytes[0]
        guard b0 >> 6 == 2 else { throw .badVersion(b0 >> 6) }
        let csrcCount = Int(b0 & 0x0f)
        var offset = 12 + 4 * csrcCount
        guard count >= offset else { throw .tooShort }
        let hasExtension = b0 & 0x10 != 0
        if hasExtension {
            guard count >= offset + 4 else { throw .tooShort }
            let words = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4 + 4 * words
            guard count >= offset else { throw .badLength }
        }
        var padding = 0
        if b0 & 0x20 != 0 {
            padding = Int(bytes[count - 1])
            guard padding > 0, offset + padding <= count else { throw .badPadding }
        }
        return RTPHeader(
            marker: bytes[1] & 0x80 != 0, payloadType: bytes[1] & 0x7f,
            sequenceNumber: UInt16(bytes[2]) << 8 | UInt16(bytes[3]),
            timestamp: UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7]),
            ssrc: UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11]),
            csrcCount: csrcCount, hasExtension: hasExtension, payloadOffset: offset,
            payloadLength: count - offset - padding, paddingLength: padding)
    }

    public static func parse(_ bytes: [UInt8]) throws(RTPParseError) -> RTPHeader {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer) }
        } catch let error as RTPParseError {
            throw error
        } catch {
            throw .tooShort
        }
    }
}

/// In-place edits of an RTP header, for relaying between legs that negotiated differently.
public enum RTPRewrite {
    public static func setPayloadType(_ bytes: UnsafeMutableRawBufferPointer, _ payloadType: UInt8) {
        bytes[1] = (bytes[1] & 0x80) | (payloadType & 0x7f)
    }

    public static func setSequenceNumber(_ bytes: UnsafeMutableRawBufferPointer, _ value: UInt16) {
        store16(bytes, 2, value)
    }

    public static func setTimestamp(_ bytes: UnsafeMutableRawBufferPointer, _ value: UInt32) {
        store32(bytes, 4, value)
    }

    public static func setSSRC(_ bytes: UnsafeMutableRawBufferPointer, _ value: UInt32) { store32(bytes, 8, value) }

    public static func setMarker(_ bytes: UnsafeMutableRawBufferPointer, _ marker: Bool) {
        bytes[1] = (bytes[1] & 0x7f) | (marker ? 0x80 : 0)
    }

    @inline(__always)
    static func store16(_ bytes: UnsafeMutableRawBufferPointer, _ at: Int, _ value: UInt16) {
        bytes[at] = UInt8(value >> 8)
        bytes[at + 1] = UInt8(value & 0xff)
    }

    @inline(__always)
    static func store32(_ bytes: UnsafeMutableRawBufferPointer, _ at: Int, _ value: UInt32) {
        bytes[at] = UInt8(value >> 24)
        bytes[at + 1] = UInt8((value >> 16) & 0xff)
        bytes[at + 2] = UInt8((value >> 8) & 0xff)
        bytes[at + 3] = UInt8(value & 0xff)
    }
}
