import Testing

@testable import SIPDigest

@Suite struct DigestClientTests {
    static let challenge = #"Digest realm="r", nonce="n", qop="auth""#
    static let alice = DigestCredentials(username: "alice", password: "secret")

    func answer(
        _ challenge: String = challenge, credentials: DigestCredentials = alice, method: String = "REGISTER",
        uri: String = "sip:example.com", cnonce: String = "c"
    ) -> String? {
        DigestClient.authorization(
            challenge: challenge, credentials: credentials, method: method, uri: uri, body: [], nonceCount: 1,
            cnonce: cnonce)
    }

    @Test func answersAParsedChallengeTheSameWay() {
        let parsed = DigestChallenge(realm: "r", nonce: "n", qop: ["auth"])
        let fromParsed = DigestClient.authorization(
            challenge: parsed, credentials: Self.alice, method: "REGISTER", uri: "sip:example.com", body: [],
            nonceCount: 1, cnonce: "c")
        #expect(fromParsed != nil)
        #expect(fromParsed == answer())
    }

    @Test func prefersAuthOverAuthInt() {
        let header = answer(#"Digest realm="r", nonce="n", qop="auth-int,auth""#)
        #expect(DigestTestSupport.fields(header)?["qop"] == "auth")
    }

    @Test func escapesQuotesAndBackslashes() throws {
        let header = try #require(answer(credentials: DigestCredentials(username: #"a"b\c"#, password: "p")))
        #expect(header.contains(#"username="a\"b\\c""#))
        #expect(DigestTestSupport.fields(header)?["username"] == #"a"b\c"#)
    }

    @Test func echoesOpaqueAndStaysOnOneLine() throws {
        let header = try #require(answer(#"Digest realm="r", nonce="n", qop=auth, opaque="o\"p""#))
        #expect(DigestTestSupport.fields(header)?["opaque"] == #"o"p"#)
        #expect(!header.contains("\r") && !header.contains("\n"))
    }

    @Test func refusesWhatItCannotAnswer() {
        #expect(answer("Basic realm=\"r\"") == nil, "not Digest")
        #expect(answer(#"Digest realm="r", nonce="n", qop="auth-conf""#) == nil, "unknown qop only")
        #expect(answer(#"Digest realm="r", nonce="n", algorithm=MD5-sess"#) == nil, "-sess needs a qop")
        #expect(answer(cnonce: "") == nil, "qop needs a cnonce")
        #expect(answer(method: "IN VITE") == nil, "method is not a token")
        #expect(answer(method: "") == nil)
        #expect(answer(uri: "") == nil)
        #expect(answer(uri: "sip:a\r\nVia: x") == nil, "header injection through the uri")
        #expect(answer(credentials: DigestCredentials(username: "a\nb", password: "p")) == nil)
        #expect(answer(cnonce: "c\0") == nil)
        #expect(answer("Digest realm=\"r\u{7F}\", nonce=\"n\", qop=auth") == nil)
    }

    @Test func rfc2069AnswerNeedsNoCnonce() {
        #expect(answer(#"Digest realm="r", nonce="n""#, cnonce: "") != nil)
    }
}
