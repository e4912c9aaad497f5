import Testing

@testable import SIPDigest

@Suite struct DigestChallengeParsingTests {
    @Test func parsesATypicalSIPChallenge() throws {
        let challenge = try #require(
            DigestChallenge.parse(
                "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth\", "
                    + "nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5"))
        #expect(
            challenge
                == DigestChallenge(
                    realm: "atlanta.com", nonce: "f84f1cec41e6cbe5aea9c8e88d359", opaque: "", algorithm: .md5,
                    qop: ["auth"], stale: false))
    }

    @Test func unescapesQuotedStrings() throws {
        let challenge = try #require(
            DigestChallenge.parse(#"Digest realm="say \"hi\", ok", nonce="back\\slash\x""#))
        #expect(challenge.realm == #"say "hi", ok"#)
        #expect(challenge.nonce == #"back\slashx"#)
    }

    @Test func ignoresCaseOfSchemeNamesAndKeywords() throws {
        let challenge = try #require(
            DigestChallenge.parse(#"dIgEsT REALM="r", NoNcE=abc, ALGORITHM=sha-256, QOP="Auth,AUTH-INT", Stale=True"#))
        #expect(challenge.realm == "r")
        #expect(challenge.nonce == "abc")
        #expect(challenge.algorithm == .sha256)
        #expect(challenge.qop == ["auth", "auth-int"])
        #expect(challenge.stale)
    }

    @Test func toleratesWhitespaceAndCommas() throws {
        let challenge = try #require(
            DigestChallenge.parse("  Digest\t ,realm = \"r\" ,,  nonce=n1== ,\r\n qop=\" auth , auth-int ,\" ,  "))
        #expect(challenge.realm == "r")
        #expect(challenge.nonce == "n1==")
        #expect(challenge.qop == ["auth", "auth-int"])
        #expect(challenge.algorithm == .md5)
        #expect(challenge.opaque == nil)
        #expect(!challenge.stale)
    }

    @Test func acceptsUnquotedTokensAndSessionAlgorithms() throws {
        let challenge = try #require(DigestChallenge.parse("Digest realm=r, nonce=n, qop=auth, algorithm=MD5-sess"))
        #expect(challenge.algorithm == .md5Session)
        #expect(challenge.algorithm.isSession)
        #expect(DigestChallenge.parse("Digest realm=r, nonce=n, algorithm=SHA-256-sess")?.algorithm == .sha256Session)
    }

    @Test func picksTheDigestChallengeAmongSeveral() throws {
        let challenge = try #require(DigestChallenge.parse(#"Basic realm="b", Digest realm="d", nonce="n""#))
        #expect(challenge.realm == "d")
        let supported = try #require(
            DigestChallenge.parse(
                #"Digest realm="a", nonce="1", algorithm=SHA-512-256, Digest realm="a", nonce="2", algorithm=SHA-256"#))
        #expect(supported.nonce == "2")
        #expect(supported.algorithm == .sha256)
        #expect(DigestChallenge.parse(#"Bearer abc.def==, Digest realm="x", nonce="y""#)?.realm == "x")
    }

    @Test(arguments: [
        "",
        "   ,, ",
        "Digest",
        #"Basic realm="x""#,
        #"Digest nonce="n""#,
        #"Digest realm="r""#,
        #"Digest realm="r", nonce="n", algorithm=SHA-512-256"#,
        #"Digest realm="r", nonce="n", algorithm=token"#,
        #"Digest realm="r", realm="s", nonce="n""#,
        #"Digest realm="r", nonce="unterminated"#,
        #"Digest realm="r", nonce="n\"#,
        #"Digest realm="r", nonce="#,
        #"Digest realm="r", nonce=, qop=auth"#,
        #"Digest realm="r"nonce="n""#,
        #"Digest realm="r", nonce="n" ="x""#,
        #"Digest"realm="r", nonce="n""#,
        #"realm="r", nonce="n""#,
        #"Digest realm="r", "nonce"="n""#,
    ])
    func refusesMalformedOrUnsupported(_ value: String) {
        #expect(DigestChallenge.parse(value) == nil)
    }

    @Test func parserKeepsToken68AndParameters() throws {
        let all = try #require(DigestHeaderParser.parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==, Digest realm=r"))
        #expect(all.count == 2)
        #expect(all[0].scheme == "basic")
        #expect(all[0].token68 == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(all[1].parameters == ["realm": "r"])
    }
}
