import Glibc
import NIOCore

/// A UDP socket the engine makes itself, for a media loop to read (`MediaLoop.watch`) and the
/// gateway to write (`OutgoingDatagrams`).
enum MediaSocketDescriptor {
    /// A non-blocking UDP socket bound to `address`, without SO_REUSEADDR (a port another socket
    /// holds is refused). Throws NIO's `IOError` with the failing call's errno.
    static func boundUDP(_ address: SocketAddress) throws -> CInt {
        let descriptor = socket(
            address.protocol.rawValue,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        let bound = address.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw IOError(errnoCode: code, reason: "bind")
        }
        return descriptor
    }
}
