import Foundation
import HTTPTypes
import Hummingbird

/// The address a request really comes from. Behind a reverse proxy every connection is the
/// proxy's; when the peer is one of `trustedProxies`, the client is read from `X-Forwarded-For`:
/// the rightmost entry that is not itself a trusted proxy (entries to its left were written by
/// the client and cannot be believed). The per-address limits (sign-in throttle, signaling
/// sessions per address) count that address.
public struct TrustedProxies: Sendable, Equatable {
    /// IPv4 networks (address, prefix length) and exact IPv6 addresses (lower-cased).
    private var networks: [(address: UInt32, bits: Int)]
    private var exact: Set<String>

    public static func == (lhs: TrustedProxies, rhs: TrustedProxies) -> Bool {
        lhs.exact == rhs.exact && lhs.networks.elementsEqual(rhs.networks) { $0 == $1 }
    }

    public static let none = TrustedProxies(networks: [], exact: [])

    private init(networks: [(address: UInt32, bits: Int)], exact: Set<String>) {
        self.networks = networks
        self.exact = exact
    }

    /// `a.b.c.d`, `a.b.c.d/n` or an IPv6 address, comma-separated; nil names the first entry
    /// that is none of these.
    public init(parsing text: String) throws(ConfigurationError) {
        var networks: [(address: UInt32, bits: Int)] = []
        var exact: Set<String> = []
        for raw in text.split(separator: ",") {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            if let address = Self.ipv4(String(parts[0])), parts.count <= 2 {
                let bits = parts.count == 2 ? Int(parts[1]) : 32
                guard let bits, (0...32).contains(bits) else {
                    throw ConfigurationError(
                        key: "trustedProxies", message: "'\(entry)' has no prefix length of 0 to 32")
                }
                networks.append((address, bits))
            } else if parts.count == 1, entry.contains(":"),
                entry.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
            {
                exact.insert(entry.lowercased())
            } else {
                throw ConfigurationError(
                    key: "trustedProxies", message: "'\(entry)' is not an IPv4 address or network, or an IPv6 address")
            }
        }
        self.init(networks: networks, exact: exact)
    }

    public var isEmpty: Bool { networks.isEmpty && exact.isEmpty }

    public func contains(_ address: String) -> Bool {
        if let value = Self.ipv4(address) {
            return networks.contains { network in
                let mask: UInt32 = network.bits == 0 ? 0 : ~UInt32(0) << (32 - network.bits)
                return value & mask == network.address & mask
            }
        }
        return exact.contains(address.lowercased())
    }

    /// The client's address for a connection from `peer` carrying `forwardedFor` (every
    /// `X-Forwarded-For` header's value, in order).
    public func client(peer: String, forwardedFor: [String]) -> String {
        guard contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for hop in hops.reversed() where !contains(hop) {
            return hop
        }
        return hops.first ?? peer
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}

extension GatewayServices {
    /// The address `request` comes from, through `trustedProxies` (docs/security.md).
    func clientAddress(_ request: Request, _ context: GatewayRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard !configuration.trustedProxies.isEmpty else { return peer }
        return configuration.trustedProxies.client(
            peer: peer, forwardedFor: request.headers[values: HTTPField.Name("x-forwarded-for")!])
    }
}
