import DTLS

/// A datagram that reaches a WebRTC leg's DTLS once media flows, when the endpoint has released
/// OpenSSL's session and reads records itself with the kept AES-GCM keys (`DTLSEndpoint.retire`):
/// whatever it holds, it is ignored (only a record that authenticates may end the association,
/// and forging one would break AES-GCM), never a trap; the peer's genuine close_notify still
/// ends it afterwards.
struct RetiredPair {
    let client: DTLSEndpoint
    let server: DTLSEndpoint

    init() {
        guard let a = try? DTLSCertificate(), let b = try? DTLSCertificate(),
            let client = try? DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint),
            let server = try? DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint)
        else { fatalError("DTLS set-up failed") }
        var toServer = client.start(now: 0).datagrams
        while !toServer.isEmpty {
            let toClient = toServer.flatMap { server.handle($0, now: 0).datagrams }
            toServer = toClient.flatMap { client.handle($0, now: 0).datagrams }
        }
        guard client.retire(), server.retire() else { fatalError("the pair was not retired") }
        (self.client, self.server) = (client, server)
    }
}

// libFuzzer calls the entry point from one thread only.
nonisolated(unsafe) let pair = RetiredPair()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDTLSRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for endpoint in [pair.client, pair.server] where endpoint.handle(bytes, now: 1).failure != nil {
        fatalError("an unauthenticated datagram ended a retired association")
    }
    return 0
}
