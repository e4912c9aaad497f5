import ICE
import NIOCore

extension TransportAddress {
    /// The ICE view of a socket address (IPv4; other families keep only the port).
    public init(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let raw = v4.address.sin_addr.s_addr
            self.init(
                ip: [UInt8(raw & 0xff), UInt8((raw >> 8) & 0xff), UInt8((raw >> 16) & 0xff), UInt8(raw >> 24)],
                port: UInt16(address.port ?? 0))
        default:
            self.init(ip: [], port: UInt16(address.port ?? 0))
        }
    }

    /// An IPv4 address in dotted form and a port, as SDP candidates carry them; nil otherwise.
    public init?(ipv4 text: String, port: Int) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard parts.count == 4, text.split(separator: ".", omittingEmptySubsequences: false).count == 4,
            (1...65535).contains(port)
        else { return nil }
        self.init(ip: parts, port: UInt16(port))
    }

    /// The socket address to send to (IPv4 only).
    public var socketAddress: SocketAddress? {
        guard ip.count == 4 else { return nil }
        return try? SocketAddress(ipAddress: ip.map(String.init).joined(separator: "."), port: Int(port))
    }
}

extension SocketAddress {
    /// Whether both are the same IP address, whatever their ports: compared as bytes, without
    /// building the addresses' text for every packet.
    func hasSameHost(as other: SocketAddress) -> Bool {
        switch (self, other) {
        case (.v4(let a), .v4(let b)):
            return a.address.sin_addr.s_addr == b.address.sin_addr.s_addr
        case (.v6(let a), .v6(let b)):
            return withUnsafeBytes(of: a.address.sin6_addr) { first in
                withUnsafeBytes(of: b.address.sin6_addr) { second in first.elementsEqual(second) }
            }
        default:
            return false
        }
    }
}
