import SIPMessage
import Testing

@testable import SIP

@Suite struct ClientTransactionTests {
    static let timers = SIPTimerValues()

    static func request(_ method: String, branch: String = "z9hG4bKclient1") -> SIPMessage {
        message(
            """
            \(method) sip:bob@10.0.0.2 SIP/2.0\r
            Via: SIP/2.0/UDP 10.0.0.1:5060;branch=\(branch);rport\r
            Max-Forwards: 70\r
            Route: <sip:proxy.example.com;lr>\r
            From: <sip:alice@10.0.0.1>;tag=a1\r
            To: <sip:bob@10.0.0.2>\r
            Call-ID: tx-test\r
            CSeq: 7 \(method)\r
            \r

            """)
    }

    static func response(_ status: Int, to request: SIPMessage, toTag: String? = "b1") -> SIPMessage {
        var headers = SIPHeaders()
        for name in ["Via", "From", "Call-ID", "CSeq"] { headers.add(name, request.headers[name] ?? "") }
        headers.add("To", (request.headers["To"] ?? "") + (toTag.map { ";tag=\($0)" } ?? ""))
        return SIPMessage(.response(status: status, reason: "X"), headers: headers)
    }

    /// Runs the transaction's timers up to `end`, returning the times something was sent.
    static func sendTimes(_ transaction: ClientTransaction, until end: Double) -> (sends: [Double], timedOutAt: Double?)
    {
        var sends: [Double] = []
        while let next = transaction.nextTimeout, next <= end {
            let outputs = transaction.handleTimeout(now: next)
            for output in outputs {
                if case .send = output { sends.append(next) }
                if case .timeout = output { return (sends, next) }
            }
        }
        return (sends, nil)
    }

