import ContactCenter
import Dispatch
import NIOCore
import Synchronization

/// Trunk host names to IPv4 addresses. IP literals and `localhost` answer at once; other names
/// are looked up by the system resolver on a background queue (it blocks) and remembered, so
/// the SIP event loop only ever reads the cache.
final class SIPHostResolver: Sendable {
    private let cache = Mutex<[String: String]>([:])

    /// The address of `host` if known now (literals, loopback, or resolved before).
    func cached(_ host: String) -> String? {
        if SIPHostPort.isIPv4(host) { return host }
        if host == "localhost" { return "127.0.0.1" }
        return cache.withLock { $0[host] }
    }

    /// Resolves `host` (off the caller's thread) and remembers it; nil when it does not resolve.
    func resolve(_ host: String) async -> String? {
        if let known = cached(host), SIPHostPort.isIPv4(host) || host == "localhost" { return known }
        let address = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            DispatchQueue.global().async {
                continuation.resume(returning: (try? SocketAddress.makeAddressResolvingHost(host, port: 0))?.ipAddress)
            }
        }
        if let address { cache.withLock { $0[host] = address } }
        return address ?? cached(host)
    }
}
