import Foundation
import JSON
import SignalingFrames
import TestSupport
import Testing

@Suite struct ServerFrameTests {
    static let frames: [ServerFrame] = [
        .welcome(
            .init(
                identity: "agent-1", kind: "agent", sessionId: "s1", heartbeatIntervalSeconds: 30,
                heartbeatTimeoutSeconds: 90, tokenExpiresAt: 1_800_000_000,
                calls: [.object(["callId": .string("c1")])], signalingGraceSeconds: 20)),
        .pong(id: "p"), .pong(id: nil), .heartbeatAck(id: nil), .ack(id: "a"),
        .ack(id: "m", messageId: "msg-1", conversationId: "v1"),
        .error(code: "BAD_MESSAGE", message: "type: must be a string", id: nil),
        .agentState(
            .init(
                agentId: "agent-1", status: "ACTIVE", availability: "BUSY", online: true, activeCalls: 1,
                wrapUpSecondsLeft: 25)),
        .agentState(
            .init(
                agentId: "agent-1", status: "AWAY", availability: "AWAY", online: false, activeCalls: 0,
                wrapUpSecondsLeft: nil)),
        .wrapUpStarted(agentId: "agent-1", seconds: 30), .wrapUpExtended(agentId: "agent-1", secondsLeft: 40),
        .wrapUpEnded(agentId: "agent-1", reason: "CLEARED"),
        .chatMessage(.object(["id": .string("msg-1"), "content": .object(["text": .string("hi")])])),
        .conversationOutbound(id: "o", conversationId: "v1", to: "+3851", agentId: "agent-1"),
        .supervisorSnapshot(
            id: nil, agents: [.object(["id": .string("agent-1")])], queues: [], calls: [], waitingCalls: []),
        .call(.ringing(callId: "c1")),
        .call(.created(callId: "c1", conversationId: "v1", sdp: "v=0\r\n", requestId: "r1")),
        .transferTargets(
            id: "t", agents: [.object(["id": .string("agent-2"), "availability": .string("ACTIVE")])], queues: []),
        .recording(
            event: "CALL_RECORDING_STARTED", callId: "c1", recordings: [.object(["recordingId": .string("r1")])]),
        .recordings(id: "l", page: .object(["elements": .array([]), "total": .int(0), "totalPages": .int(0)])),
    ]

    @Test func everyFrameReadsBackFromItsText() {
        for frame in Self.frames {
            #expect(ServerFrame(text: frame.text) == frame, "\(frame.type)")
        }
    }

    @Test func theWireShapeIsTheDocumentedOne() {
        for frame in Self.frames {
            #expect(frame.json["v"] == .int(signalingProtocolVersion) && frame.json["type"] == .string(frame.type))
        }
        #expect(
            Self.frames[0].text
                == #"{"calls":[{"callId":"c1"}],"heartbeatIntervalSeconds":30,"heartbeatTimeoutSeconds":90,"#
                + #""identity":"agent-1","kind":"agent","sessionId":"s1","signalingGraceSeconds":20,"#
                + #""tokenExpiresAt":1800000000,"type":"welcome","v":1}"#)
        #expect(
            Self.frames[5].text == #"{"conversationId":"v1","id":"m","messageId":"msg-1","type":"ack","v":1}"#)
        let state = Self.frames[8].json["state"]
        #expect(state?["wrapUpSecondsLeft"] == nil && state?["online"] == .bool(false))
        #expect(Self.frames[1].json["id"] == .string("p") && Self.frames[2].json["id"] == nil)
        #expect(Self.frames[16].json["id"] == .string("r1"), "call.created echoes the request id")
    }

    @Test func unknownOrIncompleteFramesAreRefusedWithoutTrapping() {
        let texts = [
            "", "null", "[]", #"{"type":"welcome"}"#, #"{"type":"error","code":"X"}"#, #"{"type":"agent.state"}"#,
            #"{"type":"agent.state","state":{"agentId":"a"}}"#, #"{"type":"wrapup.started","agentId":"a"}"#,
            #"{"type":"wrapup.ended","agentId":"a"}"#, #"{"type":"conversation.outbound","to":"1"}"#,
            #"{"type":"call.hangup","callId":"c"}"#, #"{"type":"nonsense"}"#, #"{"type":7}"#,
        ]
        for text in texts { #expect(ServerFrame(text: text) == nil, "\(text)") }
        var generator = SeededGenerator(seed: 5)
        let good = Self.frames.map(\.text)
        for _ in 0..<2000 {
            var bytes = Array(good.randomElement(using: &generator)!.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                    in: 32...126, using: &generator)
            }
            _ = ServerFrame(text: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The welcome and an agent's state are written member by member, not through `Codable`:
    /// every member their `Codable` form has must be there, absent optionals left out as it does.
    @Test func welcomeAndAgentStateAreWrittenAsTheirCodableFormIs() throws {
        func codable(_ value: some Encodable) throws -> JSONValue? {
            JSONValue.parse(try JSONEncoder().encode(value))
        }
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let maybe = { (generator: inout SeededGenerator) in Bool.random(using: &generator) }
            let welcome = ServerFrame.Welcome(
                identity: "agent-\(generator.next() % 100)", kind: "agent", sessionId: "s\(generator.next() % 9)",
                heartbeatIntervalSeconds: Int(generator.next() % 60),
                heartbeatTimeoutSeconds: Int(generator.next() % 200),
                tokenExpiresAt: Int64(generator.next() % 2_000_000_000),
                calls: maybe(&generator) ? [] : [.object(["callId": .string("c1")])],
                signalingGraceSeconds: Int(generator.next() % 30), displayName: maybe(&generator) ? nil : "Ana")
            #expect(ServerFrame.welcome(welcome).json["type"] == .string("welcome"))
            #expect(
                ServerFrame.welcome(welcome).json
                    == (try codable(welcome))?.setting("type", .string("welcome")).setting("v", .int(1)))
            let state = ServerFrame.AgentState(
                agentId: "agent-1", status: "ACTIVE", availability: "BUSY", online: maybe(&generator),
                activeCalls: Int(generator.next() % 3), wrapUpSecondsLeft: maybe(&generator) ? nil : 25,
                statusReason: maybe(&generator) ? nil : "UNANSWERED_OFFERS",
                availabilitySince: maybe(&generator) ? nil : 1_800_000_000)
            #expect(ServerFrame.agentState(state).json["state"] == (try codable(state)))
        }
    }
}
