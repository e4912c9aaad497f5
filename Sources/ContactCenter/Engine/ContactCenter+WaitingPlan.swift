import Foundation

/// What a waiting caller hears and how long they may wait: the waiting strategy that matches a
/// call, read into types.
public struct WaitingPlan: Sendable, Equatable {
    /// Where a sound comes from.
    public enum Sound: Sendable, Equatable, Hashable {
        /// An uploaded audio file.
        case file(descriptor: String)
        /// Text to speak (`ttsAudioSource`).
        case speech(text: String, language: String, gender: String, speechRate: Double)
        /// The gateway's own hold music.
        case defaultMusic
    }

    /// Placeholders a spoken text may hold, filled in when it is played (Infobip's names).
    public static let positionPlaceholders = [
        "{{QUEUE_POSITION_DEFAULT}}", "{{QUEUE_POSITION_CARDINAL}}", "{{QUEUE_POSITION_ORDINAL}}",
    ]

    public var strategyId: String
    public var maximumWaitSeconds: Int
    public var greeting: Sound?
    public var music: Sound?
    public var announcement: Sound?
    /// From the end of the greeting (or of the last announcement) to the next announcement; 0:
    /// the announcement plays once, after the greeting.
    public var announcementIntervalSeconds: Int
    public var maximumWaitMessage: Sound?
    /// The key sequences (`collectables` with action CALLBACK) a caller presses during an
    /// announcement to be called back instead of waiting on the line.
    public var callbackCodes: [String] = []
    /// How long after an announcement ends its keys are still taken (`collectDuration`; by
    /// default until the next announcement).
    public var collectSeconds: Int?
    /// Played once to a caller who asked to be called back, before the call ends.
    public var callbackConfirmation: Sound?

    public init(
        strategyId: String, maximumWaitSeconds: Int, greeting: Sound? = nil, music: Sound? = nil,
        announcement: Sound? = nil, announcementIntervalSeconds: Int = 0, maximumWaitMessage: Sound? = nil
    ) {
        self.strategyId = strategyId
        self.maximumWaitSeconds = maximumWaitSeconds
        self.greeting = greeting
        self.music = music
        self.announcement = announcement
        self.announcementIntervalSeconds = announcementIntervalSeconds
        self.maximumWaitMessage = maximumWaitMessage
    }

    /// Reads a stored strategy (validated when it was saved).
    public init?(strategy value: JSONValue, id: String) {
        guard let maximum = Self.seconds(value["maximumWaitTime"]) else { return nil }
        self.init(strategyId: id, maximumWaitSeconds: maximum)
        greeting = Self.sound(value["greetingMessage"])
        if let music = value["musicOnHold"], music["enabled"]?.boolValue ?? true, !music.isNull {
            self.music =
                music["fileAudioSource"]?["fileDescriptor"]?.stringValue.map { .file(descriptor: $0) }
                ?? .defaultMusic
        }
        announcement = Self.sound(value["announcementMessage"])
        announcementIntervalSeconds = Self.seconds(value["announcementMessage"]?["repeatInterval"]) ?? 0
        maximumWaitMessage = Self.sound(value["maximumWaitTimeMessage"])
        if announcement != nil, let collectables = value["announcementMessage"]?["collectables"]?.arrayValue {
            callbackCodes = collectables.filter { $0["action"]?.stringValue == "CALLBACK" }.compactMap {
                $0["code"]?.stringValue
            }
            collectSeconds = Self.seconds(value["announcementMessage"]?["collectDuration"])
        }
        callbackConfirmation = Self.sound(value["callbackConfirmationMessage"])
    }

    /// `{unit, value}` in seconds.
    static func seconds(_ duration: JSONValue?) -> Int? {
        guard let duration, let value = duration["value"]?.intValue else { return nil }
        switch duration["unit"]?.stringValue {
        case "MINUTES": return Int(value) * 60
        case "HOURS": return Int(value) * 3600
        default: return Int(value)
        }
    }

