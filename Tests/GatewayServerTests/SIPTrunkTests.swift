import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

@Suite struct SIPTrunkTests {
    static func body(_ queueId: String, name: String = "carrier", number: String = "+15550100", extra: String = "")
        -> String
    {
        """
        {"name":"\(name)","destinationHosts":["127.0.0.1:5080"],"transport":"UDP","codecs":["PCMA","PCMU"],
         "numbers":[{"number":"\(number)","queueId":"\(queueId)"}],"channelLimit":2,
         "outboundCredentials":{"username":"gw","password":"s3cret"},
         "inboundCredentials":{"username":"carrier","password":"in-s3cret"}\(extra)}
        """
    }

    @Test func trunksAreCreatedListedReplacedAndDeletedWithPasswordsHidden() async throws {
        let gw = try await TestGateway.make()
        let queue = try await gw.cc.createQueue(.object(["name": "Sales"]), by: .integration)
        try await gw.withClient { client in
            let created = try await client.call(.post, "/calls/1/sip-trunks", key: gw.key, body: Self.body(queue.id))
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["outboundCredentials"] == .object(["username": "gw"]), "no password in responses")
            #expect(!created.text.contains("s3cret"))
            #expect(created.json["type"] == "STATIC" && created.json["rtpTimeoutSeconds"] == .int(30))
            #expect(created.json["codecs"]?.strings() == ["PCMA", "PCMU"])
            #expect(created.json["source"] == "API")

            let listed = try await client.call(.get, "/calls/1/sip-trunks", key: gw.key)
            #expect(listed.json["results"]?.array.count == 1)
            let stored = try await gw.cc.sipTrunk(id)
            #expect(stored.outboundCredentials?.password == "s3cret", "kept for answering the trunk's challenges")
            #expect(try await gw.cc.sipTrunk(forNumber: "+15550100")?.1.queueId == queue.id)

            let replaced = try await client.call(
                .put, "/calls/1/sip-trunks/\(id)", key: gw.key,
                body: #"{"name":"carrier","destinationHosts":["10.0.0.1"],"transport":"TCP"}"#)
            #expect(replaced.status == .ok)
            #expect(replaced.json["transport"] == "TCP" && replaced.json["numbers"]?.array.isEmpty == true)
            #expect(replaced.json["codecs"]?.strings() == ["PCMU", "PCMA"], "the default preference")

            let deleted = try await client.call(.delete, "/calls/1/sip-trunks/\(id)", key: gw.key)
            #expect(deleted.status == .noContent)
            let gone = try await client.call(.get, "/calls/1/sip-trunks/\(id)", key: gw.key)
            #expect(gone.status == .notFound)
        }
        try await gw.close()
    }

    @Test func badTrunksAreRefusedNamingTheField() async throws {
        let gw = try await TestGateway.make()
        let queue = try await gw.cc.createQueue(.object(["name": "Sales"]), by: .integration)
        let alice = try await gw.agent("Alice")
        try await gw.withClient { client in
            _ = try await client.call(.post, "/calls/1/sip-trunks", key: gw.key, body: Self.body(queue.id))
            let cases: [(String, String, String)] = [
                (#"{"destinationHosts":["127.0.0.1"]}"#, "name", "must not be null"),
                (#"{"name":"x","destinationHosts":[]}"#, "destinationHosts", "at least 1"),
                (#"{"name":"x","destinationHosts":["bad host!"]}"#, "destinationHosts[0]", "may contain only"),
                (#"{"name":"x","destinationHosts":["h:70000"]}"#, "destinationHosts[0]", "host"),
                (#"{"name":"x","destinationHosts":["h"],"sourceHosts":["300.1.1.1"]}"#, "sourceHosts[0]", "IPv4"),
                (#"{"name":"x","destinationHosts":["h"],"codecs":["G729"]}"#, "codecs[0]", ""),
                (#"{"name":"x","destinationHosts":["h"],"transport":"SCTP"}"#, "transport", ""),
                (#"{"name":"x","destinationHosts":["h"],"rtpPortRange":"5000-4000"}"#, "rtpPortRange", "first-last"),
                (#"{"name":"x","destinationHosts":["h"],"type":"REGISTERED"}"#, "outboundCredentials", "register"),
                (
                    #"{"name":"x","destinationHosts":["h"],"numbers":[{"number":"+1555","queueId":"nope"}]}"#,
                    "numbers[0].queueId", "no queue"
                ),
                (#"{"name":"x","destinationHosts":["h"],"channelLimit":0}"#, "channelLimit", ""),
                (#"{"name":"x","destinationHosts":["h"],"unknown":1}"#, "unknown", ""),
            ]
            for (body, field, text) in cases {
                let reply = try await client.call(.post, "/calls/1/sip-trunks", key: gw.key, body: body)
                #expect(reply.status == .badRequest, "\(body)")
                let errors = reply.validationErrors(field)
                #expect(!errors.isEmpty, "\(body) should name \(field): \(reply.text)")
                #expect(text.isEmpty || errors.contains { $0.contains(text) }, "\(body): \(errors)")
            }
            let clash = try await client.call(
                .post, "/calls/1/sip-trunks", key: gw.key, body: Self.body(queue.id, name: "other"))
            #expect(clash.status == .conflict, "\(clash.text)")
            #expect(clash.serviceText?.contains("+15550100") == true)
            let sameName = try await client.call(
                .post, "/calls/1/sip-trunks", key: gw.key, body: Self.body(queue.id, number: "+15550199"))
            #expect(sameName.serviceText?.contains("already exists") == true)
            let asAgent = try await client.call(
                .post, "/calls/1/sip-trunks", key: gw.key, agent: alice.id,
                body: Self.body(queue.id, name: "mine", number: "+15550111"))
            #expect(asAgent.status == .forbidden)
        }
        try await gw.close()
    }

    @Test func configuredTrunksReplaceTheirNamesakesAndLeaveWithTheFile() async throws {
        let gw = try await TestGateway.make()
        let queue = try await gw.cc.createQueue(.object(["name": "Sales"]), by: .integration)
        func trunk(_ name: String, _ host: String) -> JSONValue {
            .object([
                "name": .string(name), "destinationHosts": .array([.string(host)]),
                "numbers": .array([
                    .object(["number": .string(name == "a" ? "+15550001" : "+15550002"), "queueId": .string(queue.id)])
                ]),
            ])
        }
        try await gw.cc.applyConfiguredSIPTrunks([trunk("a", "10.0.0.1"), trunk("b", "10.0.0.2")])
        let first = try await gw.cc.sipTrunks()
        #expect(first.map(\.name) == ["a", "b"] && first.allSatisfy { $0.source == "CONFIGURATION" })
        try await gw.cc.applyConfiguredSIPTrunks([trunk("a", "10.0.0.9")])
        let second = try await gw.cc.sipTrunks()
        #expect(second.map(\.name) == ["a"])
        #expect(second[0].id == first[0].id && second[0].destinationHosts == ["10.0.0.9"])
        await #expect(throws: ContactCenterError.self) {
            try await gw.cc.applyConfiguredSIPTrunks([.object(["name": "c", "destinationHosts": .array([])])])
        }
        try await gw.close()
    }
}
