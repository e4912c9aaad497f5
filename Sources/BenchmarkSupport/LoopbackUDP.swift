#if canImport(Glibc)
    import Glibc
#endif

/// Two UDP sockets on 127.0.0.1: `sendAndReceive` sends a datagram from one to the other and
/// reads it back, the I/O a media relay pays per packet. For benchmarks; not thread-safe.
public final class LoopbackUDP {
    private let sender: Int32
    private let receiver: Int32
    private var target = sockaddr_in()
    private var scratch = [UInt8](repeating: 0, count: 2048)

    public init() {
        (sender, _) = Self.bound()
        (receiver, target) = Self.bound()
    }

    deinit {
        close(sender)
        close(receiver)
    }

    /// Sends a datagram without reading it back (what a sender pays); the receiver's queue
    /// overflows and the kernel drops what does not fit.
    public func send(_ bytes: UnsafeRawBufferPointer) {
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(sender, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    public func sendAndReceive(_ bytes: UnsafeRawBufferPointer) {
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(sender, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        _ = recv(receiver, &scratch, scratch.count, 0)
    }

    private static func bound() -> (Int32, sockaddr_in) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, address)
    }
}
