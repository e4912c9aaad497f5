import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

@Suite struct WrapUpAndSettingsTests {
    @Test func wrapUpStateMachineOverREST() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        await gw.cc.registry.heartbeat(agentId: alice.id)
        try await gw.withClient { client in
            let defaults = try await client.call(.get, "/ccaas/voice/2/account-wrap-up-config", key: gw.key)
            #expect(
                defaults.json
                    == .object(["wrapUpSeconds": .int(30), "canExtendWrapUp": .bool(true), "enabled": .bool(true)]))
            func availability() async throws -> (String?, Int64?) {
                let agent = try await client.call(.get, "/ccaas/1/agents/\(alice.id)", key: gw.key).json
                return (agent["availability"]?.stringValue, agent["wrapUpSecondsLeft"]?.intValue)
            }
            let notWrapping = try await client.call(
                .patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/add/10", key: gw.key)
            #expect(notWrapping.statusMessage == "Agent is not in Wrapping status.")

            // "Call ended" is driven on the domain API until calls exist.
            try await gw.cc.callStarted(agentId: alice.id)
            #expect(try await availability().0 == "BUSY")
            try await gw.cc.callEnded(agentId: alice.id)
            var state = try await availability()
            #expect(state.0 == "BUSY")
            #expect(state.1 == 30)
            gw.clock.advance(by: 20)
            await gw.cc.registry.heartbeat(agentId: alice.id)
            #expect(try await availability().1 == 10)

            let extended = try await client.call(
                .patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/add/15", key: gw.key)
            #expect(
                extended.json == .object(["status": "SUCCESS", "message": "Agent wrap up time added successfully."]))
            #expect(try await availability().1 == 25)
            let zero = try await client.call(.patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/add/0", key: gw.key)
            #expect(zero.statusMessage == "Number of seconds should be greater then 0.")
            gw.clock.advance(by: 24)
            await gw.cc.tick()
            #expect(try await availability().0 == "BUSY")
            gw.clock.advance(by: 2)
            await gw.cc.registry.heartbeat(agentId: alice.id)
            await gw.cc.tick()
            state = try await availability()
            #expect(state.0 == "ACTIVE")
            #expect(state.1 == nil)

            // Clear ends a wrap-up at once; extending can be disabled for the account.
            try await gw.cc.callEnded(agentId: alice.id)
            let cleared = try await client.call(
                .patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/clear", key: gw.key)
            #expect(cleared.status == .ok)
            #expect(try await availability().0 == "ACTIVE")
            let noExtend = try await client.call(
                .put, "/ccaas/voice/2/account-wrap-up-config", key: gw.key,
                body: #"{"wrapUpSeconds":5,"canExtendWrapUp":false,"enabled":true}"#)
            #expect(noExtend.status == .ok)
            try await gw.cc.callEnded(agentId: alice.id)
            #expect(try await availability().1 == 5)
            let refused = try await client.call(
                .patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/add/10", key: gw.key)
            #expect(refused.status == .badRequest)
            #expect(refused.statusMessage?.contains("disabled") == true)

            // The agent's own value overrides the account's; null inherits again.
            let own = try await client.call(
                .put, "/ccca/1/agent-configs/\(alice.id)/wrap-up", key: gw.key, body: #"{"wrapUpSeconds":90}"#)
            #expect(own.json["wrapUpSeconds"] == .int(90))
            #expect(try await gw.cc.wrapUpPolicy(for: alice.id).seconds == 90)
            let inherit = try await client.call(
                .put, "/ccca/1/agent-configs/\(alice.id)/wrap-up", key: gw.key, body: #"{"wrapUpSeconds":null}"#)
            #expect(inherit.json["wrapUpSeconds"] == .null)
            #expect(try await gw.cc.wrapUpPolicy(for: alice.id).seconds == 5)
            let negative = try await client.call(
                .put, "/ccca/1/agent-configs/\(alice.id)/wrap-up", key: gw.key, body: #"{"wrapUpSeconds":-1}"#)
            #expect(negative.statusMessage == "agentConfig.wrapUpSeconds: must be greater than or equal to 0")
            let legacy = try await client.call(
                .put, "/ccca/1/agent-configs/\(alice.id)/wrap-up?wrapUpSeconds=12", key: gw.key)
            #expect(legacy.json["wrapUpSeconds"] == .int(12))

            // Disabled wrap-up: the agent is available right after the call.
            _ = try await client.call(
                .put, "/ccaas/voice/2/account-wrap-up-config", key: gw.key,
                body: #"{"wrapUpSeconds":30,"canExtendWrapUp":true,"enabled":false}"#)
            _ = try await client.call(.patch, "/ccaas/voice/2/agent/\(alice.id)/wrap-up-time/clear", key: gw.key)
            try await gw.cc.callEnded(agentId: alice.id)
            #expect(try await availability().0 == "ACTIVE")
            let missing = try await client.call(
                .put, "/ccaas/voice/2/account-wrap-up-config", key: gw.key,
                body: #"{"canExtendWrapUp":true,"enabled":true}"#)
            #expect(missing.statusMessage == "wrapUpSeconds: Missing wrapup duration.")
        }
        try await gw.close()
    }

    @Test func waitingStrategiesValidateAndReferenceUploadedAudio() async throws {
        let gw = try await TestGateway.make()
        let queue = try await gw.cc.createQueue(.object(["name": "Q"]), by: .integration)
        try await gw.withClient { client in
            let missing = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body: #"{"conditionType":"QUEUE","condition":{"queues":["default"]}}"#)
            #expect(missing.statusMessage == "maximumWaitTime: Missing Maximum Wait Time")
            let badUnit = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body:
                    #"{"maximumWaitTime":{"unit":"DAYS","value":0},"conditionType":"QUEUE","condition":{"queues":["default"]}}"#
            )
            #expect(
                badUnit.statusMessage?.contains("maximumWaitTime.unit: must be one of SECONDS, MINUTES, HOURS") == true)
            #expect(
                badUnit.statusMessage?.contains("maximumWaitTime.value: must be greater than or equal to 1") == true)
            let badSender = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body:
                    #"{"maximumWaitTime":{"unit":"MINUTES","value":5},"conditionType":"SENDER","condition":{"senders":[{"clientType":"FAX"}]}}"#
            )
            #expect(badSender.statusMessage?.contains("condition.senders[0].clientType") == true)
            #expect(badSender.statusMessage?.contains("condition.senders[0].identifier: must not be null") == true)
            let unknownFile = try await client.call(
                .post, "/ccaas/voice/2/waiting-strategies", key: gw.key,
                body:
                    #"{"maximumWaitTime":{"unit":"MINUTES","value":5},"conditionType":"QUEUE","condition":{"queues":["\#(queue.id)"]},"musicOnHold":{"enabled":true,"fileAudioSource":{"fileDescriptor":"nope"}}}"#
            )
            #expect(unknownFile.statusMessage == "fileDescriptor: no uploaded audio file 'nope'")

            let upload = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=hold%20music", key: gw.key, raw: WAVFixture.tone(seconds: 1))
            #expect(upload.status == .ok)
            let descriptor = try #require(upload.json["fileDescriptor"]?.stringValue)
            #expect(upload.json["durationMilliseconds"] == .int(1000))
            #expect(
                FileManager.default.fileExists(
                    atPath: gw.services.audioDirectory.appendingPathComponent("\(descriptor).wav").path))

            let strategy =
                #"{"name":"Default","maximumWaitTime":{"unit":"MINUTES","value":5},"conditionType":"QUEUE","condition":{"queues":["\#(queue.id)"]},"musicOnHold":{"enabled":true,"fileAudioSource":{"fileDescriptor":"\#(descriptor)"}},"announcementMessage":{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"You are number {{QUEUE_POSITION_DEFAULT}}","language":"en","voice":{"name":"Joanna","gender":"FEMALE"},"speechRate":1.0},"repeatInterval":{"unit":"SECONDS","value":30}}}"#
            let created = try await client.call(.post, "/ccaas/voice/2/waiting-strategies", key: gw.key, body: strategy)
            #expect(created.status == .ok)
            let id = try #require(created.json["id"]?.stringValue)
            let listed = try await client.call(
                .get, "/ccaas/voice/2/waiting-strategies?queueId=\(queue.id)", key: gw.key)
            #expect(listed.json["total"] == .int(1))
            #expect(
                listed.json["elements"]?.array.first?["announcementMessage"]?["repeatInterval"]?["value"] == .int(30))
            let switchType = try await client.call(
                .put, "/ccaas/voice/2/waiting-strategies/\(id)", key: gw.key,
                body:
                    #"{"maximumWaitTime":{"unit":"MINUTES","value":5},"conditionType":"SENDER","condition":{"senders":[{"clientType":"PSTN","identifier":"123"}]}}"#
            )
            #expect(switchType.statusMessage == "conditionType: Once defined, cannot be changed")
            let inUse = try await client.call(.delete, "/ccaas/voice/2/audio-files/\(descriptor)", key: gw.key)
            #expect(inUse.status == .conflict)
            let deleted = try await client.call(.delete, "/ccaas/voice/2/waiting-strategies/\(id)", key: gw.key)
            #expect(deleted.json == .object(["status": "SUCCESS", "message": "Waiting Strategy deleted."]))
            let gone = try await client.call(.get, "/ccaas/voice/2/waiting-strategies/\(id)", key: gw.key)
            #expect(gone.status == .notFound)
            let freed = try await client.call(.delete, "/ccaas/voice/2/audio-files/\(descriptor)", key: gw.key)
            #expect(freed.status == .ok)
        }
        try await gw.close()
    }

    @Test func audioUploadsRefuseBadAndOversizedFiles() async throws {
        let gw = try await TestGateway.make { $0.maxAudioUploadBytes = 20_000 }
        try await gw.withClient { client in
            let text = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=x", key: gw.key, raw: Array("hello".utf8))
            #expect(text.statusMessage == "file: not a WAV or MP3 file")
            // Something that starts like an MP3 but holds no audio.
            let fakeMP3 = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=x", key: gw.key,
                raw: Array("ID3".utf8) + [UInt8](repeating: 0, count: 200))
            #expect(fakeMP3.status == .badRequest && fakeMP3.statusMessage?.hasPrefix("file: MP3 file") == true)
            var truncated = WAVFixture.tone(seconds: 0.1)
            truncated.removeLast(truncated.count - 30)
            let cut = try await client.call(.post, "/ccaas/voice/2/audio-files?name=x", key: gw.key, raw: truncated)
            #expect(cut.status == .badRequest)
            let big = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=x", key: gw.key, raw: WAVFixture.tone(seconds: 2))
            #expect(big.status == .contentTooLarge)
            let noName = try await client.call(
                .post, "/ccaas/voice/2/audio-files", key: gw.key, raw: WAVFixture.tone(seconds: 0.1))
            #expect(noName.statusMessage == "name: must not be blank")
            let float = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=x", key: gw.key,
                raw: WAVFixture.tone(seconds: 0.1, formatCode: 3, bits: 32))
            #expect(float.statusMessage?.contains("unsupported WAV encoding") == true)
        }
        try await gw.close()
    }

