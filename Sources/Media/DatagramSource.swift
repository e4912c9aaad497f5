import Glibc
import NIOCore

/// Where a datagram came from, as the bytes of its socket address (family, port, address, and an
/// IPv6 scope), as a media loop reads it: hashed and compared without NIO's `SocketAddress`, which
/// is a heap box.
struct DatagramSource: Hashable {
    let family: UInt16
    /// In network byte order, as in the socket address.
    let port: UInt16
    /// IPv6: the address's first 8 bytes; IPv4: 0.
    let high: UInt64
    /// IPv6: its last 8 bytes; IPv4: the address.
    let low: UInt64
    let scope: UInt32

    /// The source in `address` (`length` bytes), or nil for a family other than IPv4 and IPv6.
    init?(_ address: UnsafePointer<sockaddr>, length: Int) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            let v4 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            (family, port, high, low, scope) = (UInt16(AF_INET), v4.sin_port, 0, UInt64(v4.sin_addr.s_addr), 0)
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            let v6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: v6.sin6_addr) {
                ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            (family, port, self.high, self.low, scope) = (UInt16(AF_INET6), v6.sin6_port, high, low, v6.sin6_scope_id)
        default:
            return nil
        }
    }

    /// The source that `address` names, or nil for a family other than IPv4 and IPv6.
    init?(_ address: SocketAddress) {
        guard let source = address.withSockAddr({ DatagramSource($0, length: $1) }) else { return nil }
        self = source
    }

    /// Whether `other` is the same host (any port).
    func hasSameHost(as other: DatagramSource) -> Bool {
        family == other.family && high == other.high && low == other.low && scope == other.scope
    }

    /// The same address as NIO's `SocketAddress`, where one is needed (answering a STUN request,
    /// selecting the address to send to): built at each call.
    var socketAddress: SocketAddress {
        if family == UInt16(AF_INET) {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port
            v4.sin_addr.s_addr = in_addr_t(truncatingIfNeeded: low)
            return SocketAddress(v4)
        }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port
        v6.sin6_scope_id = scope
        withUnsafeMutableBytes(of: &v6.sin6_addr) {
            $0.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
        }
        return SocketAddress(v6)
    }
}
