import NIOCore

/// Keeps a UDP port bound across the closes NIO decides on its own: it closes a datagram channel
/// when a send fails with anything but EMSGSIZE or EHOSTUNREACH (ENETUNREACH once a route went
/// away, EINVAL for an address the bound one cannot reach, EACCES for a broadcast address, EPERM
/// from a firewall). One peer's address would otherwise end a media loop's shared WebRTC socket
/// (every call on the loop silent), a trunk leg's ports, or the SIP UDP listener.
public enum DatagramRebinding {
    /// When `channel` closes, unless its owner shut down (`shutDown()`, read from any thread) or
    /// is done with the port (`stillWanted()` false, asked on the channel's loop), calls `bind`
    /// for a new channel on the same loop and port, again every 100 ms for five seconds should
    /// another process take the port meanwhile, and hands it to `adopt` on the loop if still
    /// wanted (else closes it), then `rebound`; the new channel is watched the same way.
    public static func watch(
        _ channel: any Channel, shutDown: @escaping @Sendable () -> Bool,
        stillWanted: @escaping @Sendable () -> Bool, bind: @escaping @Sendable () async throws -> any Channel,
        adopt: @escaping @Sendable (any Channel) -> Void, rebound: @escaping @Sendable () -> Void = {}
    ) {
        let eventLoop = channel.eventLoop
        channel.closeFuture.whenComplete { _ in
            guard !shutDown(), stillWanted() else { return }
            Task {
                for _ in 0..<50 {
                    guard !shutDown() else { return }
                    guard let fresh = try? await bind() else {
                        try? await Task.sleep(for: .milliseconds(100))
                        continue
                    }
                    let adopted = try? await eventLoop.submit { () -> Bool in
                        guard !shutDown(), stillWanted() else { return false }
                        adopt(fresh)
                        return true
                    }.get()
                    guard adopted == true else {
                        try? await fresh.close()
                        return
                    }
                    rebound()
                    watch(
                        fresh, shutDown: shutDown, stillWanted: stillWanted, bind: bind, adopt: adopt, rebound: rebound)
                    return
                }
            }
        }
    }
}
