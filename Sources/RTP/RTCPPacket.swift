/// A report block of an SR or RR (RFC 3550 §6.4.1).
public struct ReportBlock: Equatable, Sendable {
    public var ssrc: UInt32
    public var fractionLost: UInt8
    /// 24-bit signed cumulative loss.
    public var cumulativeLost: Int32
    public var highestSequence: UInt32
    public var jitter: UInt32
    public var lastSR: UInt32
    public var delaySinceLastSR: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, highestSequence: UInt32, jitter: UInt32,
        lastSR: UInt32, delaySinceLastSR: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.highestSequence = highestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

/// One packet of an RTCP compound packet.
public enum RTCPPacket: Equatable, Sendable {
    case senderReport(
        ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packets: UInt32, octets: UInt32, reports: [ReportBlock])
    case receiverReport(ssrc: UInt32, reports: [ReportBlock])
    /// Generic NACK (RTPFB FMT 1): lost sequence numbers of `mediaSSRC`.
    case nack(senderSSRC: UInt32, mediaSSRC: UInt32, lost: [UInt16])
    /// Picture loss indication (PSFB FMT 1).
    case pli(senderSSRC: UInt32, mediaSSRC: UInt32)
    /// Full intra request (PSFB FMT 4).
    case fir(senderSSRC: UInt32, targets: [(ssrc: UInt32, sequence: UInt8)])
    case bye(ssrcs: [UInt32])
    /// SDES, APP, REMB and anything else: type, count field and raw bytes.
    case other(packetType: UInt8, count: UInt8, bytes: [UInt8])

    public static func == (a: RTCPPacket, b: RTCPPacket) -> Bool {
        switch (a, b) {
        case (.fir(let s1, let t1), .fir(let s2, let t2)):
            s1 == s2 && t1.map(\.ssrc) == t2.map(\.ssrc) && t1.map(\.sequence) == t2.map(\.sequence)
        case (
            .senderReport(let a1, let a2, let a3, let a4, let a5, let a6),
            .senderReport(let b1, let b2, let b3, let b4, let b5, let b6)
        ):
            a1 == b1 && a2 == b2 && a3 == b3 && a4 == b4 && a5 == b5 && a6 == b6
        case (.receiverReport(let a1, let a2), .receiverReport(let b1, let b2)): a1 == b1 && a2 == b2
        case (.nack(let a1, let a2, let a3), .nack(let b1, let b2, let b3)): a1 == b1 && a2 == b2 && a3 == b3
        case (.pli(let a1, let a2), .pli(let b1, let b2)): a1 == b1 && a2 == b2
        case (.bye(let a1), .bye(let b1)): a1 == b1
        case (.other(let a1, let a2, let a3), .other(let b1, let b2, let b3)): a1 == b1 && a2 == b2 && a3 == b3
        default: false
        }
    }

