import Foundation

/// A parsed JSON value. Request bodies are parsed into this first so that validation can
/// name the exact field that is wrong before any typed decoding happens.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data`; returns nil when it is not JSON (see `JSONReader` for what is refused).
    public static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { JSONReader.read($0.bindMemory(to: UInt8.self)) }
    }

    /// Parses `text`; returns nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { JSONReader.read($0) }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int64(d)
        default: return nil
        }
    }

    /// A number as a double (an integer too).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The elements of an array; empty for anything else.
    public var arrayValue: [JSONValue] {
        if case .array(let elements) = self { return elements }
        return []
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Returns a copy with `key` set (only for objects).
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// Every string stored under `key` anywhere in this value.
    public func strings(forKey key: String) -> [String] {
        switch self {
        case .object(let members):
            var found: [String] = []
            for (k, v) in members.sorted(by: { $0.key < $1.key }) {
                if k == key, let s = v.stringValue { found.append(s) }
                found += v.strings(forKey: key)
            }
            return found
        case .array(let items): return items.flatMap { $0.strings(forKey: key) }
        default: return []
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}
