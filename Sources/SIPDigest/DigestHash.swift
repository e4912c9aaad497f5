import COpenSSL

/// The OpenSSL primitives Digest authentication needs, over byte arrays.
enum DigestHash {
    static func md5(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        withPointer(data) { pointer, count in _ = copenssl_md5(pointer, count, &out) }
        return out
    }

    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        withPointer(data) { pointer, count in _ = copenssl_sha256(pointer, count, &out) }
        return out
    }

    static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        withPointer(key) { keyPointer, keyCount in
            withPointer(data) { pointer, count in
                _ = copenssl_hmac_sha256(keyPointer, keyCount, pointer, count, &out)
            }
        }
        return out
    }

    /// `count` bytes from OpenSSL's CSPRNG (zeros should it ever fail; nonces stay authentic regardless).
    static func random(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if copenssl_random(&out, count) != 1 { out = [UInt8](repeating: 0, count: count) }
        return out
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in copenssl_memcmp(left.baseAddress, right.baseAddress, a.count) == 0 }
        }
    }

    /// Calls `body` with a pointer that is never null, even for an empty array.
    private static func withPointer(_ data: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> Void) {
        let storage = data.isEmpty ? [0] : data
        storage.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            body(base, data.count)
        }
    }
}
