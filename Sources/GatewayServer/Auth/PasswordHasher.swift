import CSodium
import Foundation
import NIOPosix

/// Agents' passwords hashed with Argon2id (libsodium's `crypto_pwhash_str`), a memory-hard KDF:
/// each hash or check fills `memoryKiB` of memory `iterations` times, so a stolen database costs
/// an attacker as much memory per guess. The encoded hash carries its salt and costs, so a
/// password hashed under older costs still verifies and is re-hashed at its next sign-in.
///
/// Hashing takes tens of milliseconds of CPU: it runs on threads of its own (`threads`), never on
/// an event loop or Swift's cooperative pool, and no more hashes run at once than there are
/// threads, which also bounds the memory they take.
public final class PasswordHasher: Sendable {
    public let memoryKiB: Int
    public let iterations: Int
    private let pool: NIOThreadPool

    /// Shortest and longest password accepted, in characters.
    public static let passwordLength = 8...128

    public init(memoryKiB: Int, iterations: Int, threads: Int) {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// The encoded Argon2id hash of `password` (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`).
    public func hash(_ password: String) async throws -> String {
        let (memoryKiB, iterations) = (memoryKiB, iterations)
        let encoded = try await pool.runIfActive { Self.hashNow(password, memoryKiB, iterations) }
        guard let encoded else { throw PasswordHashError.outOfMemory }
        return encoded
    }

    /// Whether `password` matches `encoded`. With `encoded` nil (an unknown login) the password is
    /// hashed anyway and false returned: as long as a wrong password takes, so that which logins
    /// exist cannot be told by timing.
    public func verify(_ password: String, against encoded: String?) async throws -> Bool {
        let (memoryKiB, iterations) = (memoryKiB, iterations)
        return try await pool.runIfActive {
            guard let encoded else {
                _ = Self.hashNow(password, memoryKiB, iterations)
                return false
            }
            return Self.verifyNow(password, encoded)
        }
    }

    /// Whether `encoded` was made with other costs than the configured ones.
    public func needsRehash(_ encoded: String) -> Bool {
        crypto_pwhash_str_needs_rehash(encoded, UInt64(iterations), memoryKiB * 1024) != 0
    }

    // The password is passed as a C string with its UTF-8 length, so that an interior NUL counts.
    static func hashNow(_ password: String, _ memoryKiB: Int, _ iterations: Int) -> String? {
        var out = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let result = crypto_pwhash_str_alg(
            &out, password, UInt64(password.utf8.count), UInt64(iterations), memoryKiB * 1024,
            crypto_pwhash_alg_argon2id13())
        guard result == 0 else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verifyNow(_ password: String, _ encoded: String) -> Bool {
        crypto_pwhash_str_verify(encoded, password, UInt64(password.utf8.count)) == 0
    }
}

/// The KDF could not get the memory its cost asks for.
public enum PasswordHashError: Error, CustomStringConvertible {
    case outOfMemory
    public var description: String { "the password hash could not get its memory (passwordHashMemoryKiB)" }
}
