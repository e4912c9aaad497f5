import STUN
import Testing

@testable import ICE

@Suite struct ICEFullAgentTests {
    static let client = TransportAddress(ip: [127, 0, 0, 1], port: 50000)
    static let gateway = TransportAddress(ip: [127, 0, 0, 1], port: 40000)
    static let nowhere = TransportAddress(ip: [127, 0, 0, 1], port: 9)

    static func pair(remotePassword: String = "lite-password-0123456789") -> (ICEFullAgent, ICELiteAgent) {
        let lite = ICELiteAgent(localUfrag: "lite", localPassword: "lite-password-0123456789", remoteUfrag: "full")
        let full = ICEFullAgent(
            role: .controlling,
            localUfrag: "full", localPassword: "full-password-0123456789", remoteUfrag: "lite",
            remotePassword: remotePassword, remoteCandidates: [nowhere, gateway])
        return (full, lite)
    }

    @Test func nominatesTheCandidateThatAnswersAndKeepsConsent() throws {
        let (full, lite) = Self.pair()
        let first = full.start(now: 0)
        #expect(first.datagrams.map(\.destination) == [Self.nowhere, Self.gateway])
        let check = try #require(first.datagrams.first { $0.destination == Self.gateway })
        let message = try STUNMessage.parse(check.bytes)
        #expect(message.username == "lite:full" && message.hasUseCandidate)
        #expect(message.attribute(STUNAttribute.iceControlling)?.count == 8)
        let answer = lite.handle(check.bytes, from: Self.client, now: 0)
        #expect(answer.nominated == Self.client, "the lite side nominates the client's address")
        let response = try #require(answer.response)
        let selected = full.handle(response, from: Self.gateway, now: 0.01)
        #expect(selected.selected == Self.gateway && full.selected == Self.gateway)
        // The unanswered candidate's check is dropped once a pair is selected: no retransmission.
        #expect(full.handleTimeout(now: 0.2).datagrams.isEmpty)
        // A consent check every 5 s, answered, keeps the call alive past 30 s.
        var now = 0.01
        for _ in 0..<8 {
            now += 5
            let consent = full.handleTimeout(now: now)
            #expect(consent.datagrams.count == 1 && consent.failure == nil)
            let reply = try #require(lite.handle(consent.datagrams[0].bytes, from: Self.client, now: now).response)
            _ = full.handle(reply, from: Self.gateway, now: now)
        }
        #expect(!full.failed)
    }

