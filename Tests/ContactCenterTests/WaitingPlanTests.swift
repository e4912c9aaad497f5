import Foundation
import Testing

@testable import ContactCenter

@Suite struct WaitingPlanTests {
    @Test func aSpokenPositionIsFilledInAsANumberOrAnOrdinal() {
        let sound = WaitingPlan.Sound.speech(
            text: "You are {{QUEUE_POSITION_ORDINAL}} in line, number {{QUEUE_POSITION_DEFAULT}}.", language: "en",
            gender: "FEMALE", speechRate: 1)
        #expect(sound.saysPosition && !WaitingPlan.Sound.defaultMusic.saysPosition)
        let said = [1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111].map { position -> String in
            guard case .speech(let text, _, _, _) = sound.saying(position: position) else { return "" }
            return String(text.dropFirst("You are ".count).prefix { $0 != " " })
        }
        #expect(said == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd", "111th"])
        guard case .speech(let text, _, _, _) = sound.saying(position: 7) else { return }
        #expect(text == "You are 7th in line, number 7.")
    }

    @Test func aStoredStrategyIsReadIntoAPlan() {
        let strategy = JSONValue.object([
            "maximumWaitTime": .object(["unit": .string("MINUTES"), "value": .int(2)]),
            "greetingMessage": .object([
                "enabled": .bool(true), "audioSourceType": .string("FILE"),
                "fileAudioSource": .object(["fileDescriptor": .string("g")]),
            ]),
            "musicOnHold": .object(["enabled": .bool(true)]),
            "announcementMessage": .object([
                "enabled": .bool(false), "audioSourceType": .string("FILE"),
                "fileAudioSource": .object(["fileDescriptor": .string("a")]),
            ]),
        ])
        let plan = WaitingPlan(strategy: strategy, id: "s")
        #expect(plan?.maximumWaitSeconds == 120 && plan?.greeting == .file(descriptor: "g"))
        #expect(plan?.music == .defaultMusic, "music enabled without a file: the gateway's own")
        #expect(plan?.announcement == nil, "a disabled announcement plays nothing")
        #expect(WaitingPlan(strategy: .object([:]), id: "x") == nil)
    }

    @Test func callbackKeysAndTheirConfirmationAreReadFromTheAnnouncement() {
        func option(_ descriptor: String) -> JSONValue {
            .object([
                "enabled": .bool(true), "audioSourceType": .string("FILE"),
                "fileAudioSource": .object(["fileDescriptor": .string(descriptor)]),
            ])
        }
        let announcement = option("a").setting(
            "collectables",
            .array([
                .object(["code": .string("1"), "action": .string("CALLBACK"), "value": .string("cb")]),
                .object(["code": .string("9"), "action": .string("RETURN_TO_IVR"), "value": .string("ivr")]),
                .object(["code": .string("*2"), "action": .string("CALLBACK"), "value": .string("cb2")]),
            ])
        ).setting("collectDuration", .object(["unit": .string("SECONDS"), "value": .int(4)]))
        let strategy = JSONValue.object([
            "maximumWaitTime": .object(["unit": .string("SECONDS"), "value": .int(60)]),
            "announcementMessage": announcement, "callbackConfirmationMessage": option("c"),
        ])
        let plan = WaitingPlan(strategy: strategy, id: "s")
        #expect(plan?.callbackCodes == ["1", "*2"], "only CALLBACK keys")
        #expect(plan?.collectSeconds == 4 && plan?.callbackConfirmation == .file(descriptor: "c"))
        let silent = strategy.setting("announcementMessage", .null)
        #expect(WaitingPlan(strategy: silent, id: "s")?.callbackCodes == [], "no announcement: no keys to press")
    }
}
