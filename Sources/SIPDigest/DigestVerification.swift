/// What `DigestServer.verify` concluded about an Authorization / Proxy-Authorization value.
public enum DigestVerification: Sendable, Equatable {
    /// The response proves knowledge of `username`'s password, over a fresh nonce of ours.
    case valid(username: String)
    /// Right password, expired nonce: re-challenge with `stale: true` so the client retries silently.
    case stale
    /// Refused; a short human-readable reason (malformed, unknown user, wrong response, realm
    /// mismatch, foreign nonce …) for logs, not for the peer.
    case invalid(String)
}
