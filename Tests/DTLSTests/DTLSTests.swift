import Foundation
import Testing

@testable import DTLS

@Suite struct DTLSTests {
    /// Shuttles datagrams between two endpoints until both settle; `drop` may lose datagrams.
    static func handshake(
        client: DTLSEndpoint, server: DTLSEndpoint, drop: (Int) -> Bool = { _ in false }
    ) -> (SRTPKeyingMaterial?, SRTPKeyingMaterial?, [DTLSError], Double) {
        var now = 0.0
        var toServer = client.start(now: now).datagrams
        var toClient: [[UInt8]] = []
        var clientKeys: SRTPKeyingMaterial?
        var serverKeys: SRTPKeyingMaterial?
        var failures: [DTLSError] = []
        var sent = 0
        for _ in 0..<200 {
            for datagram in toServer {
                sent += 1
                if drop(sent) { continue }
                let out = server.handle(datagram, now: now)
                toClient += out.datagrams
                if let keys = out.connected { serverKeys = keys }
                if let f = out.failure { failures.append(f) }
            }
            toServer = []
            for datagram in toClient {
                sent += 1
                if drop(sent) { continue }
                let out = client.handle(datagram, now: now)
                toServer += out.datagrams
                if let keys = out.connected { clientKeys = keys }
                if let f = out.failure { failures.append(f) }
            }
            toClient = []
            if (clientKeys != nil && serverKeys != nil) || !failures.isEmpty { break }
            if toServer.isEmpty {
                // Nothing in flight: move the clock to the next retransmit.
                let next = [client.nextTimeout, server.nextTimeout].compactMap { $0 }.min()
                guard let next else { break }
                now = next
                let c = client.handleTimeout(now: now)
                toServer += c.datagrams
                if let f = c.failure { failures.append(f) }
                let s = server.handleTimeout(now: now)
                toClient += s.datagrams
                if let f = s.failure { failures.append(f) }
            }
        }
        return (clientKeys, serverKeys, failures, now)
    }

    @Test func handshakeExportsMatchingSRTPKeys() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        #expect(a.fingerprint.count == 95)
        #expect(a.fingerprint != b.fingerprint)
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint.lowercased())
        let (clientKeys, serverKeys, failures, _) = Self.handshake(client: client, server: server)
        #expect(failures.isEmpty)
        let keys = try #require(clientKeys)
        #expect(keys == serverKeys)
        #expect(keys.profile == .aes128CmSha1_80)
        #expect(keys.clientKeySalt.count == 30)
        #expect(keys.clientKeySalt != keys.serverKeySalt)
        #expect(keys.keys(for: .client).local == keys.keys(for: .server).remote)
        #expect(client.isConnected && server.isConnected)
    }

    @Test func refusesAPeerWhoseCertificateDoesNotMatchTheFingerprint() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let impostor = try DTLSCertificate()
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: impostor.fingerprint)
        let (_, serverKeys, failures, _) = Self.handshake(client: client, server: server)
        #expect(serverKeys == nil)
        #expect(failures.contains(.fingerprintMismatch))
    }

    @Test func lostFlightsAreRetransmittedOnTheInjectedClock() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint)
        // Lose the first ClientHello and the server's first flight.
        let (clientKeys, serverKeys, failures, elapsed) = Self.handshake(client: client, server: server) {
            $0 == 1 || $0 == 3
        }
        #expect(failures.isEmpty)
        #expect(clientKeys != nil && clientKeys == serverKeys)
        #expect(elapsed >= 1, "a retransmit timer fired")
    }

    /// Once connected an endpoint releases OpenSSL's record buffers; whatever it reads or writes
    /// later (a datagram of the handshake again, close_notify either way) gets them back first.
    @Test(arguments: [true, false])
    func connectedEndpointsReadAndCloseEitherWay(serverCloses: Bool) throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint)
        var lastFlight: [[UInt8]] = []
        var toServer = client.start(now: 0).datagrams
        while !toServer.isEmpty {
            lastFlight = toServer
            let toClient = toServer.flatMap { server.handle($0, now: 0).datagrams }
            toServer = toClient.flatMap { client.handle($0, now: 0).datagrams }
        }
        #expect(client.isConnected && server.isConnected)
        // The same records again are replays: read and dropped, and the session goes on.
        for datagram in lastFlight { #expect(server.handle(datagram, now: 1).failure == nil) }
        let (closer, peer) = serverCloses ? (server, client) : (client, server)
        let alert = closer.close()
        #expect(!alert.isEmpty)
        #expect(alert.map { peer.handle($0, now: 2).failure }.contains(.closed))
        _ = peer.close()
    }

    /// The server's final flight (its Finished) lost: the client's Finished must go again in a
    /// fresh record, since the server drops a record it has seen as a replay and would never answer.
    /// OpenSSL resends in fresh records only once its own timer has run out on the wall clock (it
    /// cannot be given another clock), so this test lets real time pass, about a second.
    @Test func aLostFinalFlightIsAnsweredWhenTheClientResendsItsFinished() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        let client = try DTLSEndpoint(role: .client, certificate: a, remoteFingerprint: b.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: b, remoteFingerprint: a.fingerprint)
        var now = 0.0
        var toServer = client.start(now: now).datagrams
        var lostFinalFlight = false
        let started = ContinuousClock.now
        while !client.isConnected, !client.isFailed, ContinuousClock.now - started < .seconds(10) {
            var toClient: [[UInt8]] = []
            for datagram in toServer {
                let wasConnected = server.isConnected
                let out = server.handle(datagram, now: now)
                #expect(out.failure == nil)
                if !wasConnected, server.isConnected, !lostFinalFlight {
                    lostFinalFlight = true
                    continue
                }
                toClient += out.datagrams
            }
            toServer = toClient.flatMap { client.handle($0, now: now).datagrams }
            if toServer.isEmpty, toClient.isEmpty, let next = client.nextTimeout {
                Thread.sleep(forTimeInterval: 0.3)
                now = next
                toServer = client.handleTimeout(now: now).datagrams
            }
        }
        #expect(lostFinalFlight)
        #expect(client.isConnected, "the client heard the server's final flight again")
    }

    @Test func givesUpWhenThePeerNeverAnswers() throws {
        let a = try DTLSCertificate()
        let client = try DTLSEndpoint(
            role: .client, certificate: a, remoteFingerprint: a.fingerprint, maximumRetransmits: 3)
        var now = 0.0
        #expect(!client.start(now: now).datagrams.isEmpty)
        var failure: DTLSError?
        while failure == nil, let next = client.nextTimeout {
            now = next
            failure = client.handleTimeout(now: now).failure
        }
        #expect(failure == .timedOut)
        #expect(now == 1 + 2 + 4 + 8)
    }

    @Test func garbageNeverTraps() throws {
        let a = try DTLSCertificate()
        let server = try DTLSEndpoint(role: .server, certificate: a, remoteFingerprint: a.fingerprint)
        var state: UInt64 = 1
        for _ in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let bytes = (0..<Int(state >> 56)).map { UInt8(truncatingIfNeeded: state >> UInt64($0 % 60)) }
            _ = server.handle([22, 0xfe, 0xfd] + bytes, now: 0)
        }
    }
}