    @Test func wrongPasswordOrSilenceFailsWithAReason() throws {
        let (full, lite) = Self.pair(remotePassword: "not-the-lite-password-xx")
        let first = full.start(now: 0)
        let check = try #require(first.datagrams.first { $0.destination == Self.gateway })
        let answer = lite.handle(check.bytes, from: Self.client, now: 0)
        #expect(answer.refused != nil, "the lite side refuses the bad integrity")
        if let response = answer.response { #expect(full.handle(response, from: Self.gateway, now: 0).selected == nil) }
        var now = 0.0
        var sent = first.datagrams.count
        var failure: String?
        while failure == nil, now < 30 {
            now = full.nextTimeout ?? now + 1
            let output = full.handleTimeout(now: now)
            sent += output.datagrams.count
            failure = output.failure
        }
        #expect(failure == "no candidate answered the connectivity checks")
        #expect(sent == 2 * full.maxAttempts, "each candidate is tried maxAttempts times")
        #expect(full.nextTimeout == nil)
    }

    @Test func consentLostEndsTheSession() throws {
        let (full, lite) = Self.pair()
        let check = try #require(full.start(now: 0).datagrams.first { $0.destination == Self.gateway })
        _ = full.handle(
            try #require(lite.handle(check.bytes, from: Self.client, now: 0).response), from: Self.gateway, now: 0)
        var failure: String?
        var now = 0.0
        while failure == nil, now < 60 {
            now += 1
            failure = full.handleTimeout(now: now).failure
        }
        #expect(failure?.hasPrefix("consent lost") == true && now >= 30)
    }

    @Test func answersThePeersChecksAndNeverTrapsOnGarbage() throws {
        let (full, _) = Self.pair()
        _ = full.start(now: 0)
        let request = STUNMessage(
            messageClass: .request, transactionID: Array(repeating: 7, count: 12),
            attributes: [(STUNAttribute.username, Array("full:lite".utf8))])
        let reply = full.handle(
            request.serialize(integrityKey: Array("full-password-0123456789".utf8)), from: Self.gateway, now: 0)
        let response = try STUNMessage.parse(try #require(reply.datagrams.first).bytes)
        #expect(response.messageClass == .success && response.transactionID == request.transactionID)
        // Forged integrity gets nothing.
        let forged = request.serialize(integrityKey: Array("wrong".utf8))
        #expect(full.handle(forged, from: Self.gateway, now: 0).datagrams.isEmpty)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0..<120, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = full.handle(bytes, from: Self.gateway, now: 1)
        }
        let valid = request.serialize(integrityKey: Array("full-password-0123456789".utf8))
        for cut in 0..<valid.count { _ = full.handle(Array(valid[0..<cut]), from: Self.gateway, now: 1) }
    }

    /// Two full agents on an in-memory wire: datagrams from each are delivered to the other
    /// until both are quiet.
    static func exchange(
        _ a: ICEFullAgent, at aAddress: TransportAddress, _ b: ICEFullAgent, at bAddress: TransportAddress,
        first: [ICEFullAgent.Datagram], from firstSender: TransportAddress, now: Double
    ) -> (aSelected: TransportAddress?, bSelected: TransportAddress?) {
        var queue = first.map { ($0, firstSender) }
        var aSelected: TransportAddress?
        var bSelected: TransportAddress?
        while !queue.isEmpty {
            let (datagram, sender) = queue.removeFirst()
            if datagram.destination == aAddress {
                let output = a.handle(datagram.bytes, from: sender, now: now)
                aSelected = aSelected ?? output.selected
                queue += output.datagrams.map { ($0, aAddress) }
            } else if datagram.destination == bAddress {
                let output = b.handle(datagram.bytes, from: sender, now: now)
                bSelected = bSelected ?? output.selected
                queue += output.datagrams.map { ($0, bAddress) }
            }
        }
        return (aSelected, bSelected)
    }

    static func fullPair() -> (controlling: ICEFullAgent, controlled: ICEFullAgent) {
        let controlling = ICEFullAgent(
            role: .controlling, localUfrag: "ctlg", localPassword: "controlling-password-0123", remoteUfrag: "ctld",
            remotePassword: "controlled-password-01234", remoteCandidates: [gateway])
        let controlled = ICEFullAgent(
            role: .controlled, localUfrag: "ctld", localPassword: "controlled-password-01234", remoteUfrag: "ctlg",
            remotePassword: "controlling-password-0123", remoteCandidates: [nowhere, client])
        return (controlling, controlled)
    }

    @Test func controlledAgentSelectsThePairTheControllingAgentNominated() throws {
        let (controlling, controlled) = Self.fullPair()
        // The controlled agent checks first; its checks carry ICE-CONTROLLED and no USE-CANDIDATE.
        let early = controlled.start(now: 0)
        let message = try STUNMessage.parse(try #require(early.datagrams.first { $0.destination == Self.client }).bytes)
        #expect(!message.hasUseCandidate && message.attribute(STUNAttribute.iceControlled)?.count == 8)
        let quiet = Self.exchange(
            controlling, at: Self.client, controlled, at: Self.gateway, first: early.datagrams, from: Self.gateway,
            now: 0)
        #expect(quiet.bSelected == nil, "a successful check alone selects nothing on the controlled side")
        #expect(controlled.selected == nil)
        let selection = Self.exchange(
            controlling, at: Self.client, controlled, at: Self.gateway, first: controlling.start(now: 0.05).datagrams,
            from: Self.client, now: 0.05)
        #expect(selection.aSelected == Self.gateway)
        #expect(selection.bSelected == Self.client && controlled.selected == Self.client)
    }

    @Test func controlledAgentChecksANominationFromAnUnknownAddressFirst() throws {
        let controlling = Self.fullPair().controlling
        // The answer listed no candidate: the peer's address is learnt from its checks.
        let controlled = ICEFullAgent(
            role: .controlled, localUfrag: "ctld", localPassword: "controlled-password-01234", remoteUfrag: "ctlg",
            remotePassword: "controlling-password-0123", remoteCandidates: [])
        #expect(controlled.start(now: 0).datagrams.isEmpty)
        // The controlling agent's nominating check arrives before any check of ours succeeded:
        // a triggered check goes back, and the pair is selected when it succeeds.
        let nomination = controlling.start(now: 0.01).datagrams
        let reply = controlled.handle(nomination[0].bytes, from: Self.client, now: 0.01)
        #expect(reply.selected == nil)
        #expect(reply.datagrams.count == 2, "the answer and a triggered check")
        let triggered = try #require(reply.datagrams.last)
        #expect(triggered.destination == Self.client)
        let response = try #require(controlling.handle(triggered.bytes, from: Self.gateway, now: 0.02).datagrams.first)
        #expect(controlled.handle(response.bytes, from: Self.client, now: 0.02).selected == Self.client)
    }

    @Test func controlledAgentGivesUpWithoutANomination() {
        let (_, controlled) = Self.fullPair()
        _ = controlled.start(now: 0)
        var now = 0.0
        var failure: String?
        while failure == nil, now < 40 {
            now = max(now + 0.01, controlled.nextTimeout ?? now + 1)
            failure = controlled.handleTimeout(now: now).failure
        }
        #expect(failure == "no candidate answered the connectivity checks")
    }
}
