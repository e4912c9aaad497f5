import SIPDigest

/// A `WWW-Authenticate` from a trunk and an `Authorization` from a phone: the challenge parsed
/// and answered (the answer must read back as well-formed credentials), the credentials
/// verified against a nonce of the gateway's own.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDigest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let challenge = DigestChallenge.parse(text),
        let answer = DigestClient.authorization(
            challenge: challenge, credentials: DigestCredentials(username: "fuzz", password: "fuzz"),
            method: "INVITE", uri: "sip:fuzz@127.0.0.1", body: [], nonceCount: 1, cnonce: "0a4f113b")
    {
        let server = DigestServer(realm: challenge.realm, secret: Array("fuzz-secret".utf8))
        let verdict = server.verify(answer, method: "INVITE", password: { _ in "fuzz" }, now: 10)
        if case .invalid(let reason) = verdict, reason == "malformed header" || reason.hasPrefix("missing") {
            fatalError("the answer to \(text.debugDescription) does not read back: \(reason): \(answer)")
        }
    }
    let server = DigestServer(realm: "fuzz", secret: Array("fuzz-secret".utf8))
    _ = server.verify(text, method: "REGISTER", password: { $0 == "fuzz" ? "fuzz" : nil }, now: 10)
    return 0
}
