/// Schemas shared by waiting strategies, hold configurations and the transfer strategy.
public enum AudioSchemas {
    public static let durationUnits = ["SECONDS", "MINUTES", "HOURS"]

    public static let duration = Schema.object(
        [("unit", .string(.init(allowed: durationUnits))), ("value", .integer(minimum: 1, maximum: 86_400))],
        required: ["unit", "value"])

    public static let tts = Schema.object(
        [
            ("text", .string(.init(maxLength: 1400))),
            ("language", .string(.init(minLength: 1, maxLength: 36))),
            ("isLanguageSelectedManually", .boolean),
            (
                "voice",
                .object(
                    [
                        ("name", .string(.init(minLength: 1, maxLength: 36))),
                        ("gender", .string(.init(allowed: ["MALE", "FEMALE"]))),
                    ], required: ["name", "gender"])
            ),
            ("speechRate", .number(minimum: 0.5, maximum: 2.0)),
        ], required: ["text", "language", "voice", "speechRate"])

    public static let file = Schema.object([("fileDescriptor", .string(.init(minLength: 1, maxLength: 128)))])

    static let sourceFields: [(String, Schema)] = [
        ("enabled", .boolean),
        ("audioSourceType", .string(.init(allowed: ["TTS", "FILE"]))),
        ("ttsAudioSource", .nullable(tts)),
        ("fileAudioSource", .nullable(file)),
    ]

    /// `OptionWithFileOrTtsAudioSourceApiModel`.
    public static let fileOrTts = Schema.object(sourceFields)

    /// Music on hold in waiting strategies (`OptionWithFileAudioSourceApiModel`).
    public static let music = Schema.object([("enabled", .boolean), ("fileAudioSource", .nullable(file))])

    /// Music on hold in transfer strategy and hold configurations, which may use the default music.
    public static let musicWithDefault = Schema.object(
        [("enabled", .boolean), ("useDefault", .boolean), ("fileAudioSource", .nullable(file))])

    public static let collectable = Schema.object(
        [
            ("code", .string(.init(minLength: 1, maxLength: 36))),
            ("action", .string(.init(allowed: ["CALLBACK", "RETURN_TO_IVR"]))),
            ("value", .string(.init(minLength: 1, maxLength: 64))),
        ], required: ["code", "action", "value"])

    /// A periodic announcement (`OptionWithPeriodicCollectApiModel`).
    public static let announcement = Schema.object(
        sourceFields + [
            ("repeatInterval", .nullable(duration)),
            ("collectables", .array(collectable, maxItems: 12)),
            ("collectDuration", .nullable(duration)),
        ])

    /// A periodic announcement without digit collection (transfer and hold).
    public static let periodicAnnouncement = Schema.object(sourceFields + [("repeatInterval", .nullable(duration))])

    /// Semantic checks beyond the shape: an enabled option must carry the source its type names.
    public static func checkSources(in value: JSONValue, at path: String) -> [Violation] {
        var violations: [Violation] = []
        guard case .object(let members) = value else { return [] }
        if members["enabled"]?.boolValue == true, let type = members["audioSourceType"]?.stringValue {
            if type == "TTS", members["ttsAudioSource"] == nil || members["ttsAudioSource"] == .null {
                violations.append(
                    Violation(field: "\(path).ttsAudioSource", message: "is required when audioSourceType is TTS"))
            }
            if type == "FILE", members["fileAudioSource"]?["fileDescriptor"]?.stringValue == nil {
                violations.append(
                    Violation(
                        field: "\(path).fileAudioSource.fileDescriptor",
                        message: "is required when audioSourceType is FILE"))
            }
        }
        if members["enabled"]?.boolValue == true, members["audioSourceType"] == nil,
            members["useDefault"]?.boolValue != true,
            members["ttsAudioSource"] != nil || members.keys.contains("repeatInterval")
        {
            violations.append(Violation(field: "\(path).audioSourceType", message: "must not be null"))
        }
        if members["enabled"]?.boolValue == true, members.keys.contains("repeatInterval"),
            members["repeatInterval"] == nil || members["repeatInterval"] == .null
        {
            violations.append(
                Violation(field: "\(path).repeatInterval", message: "is required when the announcement is enabled"))
        }
        return violations
    }
}