    @Test func recordingTimeoutsTransferAndHoldConfigs() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let queue = try await gw.cc.createQueue(.object(["name": "Q"]), by: .integration)
        try await gw.withClient { client in
            let none = try await client.call(.get, "/ccaas/voice/2/account-recording-config", key: gw.key)
            #expect(none.status == .notFound)
            #expect(none.statusMessage == "No account recording config found.")
            let noMedia = try await client.call(
                .post, "/ccaas/voice/2/account-recording-config", key: gw.key, body: #"{"enabled":true}"#)
            #expect(
                noMedia.statusMessage
                    == "mediaType: Missing Media Type; inbound: Either inbound or outbound should be selected")
            let created = try await client.call(
                .post, "/ccaas/voice/2/account-recording-config", key: gw.key,
                body: #"{"mediaType":"AUDIO","enabled":true,"inbound":true}"#)
            #expect(created.json["enabledChangedAt"]?.intValue != nil)
            #expect(
                created.json["outbound"] == .bool(false) && created.json["videoDownloadPreparation"] == .bool(false))
            let twice = try await client.call(
                .post, "/ccaas/voice/2/account-recording-config", key: gw.key,
                body: #"{"mediaType":"AUDIO","outbound":true}"#)
            #expect(twice.statusMessage == "Account recording config already exists!")
            // Infobip's own example body, read-only `enabledChangedAt` included, is accepted.
            let updated = try await client.call(
                .put, "/ccaas/voice/2/account-recording-config", key: gw.key,
                body:
                    #"{"inbound":true,"outbound":true,"autoCompose":false,"mediaType":"AUDIO_AND_VIDEO","#
                    + #""videoDownloadPreparation":false,"enabled":true,"enabledChangedAt":1622024333000}"#)
            #expect(updated.json["mediaType"]?.stringValue == "AUDIO_AND_VIDEO")
            #expect(updated.json["enabledChangedAt"] == created.json["enabledChangedAt"], "enabled did not change")
            let bad = try await client.call(
                .put, "/ccaas/voice/2/account-recording-config", key: gw.key,
                body: #"{"inbound":"yes","mediaType":"VIDEO"}"#)
            #expect(bad.status == .badRequest && bad.statusMessage?.contains("inbound:") == true)
            #expect(bad.statusMessage?.contains("mediaType:") == true)

            let neither = try await client.call(
                .post, "/ccaas/voice/2/agent-recording-configs/\(alice.id)", key: gw.key, body: #"{"enabled":true}"#)
            #expect(
                neither.statusMessage
                    == "mediaType: Missing Media Type; inbound: Either inbound or outbound should be selected")
            let agentConfig = try await client.call(
                .post, "/ccaas/voice/2/agent-recording-configs/\(alice.id)", key: gw.key,
                body: #"{"mediaType":"AUDIO","inbound":true}"#)
            #expect(agentConfig.json["agentId"]?.stringValue == alice.id)
            let dup = try await client.call(
                .post, "/ccaas/voice/2/agent-recording-configs/\(alice.id)", key: gw.key,
                body: #"{"mediaType":"AUDIO","inbound":true}"#)
            #expect(dup.statusMessage == "Agent recording config already exists!")
            let list = try await client.call(
                .get, "/ccaas/voice/2/agent-recording-configs?agentIds=\(alice.id)", key: gw.key)
            #expect(list.json.array.count == 1)
            let ghost = try await client.call(.get, "/ccaas/voice/2/agent-recording-configs/GHOST", key: gw.key)
            #expect(ghost.statusMessage == "No agent found with id=GHOST")

            let timeouts = try await client.call(.get, "/ccaas/voice/2/call-timeouts", key: gw.key)
            #expect(timeouts.json == .object(["inbound": .int(30), "outbound": .int(45)]))
            let set = try await client.call(
                .put, "/ccaas/voice/2/call-timeouts", key: gw.key, body: #"{"inbound":10,"outbound":null}"#)
            #expect(set.json == .object(["inbound": .int(10), "outbound": .int(45)]))
            let tooShort = try await client.call(
                .put, "/ccaas/voice/2/call-timeouts", key: gw.key, body: #"{"inbound":2}"#)
            #expect(tooShort.statusMessage == "inbound: must be greater than or equal to 3")

            let noTransfer = try await client.call(.get, "/ccaas/voice/2/transfer-configs/external-number", key: gw.key)
            #expect(noTransfer.status == .notFound)
            #expect(noTransfer.statusMessage == "No transfer to external number config found.")
            let noStrategy = try await client.call(
                .get, "/ccaas/voice/2/transfer-configs/transfer-strategy", key: gw.key)
            #expect(noStrategy.status == .notFound)
            #expect(noStrategy.statusMessage == "No transfer strategy found.")
            let transfer = try await client.call(
                .put, "/ccaas/voice/2/transfer-configs/external-number", key: gw.key,
                body: #"{"transferToAnyNumberEnabled":false}"#)
            #expect(transfer.json["transferToAnyNumberEnabled"] == .bool(false))
            let strategy = try await client.call(
                .put, "/ccaas/voice/2/transfer-configs/transfer-strategy", key: gw.key,
                body:
                    #"{"musicOnHold":{"enabled":true,"useDefault":true},"announcementMessage":{"enabled":true,"audioSourceType":"FILE","repeatInterval":{"unit":"SECONDS","value":20}}}"#
            )
            #expect(
                strategy.statusMessage
                    == "announcementMessage.fileAudioSource.fileDescriptor: is required when audioSourceType is FILE")

            let noQueues = try await client.call(
                .post, "/ccaas/voice/2/hold-configs-per-queue", key: gw.key, body: #"{"name":"H","queueIds":[]}"#)
            #expect(noQueues.statusMessage == "Hold configuration must be applied to at least one queue.")
            let hold = try await client.call(
                .post, "/ccaas/voice/2/hold-configs-per-queue", key: gw.key,
                body:
                    #"{"name":"H","queueIds":["\#(queue.id)"],"enabled":true,"onHoldMusic":{"enabled":true,"useDefault":true}}"#
            )
            let holdId = try #require(hold.json["id"]?.stringValue)
            let clash = try await client.call(
                .post, "/ccaas/voice/2/hold-configs-per-queue", key: gw.key,
                body: #"{"name":"H2","queueIds":["\#(queue.id)"]}"#)
            #expect(clash.statusMessage?.contains("already has hold config") == true)
            let holds = try await client.call(.get, "/ccaas/voice/2/hold-configs-per-queue", key: gw.key)
            #expect(holds.json["total"] == .int(1))
            let deleted = try await client.call(.delete, "/ccaas/voice/2/hold-configs-per-queue/\(holdId)", key: gw.key)
            #expect(deleted.json["message"]?.stringValue == "Hold Configuration deleted.")
            let gone = try await client.call(.get, "/ccaas/voice/2/hold-configs-per-queue/\(holdId)", key: gw.key)
            #expect(gone.statusMessage == "No hold config found with id=\(holdId)")
        }
        try await gw.close()
    }
}

/// Builds WAV files in memory.
enum WAVFixture {
    static func tone(seconds: Double, rate: Int = 8000, formatCode: Int = 1, bits: Int = 16) -> [UInt8] {
        let samples = Int(Double(rate) * seconds)
        var data: [UInt8] = []
        for i in 0..<samples {
            let value = Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / Double(rate)))
            for _ in 0..<(bits / 16) {
                data.append(UInt8(truncatingIfNeeded: value))
                data.append(UInt8(truncatingIfNeeded: value >> 8))
            }
        }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xff) } }
        let fmt = le16(formatCode) + le16(1) + le32(rate) + le32(rate * bits / 8) + le16(bits / 8) + le16(bits)
        return Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + fmt
            + Array("data".utf8) + le32(data.count) + data
    }
}
