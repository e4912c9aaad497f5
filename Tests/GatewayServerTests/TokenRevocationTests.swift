import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

/// What a revocation refuses, and how long it is kept.
@Suite struct TokenRevocationTests {
    static func claims(_ identity: String, issued: Int64, expires: Int64, id: String) -> TokenClaims {
        TokenClaims(sub: identity, name: nil, iat: issued, exp: expires, jti: id)
    }

    @Test func anIdentityRevocationRefusesTokensIssuedUpToItsSecondAndNotLater() async throws {
        let gw = try await TestGateway.make()
        gw.clock.advance(by: 0.75 - gw.clock.now().timeIntervalSince1970.truncatingRemainder(dividingBy: 1))
        let second = Int64(gw.clock.now().timeIntervalSince1970.rounded(.down))
        let revocations = gw.services.revocations
        try await revocations.revoke(identity: "agent-1")
        #expect(
            await revocations.isRevoked(Self.claims("agent-1", issued: second - 100, expires: second + 100, id: "a")))
        #expect(await revocations.isRevoked(Self.claims("agent-1", issued: second, expires: second + 100, id: "b")))
        #expect(
            !(await revocations.isRevoked(Self.claims("agent-1", issued: second + 1, expires: second + 100, id: "c"))))
        #expect(!(await revocations.isRevoked(Self.claims("agent-2", issued: second, expires: second + 100, id: "d"))))
        try await gw.close()
    }

    @Test func aTokenRevocationRefusesThatTokenOnlyAndIsForgottenOnceItExpired() async throws {
        let gw = try await TestGateway.make()
        let now = Int64(gw.clock.now().timeIntervalSince1970)
        let stolen = Self.claims("agent-1", issued: now - 10, expires: now + 60, id: "stolen")
        try await gw.services.revocations.revoke(token: stolen)
        #expect(await gw.services.revocations.isRevoked(stolen))
        #expect(
            !(await gw.services.revocations.isRevoked(Self.claims("agent-1", issued: now, expires: now + 60, id: "x"))))
        #expect(try await gw.store.load(TokenRevocation.self, id: "token:stolen") != nil)

        gw.clock.advance(by: 61)
        try await gw.services.revocations.load()
        #expect(try await gw.store.load(TokenRevocation.self, id: "token:stolen") == nil, "deleted once expired")
        try await gw.close()
    }
}
