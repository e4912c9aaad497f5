import SignalingFrames
import SignalingProtocol

/// A text frame on a signaling WebSocket (the WebSocket layer has checked it is UTF-8): parsed
/// into a client message or a fault naming the problem, as the gateway does; and read as a
/// server frame, as the headless agent and the SDK's peers do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignalingFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if case .failure(let fault) = SignalingParser.parse(text), fault.code.isEmpty || fault.message.isEmpty {
        fatalError("a fault without a code or message for \(text.debugDescription)")
    }
    _ = ServerFrame(text: text)
    return 0
}
