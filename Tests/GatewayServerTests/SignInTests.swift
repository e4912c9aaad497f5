import ContactCenter
import Foundation
import HTTPTypes
import Testing

@testable import GatewayServer

/// Agents sign in without an API key: passwords (Argon2id), one-time links, the throttle, sign-out.
@Suite struct SignInTests {
    /// Cheap hashing: these tests are about the rules, `PasswordHasherTests` about the hash.
    static func gateway() async throws -> TestGateway {
        try await TestGateway.make { configuration in
            configuration.passwordHashMemoryKiB = 1024
            configuration.passwordHashIterations = 1
        }
    }

    @Test func aPasswordSetOverRESTSignsTheAgentInAndAWrongOneIsRefusedAlike() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        try await gw.withClient { client in
            let set = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)/credentials", key: gw.key,
                body: #"{"login":"Alice.Smith","password":"correct horse"}"#)
            #expect(set.status == .ok)
            #expect(set.json["login"]?.stringValue == "alice.smith", "logins are kept lower-case")
            #expect(set.json["password"] == nil && !set.text.contains("argon2"), "the hash never leaves")

            let shown = try await client.call(.get, "/ccaas/1/agents/\(alice.id)/credentials", key: gw.key)
            #expect(shown.json["login"]?.stringValue == "alice.smith")

            let signedIn = try await client.call(
                .post, "/webrtc/1/sign-in", key: nil, body: #"{"login":"ALICE.smith","password":"correct horse"}"#)
            #expect(signedIn.status == .ok)
            #expect(signedIn.json["agent"]?["displayName"]?.stringValue == "Alice Agent")
            #expect(signedIn.json["page"]?.stringValue == "/softphone")
            let claims = try gw.services.tokens.verify(
                signedIn.json["token"]?.stringValue ?? "", now: Int64(gw.clock.now().timeIntervalSince1970))
            #expect(claims.sub == alice.id && claims.name == "Alice Agent")
            #expect(claims.exp - claims.iat == 28_800)

            let wrong = try await client.call(
                .post, "/webrtc/1/sign-in", key: nil, body: #"{"login":"alice.smith","password":"wrong horse"}"#)
            let unknown = try await client.call(
                .post, "/webrtc/1/sign-in", key: nil, body: #"{"login":"nobody","password":"correct horse"}"#)
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.serviceText == unknown.serviceText, "no telling a wrong login from a wrong password")
            #expect(wrong.serviceText == "The login or password is wrong.")
        }
        try await gw.close()
    }

