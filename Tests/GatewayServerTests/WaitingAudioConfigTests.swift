import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatewayServer

/// What the audio a caller hears may be configured with: spoken text in a language a voice
/// speaks, files that exist, no IVR actions; bad input gets a clear 400 and stores nothing.
@Suite struct WaitingAudioConfigTests {
    static func tts(_ text: String, language: String = "en-gb") -> String {
        #"{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"\#(text)","language":"\#(language)","voice":{"name":"Anna","gender":"FEMALE"},"speechRate":1.0}}"#
    }

    static func strategy(_ announcement: String) -> String {
        #"{"name":"W","maximumWaitTime":{"unit":"MINUTES","value":5},"conditionType":"QUEUE","condition":{"queues":["default"]},"announcementMessage":\#(announcement)}"#
    }

    @Test func badAudioConfigurationIsRefusedAndStoresNothing() async throws {
        let gw = try await TestGateway.make()
        try await gw.withClient { client in
            let path = "/ccaas/voice/2/waiting-strategies"
            let unknownLanguage = try await client.call(
                .post, path, key: gw.key, body: Self.strategy(Self.tts("Please wait", language: "xx-yy")))
            #expect(unknownLanguage.status == .badRequest)
            #expect(
                unknownLanguage.text.contains("'xx-yy' is not a language this gateway speaks"),
                "\(unknownLanguage.text)")
            let long = try await client.call(
                .post, path, key: gw.key, body: Self.strategy(Self.tts(String(repeating: "a", count: 1401))))
            #expect(long.status == .badRequest && long.text.contains("text"), "\(long.text)")
            let missingFile = try await client.call(
                .post, path, key: gw.key,
                body: Self.strategy(
                    #"{"enabled":true,"audioSourceType":"FILE","fileAudioSource":{"fileDescriptor":"gone"}}"#))
            #expect(missingFile.status == .badRequest && missingFile.text.contains("no uploaded audio file 'gone'"))
            let ivr = try await client.call(
                .post, path, key: gw.key,
                body: Self.strategy(
                    #"{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"Press 1","language":"en","voice":{"name":"A","gender":"MALE"},"speechRate":1.0},"repeatInterval":{"unit":"SECONDS","value":30},"collectables":[{"code":"1","action":"RETURN_TO_IVR","value":"menu"}]}"#
                ))
            #expect(ivr.status == .badRequest && ivr.text.contains("RETURN_TO_IVR is not supported"), "\(ivr.text)")
            let notKeys = try await client.call(
                .post, path, key: gw.key,
                body: Self.strategy(
                    #"{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"Press 1","language":"en","voice":{"name":"A","gender":"MALE"},"speechRate":1.0},"repeatInterval":{"unit":"SECONDS","value":30},"collectables":[{"code":"one","action":"CALLBACK","value":"cb"}]}"#
                ))
            #expect(
                notKeys.status == .badRequest
                    && notKeys.text.contains(
                        "announcementMessage.collectables[0].code: a CALLBACK code is the DTMF keys"),
                "\(notKeys.text)")
            let goneConfirmation = try await client.call(
                .post, path, key: gw.key,
                body: Self.strategy(Self.tts("Press 1")).replacingOccurrences(
                    of: #""announcementMessage""#,
                    with:
                        #""callbackConfirmationMessage":{"enabled":true,"audioSourceType":"FILE","fileAudioSource":{"fileDescriptor":"gone"}},"announcementMessage""#
                ))
            #expect(
                goneConfirmation.status == .badRequest
                    && goneConfirmation.text.contains("no uploaded audio file 'gone'"), "\(goneConfirmation.text)")
            let listed = try await client.call(.get, path, key: gw.key)
            #expect(listed.json["total"] == .int(0), "nothing was stored")
            // A spoken text in a language a voice speaks (its base language does too) is taken.
            let spoken = try await client.call(
                .post, path, key: gw.key,
                body: Self.strategy(
                    #"{"enabled":true,"audioSourceType":"TTS","ttsAudioSource":{"text":"You are number {{QUEUE_POSITION_DEFAULT}}","language":"en-au","voice":{"name":"A","gender":"MALE"},"speechRate":1.5},"repeatInterval":{"unit":"SECONDS","value":30}}"#
                ))
            #expect(spoken.status == .ok, "\(spoken.text)")
        }
        try await gw.close()
    }

    @Test func thePositionPlaceholdersAreListedForTheAnnouncement() async throws {
        let gw = try await TestGateway.make()
        try await gw.withClient { client in
            let base = "/ccaas/voice/2/tts/options/placeholders/"
            let announcement = try await client.call(.get, base + "WAITING_STRATEGY_ANNOUNCEMENT_MESSAGE", key: gw.key)
            #expect(announcement.status == .ok)
            let values = announcement.json.array.compactMap { $0["placeholderValue"]?.stringValue }
            #expect(
                values == ["{{QUEUE_POSITION_DEFAULT}}", "{{QUEUE_POSITION_CARDINAL}}", "{{QUEUE_POSITION_ORDINAL}}"])
            #expect(announcement.json.array.allSatisfy { $0["type"] == .string("POSITION_IN_QUEUE") })
            let hold = try await client.call(.get, base + "ON_HOLD_MESSAGE", key: gw.key)
            #expect(hold.status == .ok && hold.json == .array([]))
            let unknown = try await client.call(.get, base + "LUNCH_MENU", key: gw.key)
            #expect(unknown.status == .badRequest && unknown.text.contains("ttsPurpose: must be one of"))
        }
        try await gw.close()
    }
}
