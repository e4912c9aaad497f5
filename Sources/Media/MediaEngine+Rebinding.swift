import NIOCore

/// NIO closes a datagram channel when a send fails with anything but EMSGSIZE or EHOSTUNREACH:
/// ENETUNREACH once a route went away, EINVAL for an address the bound one cannot reach, EPERM
/// from a firewall. One peer's address would then silence every call on a loop's shared WebRTC
/// socket, or a trunk leg for the rest of its call (it could not even latch onto the address its
/// phone really sends from). So the engine binds such a port again and the socket carries on.
extension MediaEngine {
    /// When `channel` closes while the engine runs and `stillWanted()` (asked on the channel's
    /// loop) holds, binds `port` again on that loop, retried for five seconds should another
    /// process take the port meanwhile, and hands the new channel and its handler to `adopt` on
    /// the loop; the new channel is watched the same way.
    func rebindWhenClosed(
        _ channel: any Channel, port: Int, shared: Bool, stillWanted: @escaping @Sendable () -> Bool,
        adopt: @escaping @Sendable (any Channel, DatagramHandler) -> Void
    ) {
        let eventLoop = channel.eventLoop
        channel.closeFuture.whenComplete { [self] _ in
            guard !isShuttingDown.load(ordering: .relaxed), stillWanted() else { return }
            Task { [self] in
                for _ in 0..<50 {
                    guard !isShuttingDown.load(ordering: .relaxed) else { return }
                    let handler = DatagramHandler()
                    guard let fresh = try? await bind(on: eventLoop, port: port, handler: handler, shared: shared)
                    else {
                        try? await Task.sleep(for: .milliseconds(100))
                        continue
                    }
                    let adopted = try? await eventLoop.submit { () -> Bool in
                        guard stillWanted() else { return false }
                        adopt(fresh, handler)
                        return true
                    }.get()
                    guard adopted == true else {
                        try? await fresh.close()
                        return
                    }
                    statistics.socketsReopened.add(1, ordering: .relaxed)
                    rebindWhenClosed(fresh, port: port, shared: shared, stillWanted: stillWanted, adopt: adopt)
                    return
                }
            }
        }
    }
}
