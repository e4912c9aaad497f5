import SIPMessage

/// A SIP datagram, and the same bytes as a TCP stream cut in two at a point the input chooses:
/// parsed, checked as the transaction layer checks every message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIPMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? SIPMessage.parse(bytes) {
        _ = try? message.validate()
        _ = try? message.cseq()
    }
    guard let cut = bytes.first else { return 0 }
    let stream = bytes.dropFirst()
    let split = stream.startIndex + min(stream.count, Int(cut))
    var framer = SIPStreamFramer()
    _ = try? framer.append(Array(stream[..<split]))
    _ = try? framer.append(Array(stream[split...]))
    return 0
}
