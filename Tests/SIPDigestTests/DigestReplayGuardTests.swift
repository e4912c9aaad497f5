import Testing

@testable import SIPDigest

/// Captured credentials cannot be played again: each nonce's count must grow.
@Suite struct DigestReplayGuardTests {
    static let server = DigestServer(realm: "r", secret: DigestServerTests.secret, nonceLifetime: 120)

    static func answer(_ challenge: String, count: UInt32) -> String {
        DigestClient.authorization(
            challenge: challenge, credentials: DigestCredentials(username: "alice", password: "wonderland"),
            method: "INVITE", uri: "sip:+15550100@gateway", body: [], nonceCount: count, cnonce: "c\(count)") ?? ""
    }

    @Test func aReplayedAnswerIsRefusedAndAGrowingCountAccepted() {
        var replays = DigestReplayGuard(lifetime: 120)
        let now = DigestServerTests.now
        let challenge = Self.server.challenge(now: now)
        let first = Self.answer(challenge, count: 1)
        #expect(
            Self.server.verify(first, method: "INVITE", password: DigestServerTests.password, now: now + 1)
                == .valid(username: "alice"))
        let firstUse = replays.admit(first, now: now + 1)
        #expect(firstUse)
        let replayed = replays.admit(first, now: now + 2)
        #expect(!replayed, "the same answer again")
        let grown = replays.admit(Self.answer(challenge, count: 3), now: now + 3)
        #expect(grown, "a count that grew")
        let shrunk = replays.admit(Self.answer(challenge, count: 2), now: now + 4)
        #expect(!shrunk, "a count below one seen")
        let other = Self.answer(Self.server.challenge(now: now), count: 1)
        let otherNonce = replays.admit(other, now: now + 5)
        #expect(otherNonce, "another nonce has its own count")
        #expect(replays.count == 2)
    }

    @Test func nonceCountsAreForgottenOnceTheNonceIsStale() {
        var replays = DigestReplayGuard(lifetime: 120)
        let now = DigestServerTests.now
        for i in 0..<50 {
            let fresh = replays.admit(Self.answer(Self.server.challenge(now: now), count: 1), now: now + Double(i))
            #expect(fresh)
        }
        #expect(replays.count == 50)
        _ = replays.admit(Self.answer(Self.server.challenge(now: now + 500), count: 1), now: now + 500)
        #expect(replays.count == 1, "entries older than the lifetime are swept")
    }

    @Test func atCapacityTheOldestNonceMakesRoom() {
        var replays = DigestReplayGuard(lifetime: 120, capacity: 3)
        let now = DigestServerTests.now
        let answers = (0..<4).map { _ in Self.answer(Self.server.challenge(now: now), count: 1) }
        for (i, answer) in answers.enumerated() {
            let admitted = replays.admit(answer, now: now + Double(i))
            #expect(admitted)
        }
        #expect(replays.count == 3)
        let newestAgain = replays.admit(answers[3], now: now + 5)
        #expect(!newestAgain, "the newest is still remembered")
    }

    @Test(arguments: [
        "", "Digest realm=\"r\"", "Digest nonce=\"n\", nc=1", "Digest nonce=\"n\", nc=zzzzzzzz", "Basic x",
    ])
    func credentialsWithoutANonceAndCountAreRefused(_ header: String) {
        var replays = DigestReplayGuard(lifetime: 120)
        let admitted = replays.admit(header, now: 0)
        #expect(!admitted)
        #expect(replays.count == 0)
    }
}
