/// What a datagram on a bundled WebRTC port is (RFC 7983 by first byte; RFC 5761 for RTCP).
public enum PacketKind: Equatable, Sendable {
    case stun, dtls, rtp, rtcp, unknown

    public static func classify(_ bytes: UnsafeRawBufferPointer) -> PacketKind {
        guard let first = bytes.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 20...63: return .dtls
        case 128...191:
            guard bytes.count >= 2 else { return .unknown }
            // RTCP packet types 192–223 fall where RTP payload types 64–95 would (with marker).
            return (192...223).contains(bytes[1]) ? .rtcp : .rtp
        default: return .unknown
        }
    }

    public static func classify(_ bytes: [UInt8]) -> PacketKind { bytes.withUnsafeBytes { classify($0) } }
}