    /// An enabled AudioOption's source.
    static func sound(_ option: JSONValue?) -> Sound? {
        guard let option, !option.isNull, option["enabled"]?.boolValue ?? true else { return nil }
        if option["audioSourceType"]?.stringValue == "TTS" {
            guard let tts = option["ttsAudioSource"], let text = tts["text"]?.stringValue else { return nil }
            return .speech(
                text: text, language: tts["language"]?.stringValue ?? "en",
                gender: tts["voice"]?["gender"]?.stringValue ?? "FEMALE",
                speechRate: tts["speechRate"]?.doubleValue ?? 1)
        }
        return option["fileAudioSource"]?["fileDescriptor"]?.stringValue.map { .file(descriptor: $0) }
    }
}

extension WaitingPlan.Sound {
    /// Whether the sound says the caller's position in the queue.
    public var saysPosition: Bool {
        guard case .speech(let text, _, _, _) = self else { return false }
        return WaitingPlan.positionPlaceholders.contains { text.contains($0) }
    }

    /// The sound with the caller's position filled in (`3`, or `3rd` where an ordinal is asked).
    public func saying(position: Int) -> WaitingPlan.Sound {
        guard case .speech(var text, let language, let gender, let rate) = self else { return self }
        let ordinal: String
        switch (position % 100, position % 10) {
        case (11...13, _): ordinal = "\(position)th"
        case (_, 1): ordinal = "\(position)st"
        case (_, 2): ordinal = "\(position)nd"
        case (_, 3): ordinal = "\(position)rd"
        default: ordinal = "\(position)th"
        }
        text = text.replacingOccurrences(of: "{{QUEUE_POSITION_DEFAULT}}", with: "\(position)")
            .replacingOccurrences(of: "{{QUEUE_POSITION_CARDINAL}}", with: "\(position)")
            .replacingOccurrences(of: "{{QUEUE_POSITION_ORDINAL}}", with: ordinal)
        return .speech(text: text, language: language, gender: gender, speechRate: rate)
    }
}

extension ContactCenter {
    /// Infobip's `TtsPurposeApiModel`.
    public static let ttsPurposes = [
        "WAITING_STRATEGY_GREETING_MESSAGE", "WAITING_STRATEGY_ANNOUNCEMENT_MESSAGE",
        "WAITING_STRATEGY_MAXIMUM_WAIT_TIME_MESSAGE", "WORKING_HOURS_AWAY_MESSAGE", "TRANSFER_STRATEGY_MESSAGE",
        "ON_HOLD_MESSAGE", "CALLBACK_CONFIRMATION_MESSAGE",
    ]

    /// The placeholders a spoken text for `purpose` may hold: the caller's position, in the
    /// waiting strategy's announcement (which follows the caller as they move up).
    public static func ttsPlaceholders(purpose: String) throws -> JSONValue {
        guard ttsPurposes.contains(purpose) else {
            throw ContactCenterError.badRequest(
                "ttsPurpose: must be one of \(ttsPurposes.joined(separator: ", "))")
        }
        guard purpose == "WAITING_STRATEGY_ANNOUNCEMENT_MESSAGE" else { return .array([]) }
        return .array(
            zip(["DEFAULT", "CARDINAL", "ORDINAL"], WaitingPlan.positionPlaceholders).map { sayAs, value in
                .object([
                    "type": .string("POSITION_IN_QUEUE"), "sayAs": .string(sayAs), "placeholderValue": .string(value),
                    "placeholderPaddingSize": .int(0), "requiresSSML": .bool(false),
                ])
            })
    }