    @Test func inviteTimerADoublesUntilTimerB() throws {
        let transaction = try #require(
            ClientTransaction(request: Self.request("INVITE"), reliable: false, timers: Self.timers))
        #expect(transaction.start(now: 0).sendCount == 1)
        #expect(transaction.state == .calling)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5])
        #expect(timedOut == 32)
        #expect(transaction.state == .terminated)
        #expect(transaction.nextTimeout == nil)
    }

    @Test func inviteOverTCPNeverRetransmits() throws {
        let transaction = try #require(
            ClientTransaction(request: Self.request("INVITE"), reliable: true, timers: Self.timers))
        _ = transaction.start(now: 0)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends.isEmpty)
        #expect(timedOut == 32)
    }

    @Test func provisionalStopsRetransmissionsAndTimerB() throws {
        let request = Self.request("INVITE")
        let transaction = try #require(ClientTransaction(request: request, reliable: false, timers: Self.timers))
        _ = transaction.start(now: 0)
        let outputs = transaction.receive(Self.response(180, to: request), now: 0.2)
        guard case .response(let response) = outputs.first else {
            Issue.record("no response passed up")
            return
        }
        #expect(response.status == 180)
        #expect(transaction.state == .proceeding)
        #expect(transaction.nextTimeout == nil)
    }

    @Test func inviteNonSuccessIsAcknowledgedByTheTransaction() throws {
        let request = Self.request("INVITE")
        let transaction = try #require(ClientTransaction(request: request, reliable: false, timers: Self.timers))
        _ = transaction.start(now: 0)
        let busy = Self.response(486, to: request)
        let outputs = transaction.receive(busy, now: 1)
        #expect(outputs.count == 2)
        guard case .send(let bytes) = outputs.first, case .response(let passed) = outputs.last else {
            Issue.record("expected ACK then response")
            return
        }
        #expect(passed.status == 486)
        let ack = try SIPMessage.parse(bytes)
        #expect(ack.startLine == .request(method: "ACK", uri: "sip:bob@10.0.0.2"))
        #expect(ack.headers.values("Via") == ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKclient1;rport"])
        #expect(ack.headers["To"] == "<sip:bob@10.0.0.2>;tag=b1")
        #expect(ack.headers["From"] == request.headers["From"])
        #expect(ack.headers["Call-ID"] == "tx-test")
        #expect(ack.headers["CSeq"] == "7 ACK")
        #expect(ack.headers["Route"] == "<sip:proxy.example.com;lr>")
        #expect(transaction.state == .completed)
        // A retransmitted final response is absorbed and acknowledged again.
        let again = transaction.receive(busy, now: 2)
        #expect(again.count == 1)
        #expect(again.sendCount == 1)
        // Timer D: 32 s over UDP.
        #expect(transaction.nextTimeout == 33)
        _ = transaction.handleTimeout(now: 33)
        #expect(transaction.state == .terminated)
    }

    @Test func timerDIsZeroOverTCP() throws {
        let request = Self.request("INVITE")
        let transaction = try #require(ClientTransaction(request: request, reliable: true, timers: Self.timers))
        _ = transaction.start(now: 0)
        _ = transaction.receive(Self.response(603, to: request), now: 1)
        #expect(transaction.nextTimeout == 1)
        _ = transaction.handleTimeout(now: 1)
        #expect(transaction.state == .terminated)
    }

    @Test func inviteSuccessEndsTheTransaction() throws {
        let request = Self.request("INVITE")
        let transaction = try #require(ClientTransaction(request: request, reliable: false, timers: Self.timers))
        _ = transaction.start(now: 0)
        let outputs = transaction.receive(Self.response(200, to: request), now: 1)
        #expect(outputs.count == 1)
        #expect(outputs.sendCount == 0)
        #expect(transaction.state == .terminated)
    }

    @Test func nonInviteTimerECapsAtT2AndTimerFTimesOut() throws {
        let transaction = try #require(
            ClientTransaction(request: Self.request("OPTIONS"), reliable: false, timers: Self.timers))
        _ = transaction.start(now: 0)
        #expect(transaction.state == .trying)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
        #expect(timedOut == 32)
    }

    @Test func nonInviteProceedingRetransmitsEveryT2() throws {
        let request = Self.request("BYE")
        let transaction = try #require(ClientTransaction(request: request, reliable: false, timers: Self.timers))
        _ = transaction.start(now: 0)
        _ = transaction.handleTimeout(now: 0.5)
        _ = transaction.receive(Self.response(100, to: request, toTag: nil), now: 1)
        #expect(transaction.state == .proceeding)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends == [1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5])
        #expect(timedOut == 32)
    }

    @Test func nonInviteTimerKIsT4OverUDPAndZeroOverTCP() throws {
        for (reliable, wait) in [(false, 5.0), (true, 0.0)] {
            let request = Self.request("BYE")
            let transaction = try #require(ClientTransaction(request: request, reliable: reliable, timers: Self.timers))
            _ = transaction.start(now: 0)
            let outputs = transaction.receive(Self.response(200, to: request), now: 2)
            #expect(outputs.count == 1)
            #expect(transaction.state == .completed)
            #expect(transaction.receive(Self.response(200, to: request), now: 2.5).isEmpty)
            #expect(transaction.nextTimeout == 2 + wait)
            _ = transaction.handleTimeout(now: 2 + wait)
            #expect(transaction.state == .terminated)
        }
    }

    @Test func tcpNonInviteNeverRetransmits() throws {
        let transaction = try #require(
            ClientTransaction(request: Self.request("OPTIONS"), reliable: true, timers: Self.timers))
        _ = transaction.start(now: 0)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends.isEmpty)
        #expect(timedOut == 32)
    }

    @Test func configurableTimers() throws {
        let timers = SIPTimerValues(t1: 0.1, t2: 0.4, t4: 1)
        let transaction = try #require(
            ClientTransaction(request: Self.request("OPTIONS"), reliable: false, timers: timers))
        _ = transaction.start(now: 0)
        let (sends, timedOut) = Self.sendTimes(transaction, until: 100)
        #expect(sends.prefix(4).map { ($0 * 10).rounded() / 10 } == [0.1, 0.3, 0.7, 1.1])
        #expect(timedOut.map { ($0 * 10).rounded() / 10 } == 6.4)
    }

    @Test func noTransactionForACKOrWithoutBranch() {
        #expect(ClientTransaction(request: Self.request("ACK"), reliable: false, timers: Self.timers) == nil)
        var noVia = Self.request("OPTIONS")
        noVia.headers.remove("Via")
        #expect(ClientTransaction(request: noVia, reliable: false, timers: Self.timers) == nil)
    }
}

@Suite struct ServerTransactionTests {
    static let timers = SIPTimerValues()

    static func respond(_ transaction: ServerTransaction, _ status: Int, now: Double) -> [TransactionOutput] {
        let response = ClientTransactionTests.response(status, to: transaction.request)
        return transaction.respond(response, now: now)
    }

    @Test func inviteRetransmissionGetsTheLastProvisional() throws {
        let request = ClientTransactionTests.request("INVITE")
        let transaction = try #require(ServerTransaction(request: request, reliable: false, timers: Self.timers))
        #expect(transaction.state == .proceeding)
        #expect(transaction.receive(request, now: 0.1).isEmpty)
        #expect(Self.respond(transaction, 100, now: 0.1).sendCount == 1)
        #expect(Self.respond(transaction, 180, now: 0.2).sendCount == 1)
        let again = transaction.receive(request, now: 0.6)
        guard case .send(let bytes) = again.first else {
            Issue.record("no retransmission")
            return
        }
        #expect(try SIPMessage.parse(bytes).status == 180)
    }

    @Test func timerGDoublesToT2AndTimerHGivesUp() throws {
        let request = ClientTransactionTests.request("INVITE")
        let transaction = try #require(ServerTransaction(request: request, reliable: false, timers: Self.timers))
        _ = Self.respond(transaction, 486, now: 0)
        #expect(transaction.state == .completed)
        var sends: [Double] = []
        var timedOut: Double?
        while let next = transaction.nextTimeout {
            for output in transaction.handleTimeout(now: next) {
                if case .send = output { sends.append(next) }
                if case .timeout = output { timedOut = next }
            }
        }
        #expect(sends == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
        #expect(timedOut == 32)
        #expect(transaction.state == .terminated)
    }