    @Test func badCredentialRequestsAreRefusedNamingTheField() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        let bob = try await gw.agent("Bob Agent")
        try await gw.withClient { client in
            let path = "/ccaas/1/agents/\(alice.id)/credentials"
            let short = try await client.call(.put, path, key: gw.key, body: #"{"login":"alice","password":"short"}"#)
            #expect(short.status == .badRequest)
            #expect(short.validationErrors("password") == ["size must be between 8 and 128"])
            let noLogin = try await client.call(.put, path, key: gw.key, body: #"{"password":"long enough"}"#)
            #expect(noLogin.validationErrors("login") == ["must not be null"], "the first time a login is needed")
            let spaces = try await client.call(
                .put, path, key: gw.key, body: #"{"login":"al ice","password":"long enough"}"#)
            #expect(spaces.validationErrors("login") == ["may contain only letters, digits and -_.@+"])
            let noAgent = try await client.call(
                .put, "/ccaas/1/agents/NOPE/credentials", key: gw.key,
                body: #"{"login":"ghost","password":"long enough"}"#)
            #expect(noAgent.status == .notFound)
            let noKey = try await client.call(.put, path, key: nil, body: #"{"login":"a1","password":"long enough"}"#)
            #expect(noKey.status == .unauthorized)

            #expect(
                try await client.call(.put, path, key: gw.key, body: #"{"login":"alice","password":"long enough"}"#)
                    .status == .ok)
            let taken = try await client.call(
                .put, "/ccaas/1/agents/\(bob.id)/credentials", key: gw.key,
                body: #"{"login":"ALICE","password":"long enough"}"#)
            #expect(taken.status == .conflict)
            #expect(taken.serviceText == "The login 'alice' is taken by another agent.")
            let byAgent = try await client.call(
                .put, "/ccaas/1/agents/\(bob.id)/credentials", key: gw.key, agent: alice.id,
                body: #"{"login":"bob","password":"long enough"}"#)
            #expect(byAgent.status == .forbidden, "an agent does not set others' sign-in")
            let renewed = try await client.call(.put, path, key: gw.key, body: #"{"password":"another one"}"#)
            #expect(renewed.status == .ok && renewed.json["login"]?.stringValue == "alice", "the login is kept")

            for body in [
                #"{"login":"alice"}"#, #"{"password":"x"}"#, #"{}"#, #"{"login":"a","password":"b","link":"c"}"#,
            ] {
                let refused = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: body)
                #expect(refused.status == .badRequest, "\(body)")
                #expect(refused.validationErrors("") == ["give login and password, or link"], "\(body)")
            }
            let notJSON = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: "login=alice")
            #expect(notJSON.status == .badRequest)
        }
        try await gw.close()
    }

    @Test func wrongPasswordsAreThrottledPerLoginAndARightOneForgivesThem() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        _ = try await gw.services.signIn.setPassword(agentId: alice.id, login: "alice", password: "correct horse")
        try await gw.withClient { client in
            func attempt(_ password: String) async throws -> Reply {
                try await client.call(
                    .post, "/webrtc/1/sign-in", key: nil, body: #"{"login":"alice","password":"\#(password)"}"#)
            }
            for _ in 0..<4 { #expect(try await attempt("wrong horse").status == .unauthorized) }
            #expect(try await attempt("correct horse").status == .ok, "a right password forgives the wrong ones")
            for _ in 0..<5 { #expect(try await attempt("wrong horse").status == .unauthorized) }
            let throttled = try await attempt("correct horse")
            #expect(throttled.status == .tooManyRequests, "even the right password waits")
            #expect(throttled.headers[.retryAfter] == "60")
            #expect(throttled.serviceText == "Too many sign-in attempts; try again in 60 s.")
            gw.clock.advance(by: 60)
            #expect(try await attempt("correct horse").status == .ok, "a minute later one attempt is back")
        }
        try await gw.close()
    }

    @Test func aSignInLinkWorksOnceUntilItExpires() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        let sam = try await gw.agent("Sam Supervisor", role: .SUPERVISOR)
        try await gw.withClient { client in
            let made = try await client.call(
                .post, "/ccaas/1/agents/\(alice.id)/sign-in-links", key: gw.key, body: #"{"timeToLive":120}"#)
            #expect(made.status == .ok)
            let url = try #require(made.json["url"]?.stringValue)
            #expect(url.contains("/softphone#signin="))
            let code = String(url.split(separator: "=").last!)
            let first = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: #"{"link":"\#(code)"}"#)
            #expect(first.status == .ok && first.json["agent"]?["id"]?.stringValue == alice.id)
            let again = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: #"{"link":"\#(code)"}"#)
            #expect(again.status == .unauthorized)
            #expect(again.serviceText == "The sign-in link is not valid or was already used.")

            let supervisorLink = try await client.call(
                .post, "/ccaas/1/agents/\(sam.id)/sign-in-links", key: gw.key, body: nil)
            #expect(supervisorLink.json["url"]?.stringValue?.contains("/supervisor#signin=") == true)

            let late = try await client.call(
                .post, "/ccaas/1/agents/\(alice.id)/sign-in-links", key: gw.key, body: #"{"timeToLive":60}"#)
            let lateCode = String(late.json["url"]!.stringValue!.split(separator: "=").last!)
            gw.clock.advance(by: 61)
            let expired = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: #"{"link":"\#(lateCode)"}"#)
            #expect(expired.status == .unauthorized && expired.serviceText == "The sign-in link has expired.")

            let tooLong = try await client.call(
                .post, "/ccaas/1/agents/\(alice.id)/sign-in-links", key: gw.key, body: #"{"timeToLive":604801}"#)
            #expect(tooLong.status == .badRequest && !tooLong.validationErrors("timeToLive").isEmpty)
        }
        try await gw.close()
    }

    @Test func aDisabledOrDeletedAgentCannotSignIn() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        _ = try await gw.services.signIn.setPassword(agentId: alice.id, login: "alice", password: "correct horse")
        let (code, _) = try await gw.services.signIn.createLink(agentId: alice.id, timeToLive: 600)
        try await gw.withClient { client in
            let disabled = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)", key: gw.key,
                body: #"{"displayName":"Alice Agent","status":"ACTIVE","role":"AGENT","enabled":false}"#)
            #expect(disabled.status == .ok)
            let byPassword = try await client.call(
                .post, "/webrtc/1/sign-in", key: nil, body: #"{"login":"alice","password":"correct horse"}"#)
            #expect(byPassword.status == .forbidden && byPassword.serviceText == "Agent \(alice.id) is disabled.")
            let byLink = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: #"{"link":"\#(code)"}"#)
            #expect(byLink.status == .forbidden)

            #expect(try await client.call(.delete, "/ccaas/1/agents/\(alice.id)", key: gw.key).status == .ok)
            #expect(try await gw.store.load(AgentCredential.self, id: alice.id) == nil, "its password goes with it")
        }
        try await gw.close()
    }

    @Test func signingOutRevokesThatTokenOnly() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        let (kept, _) = gw.services.issueToken(identity: alice.id, displayName: nil)
        let (token, _) = gw.services.issueToken(identity: alice.id, displayName: nil)
        try await gw.withClient { client in
            let missing = try await client.call(.post, "/webrtc/1/sign-out", key: nil)
            #expect(missing.status == .unauthorized)
            let out = try await client.execute(
                uri: "/webrtc/1/sign-out", method: .post, headers: [.authorization: "Bearer \(token)"]
            ) { $0.status }
            #expect(out == .ok)
            let forged = try await client.execute(
                uri: "/webrtc/1/sign-out", method: .post, headers: [.authorization: "Bearer \(token)x"]
            ) { $0.status }
            #expect(forged == .unauthorized)
        }
        let now = Int64(gw.clock.now().timeIntervalSince1970)
        #expect(await gw.services.revocations.isRevoked(try gw.services.tokens.verify(token, now: now)))
        #expect(!(await gw.services.revocations.isRevoked(try gw.services.tokens.verify(kept, now: now))))
        try await gw.close()
    }

    @Test func deletingCredentialsEndsPasswordAndLinks() async throws {
        let gw = try await Self.gateway()
        let alice = try await gw.agent("Alice Agent")
        _ = try await gw.services.signIn.setPassword(agentId: alice.id, login: "alice", password: "correct horse")
        let (code, _) = try await gw.services.signIn.createLink(agentId: alice.id, timeToLive: 600)
        try await gw.withClient { client in
            let path = "/ccaas/1/agents/\(alice.id)/credentials"
            #expect(try await client.call(.delete, path, key: gw.key).status == .ok)
            #expect(try await client.call(.delete, path, key: gw.key).status == .notFound)
            #expect(try await client.call(.get, path, key: gw.key).status == .notFound)
            let byLink = try await client.call(.post, "/webrtc/1/sign-in", key: nil, body: #"{"link":"\#(code)"}"#)
            #expect(byLink.status == .unauthorized)
        }
        try await gw.close()
    }
}

/// Argon2id through libsodium: the encoding, its costs, and what verifies.
@Suite struct PasswordHasherTests {
    @Test func hashesAreArgon2idWithTheConfiguredCostsAndSaltedApart() async throws {
        let hasher = PasswordHasher(memoryKiB: 2048, iterations: 2, threads: 1)
        let first = try await hasher.hash("correct horse")
        let second = try await hasher.hash("correct horse")
        #expect(first.hasPrefix("$argon2id$v=19$m=2048,t=2,p=1$"))
        #expect(first != second, "a fresh salt each time")
        #expect(try await hasher.verify("correct horse", against: first))
        #expect(!(try await hasher.verify("correct horsE", against: first)))
        #expect(!(try await hasher.verify("correct horse", against: nil)), "no hash: false, after the same work")
        #expect(!(try await hasher.verify("correct horse", against: "not a hash")))
        #expect(!hasher.needsRehash(first))
        #expect(PasswordHasher(memoryKiB: 4096, iterations: 2, threads: 1).needsRehash(first))
    }

    @Test func everyByteOfThePasswordCounts() async throws {
        let hasher = PasswordHasher(memoryKiB: 1024, iterations: 1, threads: 1)
        let withNul = try await hasher.hash("abc\u{0}defgh")
        #expect(!(try await hasher.verify("abc", against: withNul)), "an interior NUL does not cut the password")
        #expect(try await hasher.verify("abc\u{0}defgh", against: withNul))
        let unicode = try await hasher.hash("pässwörd-日本")
        #expect(try await hasher.verify("pässwörd-日本", against: unicode))
    }

    @Test func aPasswordHashedUnderOldCostsIsRehashedAtItsNextSignIn() async throws {
        let gw = try await SignInTests.gateway()
        let alice = try await gw.agent("Alice Agent")
        let old = PasswordHasher(memoryKiB: 2048, iterations: 1, threads: 1)
        let now = gw.clock.now()
        try await gw.store.save(
            AgentCredential(
                agentId: alice.id, login: "alice", passwordHash: try await old.hash("correct horse"), createdAt: now,
                updatedAt: now))
        _ = try await gw.services.signIn.signIn(login: "alice", password: "correct horse", source: "test")
        let stored = try #require(try await gw.store.load(AgentCredential.self, id: alice.id))
        #expect(stored.passwordHash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        try await gw.close()
    }
}

/// The throttle's arithmetic, on a given clock.
@Suite struct SignInThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSourceGetsItsBurstThenOneAttemptPerRefill() {
        var throttle = SignInThrottle()
        for i in 0..<20 { #expect(throttle.admit(source: "10.0.0.1", login: "u\(i)", now: start) == nil) }
        #expect(throttle.admit(source: "10.0.0.1", login: "other", now: start) == 3)
        #expect(throttle.admit(source: "10.0.0.2", login: "other", now: start) == nil, "another source is not held")
        #expect(throttle.admit(source: "10.0.0.1", login: nil, now: start.addingTimeInterval(2)) == 1)
        #expect(throttle.admit(source: "10.0.0.1", login: nil, now: start.addingTimeInterval(3)) == nil)
        #expect(throttle.admit(source: "10.0.0.1", login: nil, now: start.addingTimeInterval(3)) == 3)
    }

    @Test func aLoginGetsFiveWrongGuessesAndARefusedAttemptTakesNothing() {
        var throttle = SignInThrottle()
        for i in 0..<5 { #expect(throttle.admit(source: "s\(i)", login: "alice", now: start) == nil) }
        #expect(throttle.admit(source: "s9", login: "alice", now: start) == 60, "from any source")
        #expect(throttle.admit(source: "s9", login: "alice", now: start.addingTimeInterval(30)) == 30)
        #expect(throttle.admit(source: "s9", login: "alice", now: start.addingTimeInterval(60)) == nil)
        throttle.succeeded(login: "alice")
        for _ in 0..<5 {
            #expect(throttle.admit(source: "s9", login: "alice", now: start.addingTimeInterval(61)) == nil)
        }
    }

    @Test func theTableForgetsFullBucketsPastItsBound() {
        var throttle = SignInThrottle(
            perSource: .init(capacity: 2, refillSeconds: 1), perLogin: .init(capacity: 2, refillSeconds: 1))
        for i in 0..<(SignInThrottle.prunedAbove + 1) {
            _ = throttle.admit(source: "10.\(i)", login: nil, now: start)
        }
        #expect(throttle.count == SignInThrottle.prunedAbove + 1)
        _ = throttle.admit(source: "late", login: nil, now: start.addingTimeInterval(5))
        #expect(throttle.count == 1, "buckets refilled to capacity are dropped")
    }
}
