/// SIP headers in order, with compact forms expanded to their full names (RFC 3261 §7.3.3)
/// and case-insensitive lookup.
public struct SIPHeaders: Equatable, Sendable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        for (name, value) in fields { add(name, value) }
    }

    public static func == (a: SIPHeaders, b: SIPHeaders) -> Bool {
        a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    /// Compact header names and what they stand for.
    public static let compactForms: [String: String] = [
        "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length", "c": "Content-Type",
        "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via", "o": "Event", "r": "Refer-To",
        "u": "Allow-Events",
    ]

    /// Headers whose comma-separated values are separate header values (RFC 3261 §7.3.1).
    static let listHeaders: Set<String> = [
        "via", "route", "record-route", "contact", "allow", "supported", "require", "proxy-require", "unsupported",
        "accept", "accept-encoding", "accept-language", "allow-events", "content-encoding", "in-reply-to",
    ]

    /// The canonical spelling for `name` (compact forms expanded; well-known names capitalised).
    public static func canonical(_ name: String) -> String {
        if name.count == 1, let full = compactForms[name.lowercased()] { return full }
        switch name.lowercased() {
        case "call-id": return "Call-ID"
        case "cseq": return "CSeq"
        case "www-authenticate": return "WWW-Authenticate"
        default:
            return name.split(separator: "-", omittingEmptySubsequences: false)
                .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: "-")
        }
    }

    public mutating func add(_ name: String, _ value: String) {
        let canonicalName = Self.canonical(name)
        if Self.listHeaders.contains(canonicalName.lowercased()) {
            for part in Self.splitList(value) { fields.append((canonicalName, part)) }
        } else {
            fields.append((canonicalName, value))
        }
    }

    /// Replaces every value of `name` with `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        let key = Self.canonical(name).lowercased()
        fields.removeAll { $0.name.lowercased() == key }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        let key = Self.canonical(name).lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let key = Self.canonical(name).lowercased()
        return fields.filter { $0.name.lowercased() == key }.map(\.value)
    }

    /// Splits on commas outside quotes and angle brackets.
    static func splitList(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var angle = 0
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if !quoted && character == "<" {
                angle += 1
            } else if !quoted && character == ">" {
                angle = max(0, angle - 1)
            } else if !quoted && angle == 0 && character == "," {
                parts.append(current.trimmingSIPWhitespace())
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current.trimmingSIPWhitespace())
        return parts.filter { !$0.isEmpty }
    }
}

extension String {
    func trimmingSIPWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