    /// Parses a compound packet. Any packet that overruns the buffer fails the whole parse.
    public static func parseCompound(_ bytes: [UInt8]) throws(RTPParseError) -> [RTCPPacket] {
        var packets: [RTCPPacket] = []
        var offset = 0
        guard bytes.count >= 4 else { throw .tooShort }
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .tooShort }
            guard bytes[offset] >> 6 == 2 else { throw .badVersion(bytes[offset] >> 6) }
            let count = bytes[offset] & 0x1f
            let type = bytes[offset + 1]
            let length = (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]) + 1) * 4
            guard offset + length <= bytes.count else { throw .badLength }
            let body = Array(bytes[offset + 4..<offset + length])
            packets.append(
                try parseOne(type: type, count: count, body: body, raw: Array(bytes[offset..<offset + length])))
            offset += length
        }
        return packets
    }

    static func parseOne(type: UInt8, count: UInt8, body: [UInt8], raw: [UInt8]) throws(RTPParseError) -> RTCPPacket {
        func u32(_ at: Int) -> UInt32 {
            UInt32(body[at]) << 24 | UInt32(body[at + 1]) << 16 | UInt32(body[at + 2]) << 8 | UInt32(body[at + 3])
        }
        func reports(at start: Int) throws(RTPParseError) -> [ReportBlock] {
            guard body.count >= start + Int(count) * 24 else { throw .badLength }
            return (0..<Int(count)).map { i in
                let at = start + i * 24
                var lost = Int32(body[at + 5]) << 16 | Int32(body[at + 6]) << 8 | Int32(body[at + 7])
                if lost & 0x80_0000 != 0 { lost -= 0x100_0000 }
                return ReportBlock(
                    ssrc: u32(at), fractionLost: body[at + 4], cumulativeLost: lost, highestSequence: u32(at + 8),
                    jitter: u32(at + 12), lastSR: u32(at + 16), delaySinceLastSR: u32(at + 20))
            }
        }
        switch type {
        case 200:
            guard body.count >= 24 else { throw .badLength }
            return .senderReport(
                ssrc: u32(0), ntp: UInt64(u32(4)) << 32 | UInt64(u32(8)), rtpTimestamp: u32(12), packets: u32(16),
                octets: u32(20), reports: try reports(at: 24))
        case 201:
            guard body.count >= 4 else { throw .badLength }
            return .receiverReport(ssrc: u32(0), reports: try reports(at: 4))
        case 205 where count == 1:
            guard body.count >= 8 else { throw .badLength }
            var lost: [UInt16] = []
            var at = 8
            while at + 4 <= body.count {
                let pid = UInt16(body[at]) << 8 | UInt16(body[at + 1])
                let blp = UInt16(body[at + 2]) << 8 | UInt16(body[at + 3])
                lost.append(pid)
                for bit in 0..<16 where blp & (1 << bit) != 0 { lost.append(pid &+ UInt16(bit + 1)) }
                at += 4
            }
            return .nack(senderSSRC: u32(0), mediaSSRC: u32(4), lost: lost)
        case 206 where count == 1:
            guard body.count >= 8 else { throw .badLength }
            return .pli(senderSSRC: u32(0), mediaSSRC: u32(4))
        case 206 where count == 4:
            guard body.count >= 8 else { throw .badLength }
            var targets: [(ssrc: UInt32, sequence: UInt8)] = []
            var at = 8
            while at + 8 <= body.count {
                targets.append((u32(at), body[at + 4]))
                at += 8
            }
            return .fir(senderSSRC: u32(0), targets: targets)
        case 203:
            guard body.count >= Int(count) * 4 else { throw .badLength }
            return .bye(ssrcs: (0..<Int(count)).map { u32($0 * 4) })
        default:
            return .other(packetType: type, count: count, bytes: raw)
        }
    }

    /// Serializes one packet (for compound packets, concatenate).
    public var bytes: [UInt8] {
        var body: [UInt8] = []
        func put(_ v: UInt32) {
            body += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        }
        func put(_ blocks: [ReportBlock]) {
            for b in blocks {
                put(b.ssrc)
                let lost = UInt32(bitPattern: b.cumulativeLost) & 0xff_ffff
                put(UInt32(b.fractionLost) << 24 | lost)
                put(b.highestSequence)
                put(b.jitter)
                put(b.lastSR)
                put(b.delaySinceLastSR)
            }
        }
        let type: UInt8
        let count: UInt8
        switch self {
        case .senderReport(let ssrc, let ntp, let rtp, let packets, let octets, let reports):
            (type, count) = (200, UInt8(reports.count))
            put(ssrc)
            put(UInt32(ntp >> 32))
            put(UInt32(ntp & 0xffff_ffff))
            put(rtp)
            put(packets)
            put(octets)
            put(reports)
        case .receiverReport(let ssrc, let reports):
            (type, count) = (201, UInt8(reports.count))
            put(ssrc)
            put(reports)
        case .nack(let sender, let media, let lost):
            (type, count) = (205, 1)
            put(sender)
            put(media)
            // In order from the first lost (sequence numbers wrap), each entry covers its PID and
            // the 16 after it: one pass, so a peer's long list costs linear time to forward.
            let origin = lost.first ?? 0
            var entry: (pid: UInt16, blp: UInt16)?
            for seq in lost.sorted(by: { $0 &- origin < $1 &- origin }) {
                if let current = entry {
                    let delta = seq &- current.pid
                    if delta == 0 { continue }
                    if delta <= 16 {
                        entry = (current.pid, current.blp | 1 << (delta - 1))
                        continue
                    }
                    put(UInt32(current.pid) << 16 | UInt32(current.blp))
                }
                entry = (seq, 0)
            }
            if let last = entry { put(UInt32(last.pid) << 16 | UInt32(last.blp)) }
        case .pli(let sender, let media):
            (type, count) = (206, 1)
            put(sender)
            put(media)
        case .fir(let sender, let targets):
            (type, count) = (206, 4)
            put(sender)
            put(0)
            for target in targets {
                put(target.ssrc)
                put(UInt32(target.sequence) << 24)
            }
        case .bye(let ssrcs):
            (type, count) = (203, UInt8(ssrcs.count))
            for s in ssrcs { put(s) }
        case .other(_, _, let raw):
            return raw
        }
        let words = body.count / 4
        return [0x80 | count, type, UInt8(words >> 8), UInt8(words & 0xff)] + body
    }
}
