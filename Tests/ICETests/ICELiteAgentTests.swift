import STUN
import Testing

@testable import ICE

@Suite struct ICELiteAgentTests {
    let peer = TransportAddress(ip: [127, 0, 0, 1], port: 50000)
    let other = TransportAddress(ip: [127, 0, 0, 1], port: 50001)

    func check(
        username: String = "lite:full", password: String = "litepasswordlitepassword", nominate: Bool = false,
        id: UInt8 = 1
    )
        -> [UInt8]
    {
        var attributes: [(UInt16, [UInt8])] = [
            (STUNAttribute.username, Array(username.utf8)), (STUNAttribute.priority, [0x6e, 0, 1, 0xff]),
            (STUNAttribute.iceControlling, [1, 2, 3, 4, 5, 6, 7, 8]),
        ]
        if nominate { attributes.append((STUNAttribute.useCandidate, [])) }
        return STUNMessage(
            messageClass: .request, transactionID: Array(repeating: id, count: 12), attributes: attributes
        )
        .serialize(integrityKey: Array(password.utf8))
    }

    func agent() -> ICELiteAgent {
        ICELiteAgent(localUfrag: "lite", localPassword: "litepasswordlitepassword", remoteUfrag: "full")
    }

    @Test func answersChecksAndSelectsTheNominatedAddress() throws {
        let ice = agent()
        let first = ice.handle(check(), from: peer, now: 0)
        let response = try STUNMessage.parse(try #require(first.response))
        #expect(response.messageClass == .success)
        try STUNMessage.verifyIntegrity(first.response!, key: Array("litepasswordlitepassword".utf8))
        let mapped = try #require(
            STUNMessage.decodeXorMappedAddress(
                response.attribute(STUNAttribute.xorMappedAddress)!, transactionID: response.transactionID))
        #expect(mapped.ip == [127, 0, 0, 1] && mapped.port == 50000)
        #expect(ice.selected == nil)
        #expect(!ice.accepts(peer, now: 0))

        let nominated = ice.handle(check(nominate: true, id: 2), from: peer, now: 1)
        #expect(nominated.nominated == peer)
        #expect(ice.accepts(peer, now: 1))
        #expect(!ice.accepts(other, now: 1), "media from an unlatched address is dropped")
    }

    @Test func refusesBadCredentials() {
        let ice = agent()
        let wrongPassword = ice.handle(check(password: "wrong-password-wrong-pw"), from: peer, now: 0)
        #expect(wrongPassword.refused == "MESSAGE-INTEGRITY check failed")
        #expect(try! STUNMessage.parse(wrongPassword.response!).messageClass == .error)
        #expect(
            ice.handle(check(username: "someoneelse:full"), from: peer, now: 0).refused == "wrong or missing USERNAME")
        #expect(
            ice.handle(check(username: "lite:intruder"), from: peer, now: 0).refused == "USERNAME names another peer")
        #expect(ice.handle([0, 1, 2, 3], from: peer, now: 0).refused?.hasPrefix("malformed STUN") == true)
        #expect(ice.selected == nil)
    }

    @Test func consentExpiresWithoutChecksAndRenewsWithThem() {
        let ice = agent()
        _ = ice.handle(check(nominate: true), from: peer, now: 0)
        #expect(ice.accepts(peer, now: 29))
        _ = ice.handle(check(id: 3), from: peer, now: 25)
        #expect(ice.accepts(peer, now: 54))
        #expect(!ice.consentExpired(now: 54))
        #expect(!ice.accepts(peer, now: 55))
        #expect(ice.consentExpired(now: 55))
    }

    @Test func renominationMovesTheSelectedAddress() {
        let ice = agent()
        _ = ice.handle(check(nominate: true), from: peer, now: 0)
        let moved = ice.handle(check(nominate: true, id: 4), from: other, now: 1)
        #expect(moved.nominated == other)
        #expect(ice.accepts(other, now: 1))
        #expect(!ice.accepts(peer, now: 1))
    }
}
