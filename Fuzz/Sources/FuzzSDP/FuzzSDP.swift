import SDP

/// An offer or answer from a browser or a trunk: parsed, printed and parsed again to the same
/// value, then read as the gateway reads WebRTC and plain-RTP descriptions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let description = try? SessionDescription.parse(text) else { return 0 }
    guard let again = try? SessionDescription.parse(description.text), again == description else {
        fatalError("the printed description does not parse back to itself")
    }
    for index in description.media.indices { _ = try? WebRTCMedia.read(description, index: index) }
    _ = try? WebRTCDescriptionBuilder.readAnswer(description)
    let local = LocalParameters(
        iceUfrag: "fuzz", icePwd: "fuzzfuzzfuzzfuzzfuzzfuzz", fingerprint: "00:11", address: "127.0.0.1", port: 9,
        cname: "fuzz", streamId: "fuzz", ssrcs: ["audio": 1, "video": 2])
    _ = try? WebRTCDescriptionBuilder.answer(to: description, local: local, sessionId: 1)
    _ = try? PlainAudio.read(description)
    _ = try? PlainRTPDescriptionBuilder.answer(
        to: description, address: "127.0.0.1", port: 9, preference: ["pcmu", "pcma", "opus"], sessionId: 1)
    _ = try? PlainRTPDescriptionBuilder.readAnswer(description, preference: ["pcmu", "pcma", "opus"])
    return 0
}
