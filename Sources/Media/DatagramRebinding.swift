import NIOCore

/// Keeps a UDP port bound across the closes NIO decides on its own: it closes a datagram channel
/// when a send fails with anything but EMSGSIZE or EHOSTUNREACH (ENETUNREACH once a route went
/// away, EINVAL for an address the bound one cannot reach, EACCES for a broadcast address, EPERM
/// from a firewall). One peer's address would otherwise end a media loop's shared WebRTC socket
/// (every call on the loop silent), a trunk leg's ports, or the SIP UDP listener.
public enum DatagramRebinding {
    /// When `channel` closes and `stillWanted()` (asked on the channel's loop) holds, calls `bind`
    /// for a new channel on the same loop and port, again every 100 ms for five seconds should
    /// another process take the port meanwhile, and hands it to `adopt` on the loop if still
    /// wanted (else closes it), then `rebound`; the new channel is watched the same way.
    public static func watch(
        _ channel: any Channel, stillWanted: @escaping @Sendable () -> Bool,
        bind: @escaping @Sendable () async throws -> any Channel,
        adopt: @escaping @Sendable (any Channel) -> Void, rebound: @escaping @Sendable () -> Void = {}
    ) {
        let eventLoop = channel.eventLoop
        channel.closeFuture.whenComplete { _ in
            guard stillWanted() else { return }
            Task {
                for _ in 0..<50 {
                    guard let fresh = try? await bind() else {
                        // A loop shut down, or an owner done with the port, ends the attempts.
                        guard (try? await eventLoop.submit(stillWanted).get()) == true else { return }
                        try? await Task.sleep(for: .milliseconds(100))
                        continue
                    }
                    let adopted = try? await eventLoop.submit { () -> Bool in
                        guard stillWanted() else { return false }
                        adopt(fresh)
                        return true
                    }.get()
                    guard adopted == true else {
                        try? await fresh.close()
                        return
                    }
                    rebound()
                    watch(fresh, stillWanted: stillWanted, bind: bind, adopt: adopt, rebound: rebound)
                    return
                }
            }
        }
    }
}
