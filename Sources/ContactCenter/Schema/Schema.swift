/// A JSON schema subset, declared once per request body. It validates bodies (naming the
/// failing field) and is rendered into the OpenAPI document the gateway serves.
public indirect enum Schema: Sendable {
    case string(StringRules = .init())
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    case number(minimum: Double? = nil, maximum: Double? = nil)
    case boolean
    case array(Schema, minItems: Int? = nil, maxItems: Int? = nil)
    case object(ObjectRules)
    /// Any JSON object, unchecked (e.g. message content whose shape depends on the channel).
    case freeform
    /// `null` is accepted besides the wrapped schema.
    case nullable(Schema)
    /// A schema with a description shown in the OpenAPI document.
    case described(Schema, String)

    public struct StringRules: Sendable {
        public var minLength: Int?
        public var maxLength: Int?
        public var allowed: [String]?
        /// Characters allowed besides letters and digits; nil means any.
        public var extraCharacters: String?
        public var format: String?
        public init(
            minLength: Int? = nil, maxLength: Int? = nil, allowed: [String]? = nil,
            extraCharacters: String? = nil, format: String? = nil
        ) {
            self.minLength = minLength
            self.maxLength = maxLength
            self.allowed = allowed
            self.extraCharacters = extraCharacters
            self.format = format
        }
    }

    public struct ObjectRules: Sendable {
        public var properties: [(name: String, schema: Schema)]
        public var required: Set<String>
        /// Message used when a required field is missing, per field; default "must not be null".
        public var missingMessages: [String: String]
        /// Unknown fields are refused when false.
        public var allowsUnknown: Bool
        public init(
            _ properties: [(String, Schema)], required: Set<String> = [], missingMessages: [String: String] = [:],
            allowsUnknown: Bool = false
        ) {
            self.properties = properties.map { (name: $0.0, schema: $0.1) }
            self.required = required
            self.missingMessages = missingMessages
            self.allowsUnknown = allowsUnknown
        }
    }

    public static func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> Schema
    where E.RawValue == String {
        .string(.init(allowed: type.allCases.map(\.rawValue)))
    }

    public static func object(
        _ properties: [(String, Schema)], required: Set<String> = [], missingMessages: [String: String] = [:]
    ) -> Schema {
        .object(ObjectRules(properties, required: required, missingMessages: missingMessages))
    }
}

/// One thing wrong with a request body: the dotted path of the field and what is wrong.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension Schema {
    /// Returns every violation of `value` against this schema, with field paths.
    public func validate(_ value: JSONValue, at path: String = "") -> [Violation] {
        switch self {
        case .described(let inner, _):
            return inner.validate(value, at: path)
        case .nullable(let inner):
            return value.isNull ? [] : inner.validate(value, at: path)
        case .freeform:
            if case .object = value { return [] }
            return [Violation(field: path, message: "must be an object, got \(value.typeName)")]
        case .boolean:
            return value.boolValue == nil
                ? [Violation(field: path, message: "must be a boolean, got \(value.typeName)")] : []
        case .integer(let minimum, let maximum):
            guard let i = value.intValue else {
                return [Violation(field: path, message: "must be an integer, got \(value.typeName)")]
            }
            if let minimum, i < minimum {
                return [Violation(field: path, message: "must be greater than or equal to \(minimum)")]
            }
            if let maximum, i > maximum {
                return [Violation(field: path, message: "must be less than or equal to \(maximum)")]
            }
            return []
        case .number(let minimum, let maximum):
            let d: Double
            switch value {
            case .int(let i): d = Double(i)
            case .double(let x): d = x
            default: return [Violation(field: path, message: "must be a number, got \(value.typeName)")]
            }
            if let minimum, d < minimum {
                return [Violation(field: path, message: "must be greater than or equal to \(minimum)")]
            }
            if let maximum, d > maximum {
                return [Violation(field: path, message: "must be less than or equal to \(maximum)")]
            }
            return []
        case .string(let rules):
            guard let s = value.stringValue else {
                return [Violation(field: path, message: "must be a string, got \(value.typeName)")]
            }
            if let allowed = rules.allowed, !allowed.contains(s) {
                return [
                    Violation(field: path, message: "must be one of \(allowed.joined(separator: ", ")), got '\(s)'")
                ]
            }
            if let minLength = rules.minLength, s.count < minLength {
                return [
                    Violation(
                        field: path,
                        message: minLength == 1
                            ? "must not be blank"
                            : "size must be between \(minLength) and \(rules.maxLength ?? Int.max)")
                ]
            }
            if let maxLength = rules.maxLength, s.count > maxLength {
                return [Violation(field: path, message: "size cannot be longer than \(maxLength) characters.")]
            }
            if let extra = rules.extraCharacters,
                s.unicodeScalars.contains(where: {
                    !($0.properties.isAlphabetic && $0.isASCII) && !("0"..."9").contains($0)
                        && !extra.unicodeScalars.contains($0)
                })
            {
                return [Violation(field: path, message: "may contain only letters, digits and \(extra)")]
            }
            return []
        case .array(let items, let minItems, let maxItems):
            guard case .array(let elements) = value else {
                return [Violation(field: path, message: "must be an array, got \(value.typeName)")]
            }
            if let minItems, elements.count < minItems {
                return [Violation(field: path, message: "must contain at least \(minItems) item(s)")]
            }
            if let maxItems, elements.count > maxItems {
                return [Violation(field: path, message: "must contain at most \(maxItems) item(s)")]
            }
            return elements.enumerated().flatMap { items.validate($1, at: "\(path)[\($0)]") }
        case .object(let rules):
            guard case .object(let members) = value else {
                return [Violation(field: path, message: "must be an object, got \(value.typeName)")]
            }
            var violations: [Violation] = []
            let prefix = path.isEmpty ? "" : "\(path)."
            for (name, schema) in rules.properties {
                let field = prefix + name
                if let member = members[name] {
                    if member.isNull, rules.required.contains(name) {
                        violations.append(
                            Violation(field: field, message: rules.missingMessages[name] ?? "must not be null"))
                    } else if !member.isNull || !schema.acceptsNullWhenOptional {
                        violations += schema.validate(member, at: field)
                    }
                } else if rules.required.contains(name) {
                    violations.append(
                        Violation(field: field, message: rules.missingMessages[name] ?? "must not be null"))
                }
            }
            if !rules.allowsUnknown {
                let known = Set(rules.properties.map(\.name))
                for name in members.keys.sorted() where !known.contains(name) {
                    violations.append(Violation(field: prefix + name, message: "unknown field"))
                }
            }
            return violations
        }
    }

    /// Optional fields may be sent as `null` (meaning "not set") unless the schema says otherwise.
    var acceptsNullWhenOptional: Bool { true }
}
