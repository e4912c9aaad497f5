import Testing

@testable import SIPDigest

/// Published test vectors (RFC 2617 §3.5, RFC 7616 §3.9.1) and independently computed ones for
/// the RFC 2069, auth-int and -sess forms.
@Suite struct DigestVectorTests {
    static let rfc2617Challenge = """
        Digest realm="testrealm@host.com", qop="auth,auth-int", \
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"
        """
    static let mufasa = DigestCredentials(username: "Mufasa", password: "Circle Of Life")

    static func rfc7616Challenge(_ algorithm: String) -> String {
        "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n"
            + "    algorithm=\(algorithm),\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
            + "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    }
    static let rfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    static let rfc7616Credentials = DigestCredentials(username: "Mufasa", password: "Circle of Life")

    @Test func rfc2617Section3_5() throws {
        let header = try #require(
            DigestClient.authorization(
                challenge: Self.rfc2617Challenge, credentials: Self.mufasa, method: "GET", uri: "/dir/index.html",
                body: [], nonceCount: 1, cnonce: "0a4f113b"))
        let fields = try #require(DigestTestSupport.fields(header))
        #expect(fields["response"] == "6629fae49393a05397450978507c4ef1")
        #expect(fields["username"] == "Mufasa")
        #expect(fields["realm"] == "testrealm@host.com")
        #expect(fields["nonce"] == "dcd98b7102dd2f0e8b11d0f600bfb0c093")
        #expect(fields["uri"] == "/dir/index.html")
        #expect(fields["qop"] == "auth")
        #expect(fields["nc"] == "00000001")
        #expect(fields["cnonce"] == "0a4f113b")
        #expect(fields["opaque"] == "5ccc069c403ebaf9f0171e9517f40e41")
        #expect(fields["algorithm"] == "MD5")
        #expect(header.hasPrefix("Digest username=\"Mufasa\", "))
        #expect(header.contains("qop=auth, nc=00000001"))
    }

    @Test func rfc7616Section3_9_1SHA256() throws {
        let header = DigestClient.authorization(
            challenge: Self.rfc7616Challenge("SHA-256"), credentials: Self.rfc7616Credentials, method: "GET",
            uri: "/dir/index.html", body: [], nonceCount: 1, cnonce: Self.rfc7616Cnonce)
        let fields = try #require(DigestTestSupport.fields(header))
        #expect(fields["response"] == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        #expect(fields["algorithm"] == "SHA-256")
        #expect(fields["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
    }

    @Test func rfc7616Section3_9_1MD5() throws {
        let header = DigestClient.authorization(
            challenge: Self.rfc7616Challenge("MD5"), credentials: Self.rfc7616Credentials, method: "GET",
            uri: "/dir/index.html", body: [], nonceCount: 1, cnonce: Self.rfc7616Cnonce)
        let fields = try #require(DigestTestSupport.fields(header))
        #expect(fields["response"] == "8ca523f5e9506fed4657c9700eebdbec")
    }

    @Test func rfc2069StyleWithoutQop() throws {
        let challenge = "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""
        let header = try #require(
            DigestClient.authorization(
                challenge: challenge, credentials: Self.mufasa, method: "GET", uri: "/dir/index.html", body: [],
                nonceCount: 1, cnonce: "0a4f113b"))
        let fields = try #require(DigestTestSupport.fields(header))
        #expect(fields["response"] == "670fd8c2df070c60b045671b8b24ff02")
        #expect(fields["qop"] == nil)
        #expect(fields["nc"] == nil)
        #expect(fields["cnonce"] == nil)
        #expect(fields["opaque"] == nil)
    }

    @Test func authIntHashesTheBody() throws {
        let challenge = """
            Digest realm="testrealm@host.com", qop="auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"
            """
        let header = DigestClient.authorization(
            challenge: challenge, credentials: Self.mufasa, method: "INVITE", uri: "sip:bob@example.com",
            body: Array("v=0\r\n".utf8), nonceCount: 1, cnonce: "0a4f113b")
        let fields = try #require(DigestTestSupport.fields(header))
        #expect(fields["qop"] == "auth-int")
        #expect(fields["response"] == "6a6e449f512a9f3e11597febd92718ea")
    }

    @Test func sessionVariants() throws {
        let md5 = DigestClient.authorization(
            challenge: Self.rfc2617Challenge + ", algorithm=MD5-sess", credentials: Self.mufasa, method: "GET",
            uri: "/dir/index.html", body: [], nonceCount: 1, cnonce: "0a4f113b")
        #expect(DigestTestSupport.fields(md5)?["response"] == "8e3825c57e897f5a0dec6c2d4e5059d0")
        #expect(DigestTestSupport.fields(md5)?["algorithm"] == "MD5-sess")

        let sha = DigestClient.authorization(
            challenge: Self.rfc7616Challenge("sha-256-SESS"), credentials: Self.rfc7616Credentials, method: "GET",
            uri: "/dir/index.html", body: [], nonceCount: 1, cnonce: Self.rfc7616Cnonce)
        #expect(
            DigestTestSupport.fields(sha)?["response"]
                == "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7")
    }

    @Test func nonceCountIsEightHexDigits() {
        #expect(DigestComputation.nonceCount(1) == "00000001")
        #expect(DigestComputation.nonceCount(0x1A) == "0000001a")
        #expect(DigestComputation.nonceCount(.max) == "ffffffff")
    }
}