    /// The waiting strategy for a call: one whose SENDER condition names what was called
    /// (`clientType` PSTN and the number dialled, or WEBRTC and the application), else one whose
    /// QUEUE condition names the call's queue, else one for the `default` queue; the oldest when
    /// several match.
    public func waitingPlan(queueId: String?, calledType: String, called: String) async throws -> WaitingPlan? {
        let strategies = try await store.settings(DocumentQuery(collection: .waitingStrategy)).items
            .sorted { $0.createdAt < $1.createdAt }
        func matching(_ test: (JSONValue) -> Bool) -> SettingDocument? {
            strategies.first { test($0.value) }
        }
        let bySender = matching { value in
            value["conditionType"]?.stringValue == "SENDER"
                && (value["condition"]?["senders"]?.arrayValue ?? []).contains {
                    $0["clientType"]?.stringValue == calledType && $0["identifier"]?.stringValue == called
                }
        }
        let byQueue = { (queue: String) in
            matching { value in
                value["conditionType"]?.stringValue == "QUEUE"
                    && (value["condition"]?["queues"]?.arrayValue ?? []).contains { $0.stringValue == queue }
            }
        }
        guard let chosen = bySender ?? queueId.flatMap(byQueue) ?? byQueue("default") else { return nil }
        return WaitingPlan(strategy: chosen.value, id: chosen.id)
    }
}

/// What a held party hears: the hold configuration of the call's queue, read into types.
public struct HoldPlan: Sendable, Equatable {
    public var music: WaitingPlan.Sound?
    public var announcement: WaitingPlan.Sound?
    /// Between announcements (from the end of the last); 0: the announcement plays once.
    public var announcementIntervalSeconds: Int

    public init(music: WaitingPlan.Sound?, announcement: WaitingPlan.Sound? = nil, announcementIntervalSeconds: Int = 0)
    {
        self.music = music
        self.announcement = announcement
        self.announcementIntervalSeconds = announcementIntervalSeconds
    }

    /// The gateway's own music, for a queue without a hold configuration.
    public static let defaultMusic = HoldPlan(music: .defaultMusic)

    /// Reads a stored hold configuration; a disabled one plays nothing.
    init(config value: JSONValue) {
        guard value["enabled"]?.boolValue ?? true else {
            self.init(music: nil)
            return
        }
        self.init(music: value["onHoldMusic"], announcement: value["announcementMessage"])
    }

    /// Music (`{enabled, useDefault, fileAudioSource}`: the gateway's own without a file) and a
    /// periodic announcement, as hold configurations and the transfer strategy store them.
    init(music option: JSONValue?, announcement: JSONValue?) {
        var music: WaitingPlan.Sound?
        if let option, !option.isNull, option["enabled"]?.boolValue ?? true {
            music =
                option["useDefault"]?.boolValue == true
                ? .defaultMusic
                : option["fileAudioSource"]?["fileDescriptor"]?.stringValue.map { .file(descriptor: $0) }
                    ?? .defaultMusic
        }
        self.init(
            music: music, announcement: WaitingPlan.sound(announcement),
            announcementIntervalSeconds: WaitingPlan.seconds(announcement?["repeatInterval"]) ?? 0)
    }
}

extension ContactCenter {
    /// The hold configuration for a call of `queueId`: the one naming the queue, else the
    /// default one (`default: true`, or no queues); without any, the gateway's own music.
    public func holdPlan(queueId: String?) async throws -> HoldPlan {
        let configs = try await store.settings(DocumentQuery(collection: .holdConfig)).items
            .sorted { $0.createdAt < $1.createdAt }
        let named = queueId.flatMap { queue in
            configs.first { ($0.value["queueIds"]?.strings() ?? []).contains(queue) }
        }
        let fallback = configs.first {
            $0.value["default"]?.boolValue == true || ($0.value["queueIds"]?.strings() ?? []).isEmpty
        }
        guard let chosen = named ?? fallback else { return .defaultMusic }
        return HoldPlan(config: chosen.value)
    }

    /// What a customer hears while a transfer's target rings: the transfer strategy, else the
    /// gateway's own music.
    public func transferPlan() async throws -> HoldPlan {
        guard let setting = try await store.setting(.accountSetting, id: AccountSetting.transferStrategy.rawValue)
        else { return .defaultMusic }
        return HoldPlan(music: setting.value["musicOnHold"], announcement: setting.value["announcementMessage"])
    }
}
