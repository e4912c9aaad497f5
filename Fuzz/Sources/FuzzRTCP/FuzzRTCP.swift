import RTP

/// A compound RTCP datagram: parsed, each packet printed (as the bridge forwards feedback) and
/// parsed back to itself, and fed to the reporter that keeps round-trip and loss figures.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var reporter = RTCPReporter()
    reporter.receivedCompound(bytes, now: 1)
    guard let packets = try? RTCPPacket.parseCompound(bytes) else { return 0 }
    for packet in packets {
        guard let again = try? RTCPPacket.parseCompound(packet.bytes), again.count == 1,
            sameContent(again[0], packet)
        else { fatalError("\(packet) does not parse back to itself") }
    }
    _ = reporter.report(ssrc: 1, now: 2)
    return 0
}

/// Equal, except that a NACK's lost packets are a set: the printed form packs them afresh.
func sameContent(_ a: RTCPPacket, _ b: RTCPPacket) -> Bool {
    guard case .nack(let s1, let m1, let lost1) = a, case .nack(let s2, let m2, let lost2) = b else { return a == b }
    return s1 == s2 && m1 == m2 && Set(lost1) == Set(lost2)
}
