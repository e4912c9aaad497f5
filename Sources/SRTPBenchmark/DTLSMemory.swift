import DTLS
import Foundation

// 3. What keying SRTP with DTLS leaves in memory per leg: `endpointPairs` client and server
//    endpoints handshake in memory and stay alive, and the process's resident memory grows by
//    what each holds once connected. OpenSSL's default, record buffers kept for the life of the
//    session, is the baseline; the legs release them once connected, then release the whole
//    session once the peer's first SRTP arrives (`retire`: only the record keys stay). Each variant runs in a fresh process (this
//    executable again, with `--dtls-memory-one`), so one cannot reuse memory the other freed.

/// Resident bytes of this process (`/proc/self/statm`).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

/// What a connected endpoint is left holding.
enum DTLSMemoryVariant: String {
    /// OpenSSL's default: the session with its record buffers.
    case kept
    /// The session without its record buffers.
    case released
    /// The session released (`DTLSEndpoint.retire`), only the record keys kept: what a leg holds
    /// once its peer's first SRTP packet arrived.
    case retired
}

/// Handshakes `pairs` endpoint pairs in memory and returns the resident growth per endpoint.
func dtlsBytesPerEndpoint(pairs: Int, variant: DTLSMemoryVariant) throws -> Int {
    let releasesBuffers = variant != .kept
    let a = try DTLSCertificate()
    let b = try DTLSCertificate()
    var alive: [DTLSEndpoint] = []
    alive.reserveCapacity(2 * pairs)
    let before = residentBytes()
    for _ in 0..<pairs {
        let client = try DTLSEndpoint(
            role: .client, certificate: a, remoteFingerprint: b.fingerprint, releasesBuffers: releasesBuffers)
        let server = try DTLSEndpoint(
            role: .server, certificate: b, remoteFingerprint: a.fingerprint, releasesBuffers: releasesBuffers)
        var toServer = client.start(now: 0).datagrams
        while !toServer.isEmpty {
            let toClient = toServer.flatMap { server.handle($0, now: 0).datagrams }
            toServer = toClient.flatMap { client.handle($0, now: 0).datagrams }
        }
        guard client.isConnected, server.isConnected else { throw DTLSError.handshakeFailed("in-memory handshake") }
        if variant == .retired, !client.retire() || !server.retire() {
            throw DTLSError.handshakeFailed("the association was not retired")
        }
        alive += [client, server]
    }
    return (residentBytes() - before) / alive.count
}

/// Runs one variant in a child process and reads the bytes it prints.
func dtlsBytesPerEndpointInChild(pairs: Int, variant: DTLSMemoryVariant) throws -> Int {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = ["--dtls-memory-one", String(pairs), variant.rawValue]
    let output = Pipe()
    child.standardOutput = output
    try child.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    guard child.terminationStatus == 0, let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw DTLSError.setup("the DTLS memory child failed: \(text)")
    }
    return bytes
}
