import TestSupport
import Testing

@testable import SIPDigest

/// Hostile input: nothing may trap, and nothing but the genuine answer may verify.
@Suite struct DigestFuzzTests {
    static let secret = Array("fuzzing secret, 32 bytes long!!!".utf8)
    static let now = 1_700_000_000.0
    static let server = DigestServer(realm: "fuzz.example.com", secret: secret, algorithm: .sha256)

    static func password(_ username: String) -> String? { username == "alice" ? "wonderland" : nil }

    static func verify(_ value: String) -> DigestVerification {
        server.verify(value, method: "INVITE", password: password, now: now)
    }

    static var challenge: String { server.challenge(now: now) }

    static var authorization: String {
        DigestClient.authorization(
            challenge: challenge, credentials: DigestCredentials(username: "alice", password: "wonderland"),
            method: "INVITE", uri: "sip:bob@fuzz.example.com", body: [], nonceCount: 1, cnonce: "abcdef") ?? ""
    }

    /// Characters that matter to the grammar, weighted in so mutations reach interesting states.
    static let interesting = Array(#"",\= ;:"#.utf8) + [0x09, 0x0D, 0x0A, 0x00, 0x7F, 0xC3, 0xA9, 0xFF]

    static func randomBytes(_ count: Int, using generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in
            Bool.random(using: &generator)
                ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
        }
    }

    @Test func randomBytesNeverParseOrVerify() {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...120, using: &generator)
            let value = String(decoding: Self.randomBytes(length, using: &generator), as: UTF8.self)
            _ = DigestChallenge.parse(value)
            _ = DigestClient.authorization(
                challenge: value, credentials: DigestCredentials(username: "u", password: "p"), method: "INVITE",
                uri: "sip:x", body: [], nonceCount: 1, cnonce: "c")
            guard case .invalid = Self.verify(value) else {
                Issue.record("random bytes verified: \(value.debugDescription)")
                return
            }
            // Random bytes behind a Digest scheme reach deeper into the parameter parser.
            guard case .invalid = Self.verify("Digest " + value) else {
                Issue.record("random parameters verified: \(value.debugDescription)")
                return
            }
            _ = DigestChallenge.parse("Digest realm=\"r\", nonce=\"n\", " + value)
        }
    }

    @Test func everyPrefixOfAChallengeParsesWhollyOrNotAtAll() throws {
        let full = Self.challenge
        let expected = try #require(DigestChallenge.parse(full))
        let bytes = Array(full.utf8)
        for end in 0..<bytes.count {
            let prefix = String(decoding: bytes[0..<end], as: UTF8.self)
            if let parsed = DigestChallenge.parse(prefix) {
                #expect(parsed.realm == expected.realm, "\(prefix.debugDescription)")
                #expect(parsed.nonce == expected.nonce, "\(prefix.debugDescription)")
            }
        }
    }

    @Test func noStrictPrefixOfAnAnswerVerifies() {
        let full = Self.authorization
        #expect(Self.verify(full) == .valid(username: "alice"))
        let bytes = Array(full.utf8)
        for end in 0..<bytes.count {
            let prefix = String(decoding: bytes[0..<end], as: UTF8.self)
            guard case .invalid = Self.verify(prefix) else {
                Issue.record("prefix verified: \(prefix.debugDescription)")
                continue
            }
        }
    }

    @Test func mutatedAnswersNeverTrapNorVerifyAsSomeoneElse() {
        var generator = SeededGenerator(seed: 2)
        let original = Array(Self.authorization.utf8)
        for _ in 0..<5000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<max(bytes.count, 1), using: &generator)
                let replacement = Self.randomBytes(1, using: &generator)[0]
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where !bytes.isEmpty: bytes[index] = replacement
                case 1: bytes.insert(replacement, at: min(index, bytes.count))
                case 2 where !bytes.isEmpty: bytes.remove(at: index)
                default: bytes = Array(bytes.prefix(index)) + Array(bytes.suffix(from: min(index + 1, bytes.count)))
                }
            }
            let value = String(decoding: bytes, as: UTF8.self)
            switch Self.verify(value) {
            case .valid(let username): #expect(username == "alice", "\(value.debugDescription)")
            case .stale: Issue.record("a fresh nonce went stale: \(value.debugDescription)")
            case .invalid: break
            }
            _ = DigestChallenge.parse(value)
        }
    }

    @Test func mutatedChallengesNeverTrap() {
        var generator = SeededGenerator(seed: 3)
        let original = Array(Self.challenge.utf8)
        for _ in 0..<5000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = Self.randomBytes(1, using: &generator)[0]
            }
            let value = String(decoding: bytes, as: UTF8.self)
            _ = DigestChallenge.parse(value)
            _ = DigestClient.authorization(
                challenge: value, credentials: DigestCredentials(username: "u", password: "p"), method: "INVITE",
                uri: "sip:x", body: [1, 2, 3], nonceCount: 1, cnonce: "c")
        }
    }

    @Test func extremeServerInputsNeverTrap() {
        for now in [Double.nan, .infinity, -.infinity, -1, 0, 1e300, Double.greatestFiniteMagnitude] {
            let server = DigestServer(realm: "r\r\n", secret: [], algorithm: .md5Session, nonceLifetime: .nan)
            let challenge = server.challenge(now: now)
            #expect(DigestChallenge.parse(challenge)?.realm == "r")
            let answer = DigestClient.authorization(
                challenge: challenge, credentials: DigestCredentials(username: "alice", password: "wonderland"),
                method: "INVITE", uri: "sip:x", body: [], nonceCount: .max, cnonce: "c")
            #expect(server.verify(answer ?? "", method: "INVITE", password: Self.password, now: now) == .stale)
        }
    }
}
