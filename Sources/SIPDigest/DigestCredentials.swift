/// A username and password that answer Digest challenges (RFC 2617 §3.2.2, RFC 3261 §22.4).
public struct DigestCredentials: Sendable, Equatable {
    /// The user part sent as `username`; it goes into the hash exactly as given.
    public var username: String
    /// The shared secret; never sent, only hashed.
    public var password: String

    /// Credentials for `username` with `password`.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}
