import Testing

@testable import DTLS

/// An endpoint that has released OpenSSL's session (`retire`) keeps only the record keys: the
/// peer's close_notify must still end the association and its own must still reach the peer,
/// whichever side retired; anything else, forged or broken, is ignored.
@Suite struct DTLSRetireTests {
    static func connectedPair(offering suites: String? = nil) throws -> (client: DTLSEndpoint, server: DTLSEndpoint) {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint)
        if let suites { #expect(client.offerOnly(suites)) }
        var toServer = client.start(now: 0).datagrams
        while !toServer.isEmpty {
            let toClient = toServer.flatMap { server.handle($0, now: 0).datagrams }
            toServer = toClient.flatMap { client.handle($0, now: 0).datagrams }
        }
        #expect(client.isConnected && server.isConnected)
        return (client, server)
    }

    static let suites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]

    @Test(arguments: suites, [(true, false), (false, true), (true, true)])
    func closeNotifyGoesEitherWayWhenEitherSideRetired(suite: String, retired: (closer: Bool, peer: Bool)) throws {
        for serverCloses in [true, false] {
            let (client, server) = try Self.connectedPair(offering: suite)
            let (closer, peer) = serverCloses ? (server, client) : (client, server)
            if retired.closer { #expect(closer.retire()) }
            if retired.peer { #expect(peer.retire()) }
            #expect(closer.isRetired == retired.closer && peer.isRetired == retired.peer)
            let alert = closer.close()
            #expect(!alert.isEmpty)
            let outcome = alert.map { peer.handle($0, now: 1) }
            #expect(outcome.contains { $0.failure == .closed }, "\(suite), server closes: \(serverCloses)")
            #expect(peer.isFailed)
        }
    }

    @Test func aForgedOrDamagedAlertIsIgnored() throws {
        let (client, server) = try Self.connectedPair()
        let (witness, _) = try Self.connectedPair()
        #expect(server.retire())
        let genuine = try #require(client.close().first)
        // Another association's close_notify (other keys), a flipped bit in the tag or the cipher
        // text, a changed sequence number (it is authenticated), the alert cut short, a length
        // past the datagram, and the server's own close_notify sent back to it (the other
        // direction's keys): none ends the association.
        var forgeries: [[UInt8]] = [try #require(witness.close().first)]
        for index in [genuine.count - 1, 13 + 8, 10] {
            var damaged = genuine
            damaged[index] ^= 0x01
            forgeries.append(damaged)
        }
        forgeries.append(Array(genuine.dropLast(3)))
        var longer = genuine
        longer[12] &+= 40
        forgeries.append(longer)
        forgeries.append(try #require(server.close().first))
        for forgery in forgeries {
            #expect(server.handle(forgery, now: 1).failure == nil)
            #expect(!server.isFailed)
        }
        // The genuine one, after a stray record of another type in the same datagram, still counts.
        let handshakeResend: [UInt8] = [22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 1, 2]
        #expect(server.handle(handshakeResend + genuine, now: 2).failure == .closed)
    }

    @Test func garbageNeverTrapsARetiredEndpoint() throws {
        let (client, server) = try Self.connectedPair()
        #expect(client.retire())
        var generator = SystemRandomNumberGenerator()
        for length in 1..<200 {
            let datagram = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var alert = datagram
            if length >= 13 { (alert[0], alert[3], alert[4]) = (21, 0, 1) }
            #expect(client.handle(datagram, now: 1).failure == nil)
            #expect(client.handle(alert, now: 1).failure == nil)
        }
        #expect(server.close().map { client.handle($0, now: 2).failure }.contains(.closed))
    }

    @Test func onlyAConnectedAESGCMAssociationIsRetired() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let early = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        #expect(!early.retire(), "not before the handshake")
        _ = early.start(now: 0)
        #expect(!early.retire())
        // A peer that chose a suite other than AES-GCM keeps OpenSSL's session, which still works.
        for suite in ["ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA"] {
            let (client, server) = try Self.connectedPair(offering: suite)
            #expect(!client.retire() && !server.retire(), "\(suite)")
            #expect(!client.isRetired)
            #expect(client.close().map { server.handle($0, now: 1).failure }.contains(.closed))
        }
        // Once retired, again is a no-op, and a closed association cannot be retired.
        let (client, server) = try Self.connectedPair()
        #expect(client.retire())
        #expect(!client.retire())
        #expect(client.isRetired)
        _ = client.close().map { server.handle($0, now: 1) }
        #expect(server.isFailed && !server.retire())
    }
}
