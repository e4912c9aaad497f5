import Foundation
import JSON

/// What a WebRTC token grants: an identity, for a time.
public struct TokenClaims: Codable, Sendable, Equatable {
    /// The identity (an agent id or a customer identity).
    public var sub: String
    /// Display name shown to the other party.
    public var name: String?
    /// Issued at, seconds since 1970.
    public var iat: Int64
    /// Expires at, seconds since 1970.
    public var exp: Int64
    /// Unique token id.
    public var jti: String
}

extension TokenClaims {
    /// The claims of a token's payload, read as their `Codable` form has them, without
    /// `JSONDecoder` (every sign-in reads one).
    init?(payload: [UInt8]) {
        guard case .object(let members)? = JSONValue.parse(Data(payload)),
            let sub = members["sub"]?.stringValue, let iat = members["iat"]?.intValue,
            let exp = members["exp"]?.intValue, let jti = members["jti"]?.stringValue
        else { return nil }
        let name = members["name"]
        guard name == nil || name == .null || name?.stringValue != nil else { return nil }
        self.init(sub: sub, name: name?.stringValue, iat: iat, exp: exp, jti: jti)
    }
}

/// Why a token was refused; the WebSocket close reason says it.
public enum TokenError: Error, Equatable, CustomStringConvertible {
    case malformed
    case badSignature
    case expired
    case revoked

    public var description: String {
        switch self {
        case .malformed: "token is malformed"
        case .badSignature: "token signature is invalid"
        case .expired: "token has expired"
        case .revoked: "token has been revoked"
        }
    }
}

/// Issues and verifies compact HS256 JSON Web Tokens with a secret kept in the data folder.
public struct TokenSigner: Sendable {
    private let key: [UInt8]
    private static let header = CryptoPrimitives.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public init(key: [UInt8]) {
        precondition(key.count >= 32, "token signing key must be at least 256 bits")
        self.key = key
    }

    public func issue(_ claims: TokenClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = CryptoPrimitives.base64URL(Array((try? encoder.encode(claims)) ?? Data()))
        let signingInput = "\(Self.header).\(payload)"
        let signature = CryptoPrimitives.hmacSHA256(key: key, data: Array(signingInput.utf8))
        return "\(signingInput).\(CryptoPrimitives.base64URL(signature))"
    }

    /// Verifies signature and expiry at `now` (seconds since 1970).
    public func verify(_ token: String, now: Int64) throws(TokenError) -> TokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.header,
            let signature = CryptoPrimitives.fromBase64URL(parts[2]),
            let payload = CryptoPrimitives.fromBase64URL(parts[1])
        else { throw .malformed }
        let expected = CryptoPrimitives.hmacSHA256(key: key, data: Array("\(parts[0]).\(parts[1])".utf8))
        guard CryptoPrimitives.constantTimeEqual(signature, expected) else { throw .badSignature }
        guard let claims = TokenClaims(payload: payload) else { throw .malformed }
        guard claims.exp > now else { throw .expired }
        return claims
    }

    /// The claims of `token` when its signature is ours, expired or not (to revoke it).
    public func verifySignature(_ token: String) throws(TokenError) -> TokenClaims {
        try verify(token, now: .min)
    }

    /// A signature letting whoever holds a link fetch `resource` until `expires` (seconds since
    /// 1970): a recording's download URL handed to a supervisor's page, whose `<audio>` element
    /// cannot send an API key.
    public func signLink(_ resource: String, expires: Int64) -> String {
        CryptoPrimitives.base64URL(
            CryptoPrimitives.hmacSHA256(key: key, data: Array("link\n\(resource)\n\(expires)".utf8)))
    }

    /// Whether `signature` is `signLink(resource, expires)` and the link has not expired at `now`.
    public func verifyLink(_ resource: String, expires: Int64, signature: String, now: Int64) -> Bool {
        guard expires > now, let given = CryptoPrimitives.fromBase64URL(Substring(signature)) else { return false }
        let expected = CryptoPrimitives.hmacSHA256(key: key, data: Array("link\n\(resource)\n\(expires)".utf8))
        return CryptoPrimitives.constantTimeEqual(given, expected)
    }

    /// Loads the signing key from `path`, creating a fresh random one (mode 0600) if absent.
    public static func loadOrCreateKey(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 32 else {
                throw ConfigurationError(key: "dataDirectory", message: "token key \(path) is shorter than 32 bytes")
            }
            return Array(data)
        }
        let key = CryptoPrimitives.randomBytes(32)
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600])
        else {
            throw ConfigurationError(key: "dataDirectory", message: "cannot write token key \(path)")
        }
        return key
    }
}
