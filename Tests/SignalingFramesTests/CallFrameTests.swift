import Foundation
import JSON
import SignalingFrames
import Testing

@Suite struct CallFrameTests {
    static let frames: [CallFrame] = [
        .incoming(
            callId: "c1", conversationId: "v1", sdp: "v=0\r\n", counterpart: "customer-1",
            customData: .object(["isOutbound": .bool(false), "queueId": .string("q")]), video: true),
        .ringing(callId: "c1"), .earlyMedia(callId: "c1"), .established(callId: "c1"),
        .hangup(callId: "c1", errorCode: .init(id: 10000, name: "NORMAL_HANGUP", description: "bye")),
        .dtmf(callId: "c1", digit: "#"), .held(callId: "c1", held: true),
        .created(callId: "c1", conversationId: "v1", sdp: "v=0\r\n", requestId: "r1"),
        .created(callId: "c1", conversationId: "v1", sdp: "v=0\r\n", requestId: nil),
        .remoteMuted(callId: "c1", muted: true), .remoteMuted(callId: "c1", muted: false), .queued(callId: "c1"),
        .transfer(callId: "c1", state: .TRANSFERRING, errorCode: nil),
        .transfer(
            callId: "c1", state: .TRANSFER_FAILED, errorCode: .init(id: 10203, name: "REJECTED", description: "no")),
    ]

    @Test func everyFrameReadsBackAsItWasWritten() throws {
        for frame in Self.frames {
            #expect(CallFrame(json: frame.json) == frame)
            // Through text, as it crosses the socket.
            let text = try JSONEncoder().encode(frame.json)
            #expect(JSONValue.parse(text).flatMap(CallFrame.init(json:)) == frame, "\(frame.type)")
        }
    }

    @Test func theWireShapeIsTheDocumentedOne() {
        let incoming = Self.frames[0].json
        #expect(incoming["type"] == .string("call.incoming"))
        #expect(incoming["counterpart"]?["identity"] == .string("customer-1"))
        let hangup = Self.frames[4].json
        #expect(hangup["errorCode"]?["id"] == .int(10000) && hangup["errorCode"]?["name"] == .string("NORMAL_HANGUP"))
        #expect(Self.frames[2].type == "call.early-media")
        let failed = Self.frames.last!.json
        #expect(failed["type"] == .string("call.transfer") && failed["state"] == .string("TRANSFER_FAILED"))
        #expect(failed["errorCode"]?["name"] == .string("REJECTED"))
        #expect(Self.frames[Self.frames.count - 2].json["errorCode"] == nil, "no code while it goes on")
    }

    @Test func otherOrIncompleteFramesAreNotCallFrames() {
        let cases: [JSONValue] = [
            .object(["type": .string("welcome"), "callId": .string("c1")]), .object(["type": .string("call.ringing")]),
            .object(["type": .string("call.hangup"), "callId": .string("c1")]),
            .object([
                "type": .string("call.hangup"), "callId": .string("c1"), "errorCode": .object(["name": .string("X")]),
            ]),
            .object(["type": .string("call.incoming"), "callId": .string("c1"), "sdp": .string("v=0")]),
            .object(["type": .string("call.held"), "callId": .string("c1"), "held": .string("yes")]), .array([]), .null,
            .object(["type": .string("call.transfer"), "callId": .string("c1"), "state": .string("MAYBE")]),
            .object([
                "type": .string("call.transfer"), "callId": .string("c1"), "state": .string("TRANSFER_FAILED"),
                "errorCode": .object(["id": .string("x")]),
            ]),
            .string("call.ringing"),
        ]
        for json in cases { #expect(CallFrame(json: json) == nil, "\(json)") }
        // A hang-up without a description still reads (older gateways).
        let bare = JSONValue.object([
            "type": .string("call.hangup"), "callId": .string("c1"),
            "errorCode": .object(["id": .int(10203), "name": .string("REJECTED")]),
        ])
        #expect(
            CallFrame(json: bare)
                == .hangup(callId: "c1", errorCode: .init(id: 10203, name: "REJECTED", description: "")))
    }
}
