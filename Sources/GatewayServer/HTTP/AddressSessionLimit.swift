import Synchronization

/// What one client address may hold at once: signaling sessions (`maxSessionsPerAddress`) or
/// HTTP and WebSocket connections (`maxConnectionsPerAddress`); 0: no limit. So that one machine
/// cannot take the places (or the file descriptors) everyone needs. Behind a reverse proxy every
/// connection is the proxy's: leave the connection limit off there.
public final class AddressSessionLimit: Sendable {
    public let maximum: Int
    private let held = Mutex<[String: Int]>([:])

    public init(maximum: Int) { self.maximum = maximum }

    /// Takes a place for `address`; false when it holds `maximum` already.
    public func admit(_ address: String) -> Bool {
        guard maximum > 0 else { return true }
        return held.withLock { held in
            let count = held[address, default: 0]
            guard count < maximum else { return false }
            held[address] = count + 1
            return true
        }
    }

    /// Gives back a place `admit` gave.
    public func end(_ address: String) {
        guard maximum > 0 else { return }
        held.withLock { held in
            let count = held[address, default: 0] - 1
            held[address] = count > 0 ? count : nil
        }
    }

    /// Sessions `address` holds now.
    public func count(_ address: String) -> Int { held.withLock { $0[address, default: 0] } }
}