    @Test func ackConfirmsAndTimerIEnds() throws {
        for (reliable, wait) in [(false, 5.0), (true, 0.0)] {
            let request = ClientTransactionTests.request("INVITE")
            let transaction = try #require(ServerTransaction(request: request, reliable: reliable, timers: Self.timers))
            _ = Self.respond(transaction, 404, now: 0)
            #expect(transaction.nextTimeout == (reliable ? 32 : 0.5))
            // A retransmitted INVITE gets the final response again.
            #expect(transaction.receive(request, now: 0.2).sendCount == 1)
            let ack = ClientTransactionTests.request("ACK")
            #expect(transaction.receive(ack, now: 0.3).isEmpty)
            #expect(transaction.state == .confirmed)
            #expect(transaction.receive(ack, now: 0.4).isEmpty)
            #expect(transaction.receive(request, now: 0.4).isEmpty)
            #expect(transaction.nextTimeout == 0.3 + wait)
            _ = transaction.handleTimeout(now: 0.3 + wait)
            #expect(transaction.state == .terminated)
        }
    }

    @Test func inviteSuccessEndsTheServerTransaction() throws {
        let transaction = try #require(
            ServerTransaction(request: ClientTransactionTests.request("INVITE"), reliable: false, timers: Self.timers))
        #expect(Self.respond(transaction, 200, now: 0).sendCount == 1)
        #expect(transaction.state == .terminated)
        #expect(Self.respond(transaction, 486, now: 0).isEmpty)
    }

    @Test func nonInviteTimerJ() throws {
        for (reliable, wait) in [(false, 32.0), (true, 0.0)] {
            let request = ClientTransactionTests.request("BYE")
            let transaction = try #require(ServerTransaction(request: request, reliable: reliable, timers: Self.timers))
            #expect(transaction.state == .trying)
            #expect(transaction.receive(request, now: 0).isEmpty)
            _ = Self.respond(transaction, 200, now: 1)
            #expect(transaction.state == .completed)
            #expect(transaction.receive(request, now: 2).sendCount == 1)
            #expect(transaction.nextTimeout == 1 + wait)
            #expect(transaction.handleTimeout(now: 1 + wait).isEmpty)
            #expect(transaction.state == .terminated)
        }
    }
}

@Suite struct TransactionMatchingTests {
    @Test func clientMatchingUsesBranchAndCSeqMethod() throws {
        let invite = ClientTransactionTests.request("INVITE")
        let cancel = ClientTransactionTests.request("CANCEL")
        let inviteKey = try #require(ClientTransactionKey(invite))
        #expect(inviteKey == ClientTransactionKey(branch: "z9hG4bKclient1", method: "INVITE"))
        #expect(ClientTransactionKey(ClientTransactionTests.response(200, to: invite)) == inviteKey)
        #expect(ClientTransactionKey(ClientTransactionTests.response(200, to: cancel)) != inviteKey)
        let other = ClientTransactionTests.request("INVITE", branch: "z9hG4bKother")
        #expect(ClientTransactionKey(ClientTransactionTests.response(200, to: other)) != inviteKey)
    }

    @Test func serverMatchingUsesBranchSentByAndMethod() throws {
        let invite = ClientTransactionTests.request("INVITE")
        let key = try #require(ServerTransactionKey(invite))
        #expect(key == ServerTransactionKey(branch: "z9hG4bKclient1", sentBy: "10.0.0.1:5060", method: "INVITE"))
        #expect(ServerTransactionKey(ClientTransactionTests.request("ACK")) == key)
        let cancelKey = try #require(ServerTransactionKey(ClientTransactionTests.request("CANCEL")))
        #expect(cancelKey != key)
        #expect(cancelKey.with(method: "INVITE") == key)
        var otherHost = invite
        otherHost.headers = invite.headers.replacingFirst(
            "Via", with: "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKclient1")
        #expect(ServerTransactionKey(otherHost) != key)
    }

    @Test func rfc2543RequestsAreKeyedOnDialogFields() throws {
        let text = """
            INVITE sip:bob@b SIP/2.0\r
            Via: SIP/2.0/UDP 10.0.0.1\r
            Max-Forwards: 70\r
            From: <sip:a@a>;tag=x\r
            To: <sip:bob@b>\r
            Call-ID: old\r
            CSeq: 3 INVITE\r
            \r

            """
        let key = try #require(ServerTransactionKey(message(text)))
        #expect(key.branch == "rfc2543;old;x;3;")
        #expect(key.method == "INVITE")
        let ack = text.replacingOccurrences("INVITE sip", with: "ACK sip").replacingOccurrences(
            "3 INVITE", with: "3 ACK")
        #expect(ServerTransactionKey(message(ack)) == key)
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
