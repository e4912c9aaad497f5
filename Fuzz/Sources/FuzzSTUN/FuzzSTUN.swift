import STUN

/// A datagram on a media port that looks like STUN: parsed, its attributes read, its integrity
/// checked as the ICE agent does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard STUNMessage.isSTUN(bytes), let message = try? STUNMessage.parse(bytes) else { return 0 }
    _ = message.username
    _ = message.priority
    _ = message.hasUseCandidate
    if let address = message.attribute(STUNAttribute.xorMappedAddress) {
        _ = STUNMessage.decodeXorMappedAddress(address, transactionID: message.transactionID)
    }
    _ = try? STUNMessage.verifyIntegrity(bytes, key: Array("fuzzfuzzfuzzfuzzfuzzfuzz".utf8))
    return 0
}
