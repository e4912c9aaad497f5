import RTP

/// An RTP datagram: the header parsed, its payload bounds checked against the datagram, and a
/// telephone-event payload read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let header = try? RTPHeader.parse(bytes) else { return 0 }
    let end = header.payloadOffset + header.payloadLength
    guard header.payloadOffset >= 12, header.payloadLength >= 0, end + header.paddingLength == bytes.count else {
        fatalError("payload bounds \(header.payloadOffset)+\(header.payloadLength) outside \(bytes.count) bytes")
    }
    _ = TelephoneEvent.parse(Array(bytes[header.payloadOffset..<end]))
    _ = PacketKind.classify(bytes)
    return 0
}
