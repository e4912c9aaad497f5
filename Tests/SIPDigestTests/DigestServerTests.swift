import Testing

@testable import SIPDigest

@Suite struct DigestServerTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    static let users = ["alice": "wonderland", #"q"uote\user"#: "p"]
    static let now = 1_700_000_000.0

    static func password(_ username: String) -> String? { users[username] }

    static func answer(
        _ challenge: String, username: String = "alice", password: String = "wonderland", method: String = "REGISTER"
    ) -> String {
        DigestClient.authorization(
            challenge: challenge, credentials: DigestCredentials(username: username, password: password),
            method: method, uri: "sip:gateway.example.com", body: [], nonceCount: 1, cnonce: "0a4f113b") ?? ""
    }

    @Test(arguments: DigestAlgorithm.allCases)
    func roundTrips(_ algorithm: DigestAlgorithm) throws {
        let server = DigestServer(realm: "gateway.example.com", secret: Self.secret, algorithm: algorithm)
        let challengeValue = server.challenge(now: Self.now)
        let challenge = try #require(DigestChallenge.parse(challengeValue))
        #expect(challenge.realm == "gateway.example.com")
        #expect(challenge.algorithm == algorithm)
        #expect(challenge.qop == ["auth"])
        #expect(!challenge.stale)
        let authorization = Self.answer(challengeValue)
        #expect(
            server.verify(authorization, method: "REGISTER", password: Self.password, now: Self.now + 10)
                == .valid(username: "alice"))
    }

    @Test func usernamesWithQuotesRoundTrip() {
        let server = DigestServer(realm: "r", secret: Self.secret, algorithm: .sha256)
        let authorization = Self.answer(server.challenge(now: Self.now), username: #"q"uote\user"#, password: "p")
        #expect(
            server.verify(authorization, method: "REGISTER", password: Self.password, now: Self.now)
                == .valid(username: #"q"uote\user"#))
    }

    @Test func challengesDifferAndMarkStaleness() throws {
        let server = DigestServer(realm: "r", secret: Self.secret)
        let first = server.challenge(now: Self.now)
        #expect(first != server.challenge(now: Self.now), "each nonce carries a random salt")
        #expect(DigestChallenge.parse(server.challenge(now: Self.now, stale: true))?.stale == true)
        #expect(first.hasPrefix("Digest realm=\"r\", nonce=\""))
        #expect(first.hasSuffix(", algorithm=MD5, qop=\"auth\""))
    }

    @Test(arguments: [DigestAlgorithm.md5, .sha256])
    func refusesWrongPasswordsAndUnknownUsers(_ algorithm: DigestAlgorithm) {
        let server = DigestServer(realm: "r", secret: Self.secret, algorithm: algorithm)
        let challenge = server.challenge(now: Self.now)
        #expect(
            server.verify(
                Self.answer(challenge, password: "guess"), method: "REGISTER",
                password: Self.password, now: Self.now) == .invalid("wrong response"))
        #expect(
            server.verify(
                Self.answer(challenge, username: "mallory"), method: "REGISTER",
                password: Self.password, now: Self.now) == .invalid("unknown user"))
        #expect(
            server.verify(Self.answer(challenge), method: "INVITE", password: Self.password, now: Self.now)
                == .invalid("wrong response"), "an answer for REGISTER does not authorize an INVITE")
    }

    @Test func expiredNoncesAreStaleOnlyWithTheRightPassword() {
        let server = DigestServer(realm: "r", secret: Self.secret, nonceLifetime: 300)
        let challenge = server.challenge(now: Self.now)
        let good = Self.answer(challenge)
        #expect(
            server.verify(good, method: "REGISTER", password: Self.password, now: Self.now + 299)
                == .valid(username: "alice"))
        #expect(server.verify(good, method: "REGISTER", password: Self.password, now: Self.now + 301) == .stale)
        #expect(server.verify(good, method: "REGISTER", password: Self.password, now: Self.now - 301) == .stale)
        #expect(server.verify(good, method: "REGISTER", password: Self.password, now: .nan) == .stale)
        #expect(
            server.verify(
                Self.answer(challenge, password: "guess"), method: "REGISTER",
                password: Self.password, now: Self.now + 301) == .invalid("wrong response"))
    }

    @Test func refusesTamperedAndForeignNonces() throws {
        let server = DigestServer(realm: "r", secret: Self.secret)
        let challenge = server.challenge(now: Self.now)
        let nonce = try #require(DigestChallenge.parse(challenge)?.nonce)

        // A later timestamp, as someone extending a nonce's life would forge it.
        var bytes = try #require(DigestText.bytes(hex: nonce))
        bytes[6] &+= 1
        let tampered = DigestTestSupport.replacing("nonce", with: DigestText.hex(bytes), in: challenge)
        #expect(
            server.verify(Self.answer(tampered), method: "REGISTER", password: Self.password, now: Self.now)
                == .invalid("foreign nonce"))
        for bad in ["", "zz", String(nonce.dropLast()), nonce + "00", "dcd98b7102dd2f0e8b11d0f600bfb0c093"] {
            let forged = DigestTestSupport.replacing("nonce", with: bad, in: challenge)
            #expect(
                server.verify(Self.answer(forged), method: "REGISTER", password: Self.password, now: Self.now)
                    == .invalid("foreign nonce"))
        }

        let otherSecret = DigestServer(realm: "r", secret: Array("another secret entirely".utf8))
        #expect(
            otherSecret.verify(Self.answer(challenge), method: "REGISTER", password: Self.password, now: Self.now)
                == .invalid("foreign nonce"))
    }

    @Test func refusesOtherRealms() {
        let ours = DigestServer(realm: "ours", secret: Self.secret)
        let theirs = DigestServer(realm: "theirs", secret: Self.secret)
        let theirChallenge = theirs.challenge(now: Self.now)
        #expect(
            ours.verify(Self.answer(theirChallenge), method: "REGISTER", password: Self.password, now: Self.now)
                == .invalid("realm mismatch"))
        // Their nonce presented under our realm: the nonce MAC binds the realm.
        let relabelled = DigestTestSupport.replacing("realm", with: "ours", in: theirChallenge)
        #expect(
            ours.verify(Self.answer(relabelled), method: "REGISTER", password: Self.password, now: Self.now)
                == .invalid("foreign nonce"))
    }

    @Test func refusesAnswersThatBreakTheRules() throws {
        let server = DigestServer(realm: "r", secret: Self.secret)
        let challenge = server.challenge(now: Self.now)
        let good = Self.answer(challenge)
        func verify(_ value: String) -> DigestVerification {
            server.verify(value, method: "REGISTER", password: Self.password, now: Self.now)
        }
        #expect(verify("") == .invalid("malformed header"))
        #expect(verify("Basic YWxpY2U6d29uZGVybGFuZA==") == .invalid("not Digest credentials"))
        #expect(verify(good.replacingOccurrences("username=", "user=")) == .invalid("missing username"))
        #expect(verify(good.replacingOccurrences("response=", "answer=")) == .invalid("missing response"))
        #expect(
            verify(good.replacingOccurrences("algorithm=MD5", "algorithm=SHA-256")) == .invalid("algorithm mismatch"))
        #expect(
            verify(good.replacingOccurrences("algorithm=MD5", "algorithm=MD5-sess")) == .invalid("algorithm mismatch"))
        #expect(verify(good.replacingOccurrences("qop=auth", "qop=auth-int")) == .invalid("unsupported qop"))
        #expect(verify(good.replacingOccurrences(", qop=auth", "")) == .invalid("unsupported qop"))
        #expect(verify(good.replacingOccurrences("nc=00000001", "nc=1")) == .invalid("bad nonce count"))
        #expect(verify(good.replacingOccurrences("nc=00000001", "nc=0000000g")) == .invalid("bad nonce count"))
        #expect(verify(good.replacingOccurrences("cnonce=\"0a4f113b\"", "cnonce=\"\"")) == .invalid("missing cnonce"))
        #expect(verify(good + ", userhash=true") == .invalid("userhash unsupported"))
        #expect(verify(good + ", realm=\"r\"") == .invalid("malformed header"), "a parameter given twice")
        let fields = try #require(DigestTestSupport.fields(good))
        let upper = DigestTestSupport.replacing("response", with: (fields["response"] ?? "").uppercased(), in: good)
        #expect(verify(upper) == .valid(username: "alice"), "hex case does not matter")
        #expect(verify(good.replacingOccurrences("algorithm=MD5", "algorithm=md5")) == .valid(username: "alice"))
        #expect(verify(good.replacingOccurrences(", algorithm=MD5", "")) == .valid(username: "alice"))
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var result = self
        result.replaceSubrange(range, with: replacement)
        return result
    }
}
