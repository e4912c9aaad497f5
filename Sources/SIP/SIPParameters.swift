/// An ordered list of `;name[=value]` parameters with case-insensitive names
/// (RFC 3261 §19.1.1 URI parameters, §7.3.1 header parameters).
public struct SIPParameters: Hashable, Sendable, CustomStringConvertible {
    /// One parameter; `value` is nil for a bare flag such as `lr` or `rport`.
    public struct Parameter: Hashable, Sendable {
        /// The name as written.
        public var name: String
        /// The value, nil for a flag.
        public var value: String?

        /// A parameter from its parts.
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The parameters in order.
    public private(set) var items: [Parameter] = []

    /// Parameters from `(name, value)` pairs, in order.
    public init(_ items: [(String, String?)] = []) {
        self.items = items.map { Parameter(name: $0.0, value: $0.1) }
    }

    /// Whether a parameter called `name` is present (with or without a value).
    public func contains(_ name: String) -> Bool {
        items.contains { $0.name.lowercased() == name.lowercased() }
    }

    /// The value of `name`; nil when absent or present without a value.
    public subscript(name: String) -> String? {
        items.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Sets `name` to `value` (nil for a flag), keeping its position when already present.
    public mutating func set(_ name: String, _ value: String?) {
        if let index = items.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            items[index].value = value
        } else {
            items.append(Parameter(name: name, value: value))
        }
    }

    /// Removes every parameter called `name`.
    public mutating func remove(_ name: String) {
        items.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    /// Whether there are no parameters.
    public var isEmpty: Bool { items.isEmpty }

    /// `;name=value;flag…`, empty when there are no parameters.
    public var description: String {
        items.map { item in item.value.map { ";\(item.name)=\($0)" } ?? ";\(item.name)" }.joined()
    }

    /// Parses `name[=value]` pieces separated by `;` (the text after the first `;`). Values may be
    /// quoted strings. Returns nil when a piece is empty, a name is not a token or a value holds
    /// whitespace or controls.
    public static func parse(_ text: Substring) -> SIPParameters? {
        var result = SIPParameters()
        for piece in SIPSyntax.split(text, on: ";") {
            let trimmed = SIPSyntax.trim(piece)
            guard !trimmed.isEmpty else { return nil }
            if let equals = trimmed.firstIndex(of: "=") {
                let name = SIPSyntax.trim(trimmed[..<equals])
                let value = SIPSyntax.trim(trimmed[trimmed.index(after: equals)...])
                guard SIPSyntax.isToken(name), SIPSyntax.isParameterValue(value) else { return nil }
                result.items.append(Parameter(name: String(name), value: String(value)))
            } else {
                guard SIPSyntax.isToken(trimmed) else { return nil }
                result.items.append(Parameter(name: String(trimmed), value: nil))
            }
        }
        return result
    }
}

/// Character classes and small scanners shared by the header value parsers.
enum SIPSyntax {
    /// RFC 3261 §25.1 `token` characters.
    static func isTokenCharacter(_ character: Character) -> Bool {
        guard character.isASCII, let ascii = character.asciiValue else { return false }
        if (ascii >= 0x30 && ascii <= 0x39) || (ascii >= 0x41 && ascii <= 0x5A) || (ascii >= 0x61 && ascii <= 0x7A) {
            return true
        }
        return "-.!%*_+`'~".contains(character)
    }

    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.allSatisfy(isTokenCharacter)
    }

    /// A parameter value: a quoted string, or visible ASCII without separators that would end it.
    static func isParameterValue(_ text: some StringProtocol) -> Bool {
        if text.first == "\"" { return quotedLength(Substring(text)) == text.count }
        return !text.isEmpty
            && text.allSatisfy { $0.isASCII && ($0.asciiValue ?? 0) > 0x20 && ($0.asciiValue ?? 0) < 0x7F && $0 != ";" }
    }

    /// Whether `text` is visible ASCII or UTF-8 text without controls, quotes or angle brackets.
    static func isSafeText(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && scalar != "<" && scalar != ">" && scalar != "\""
        }
    }

    /// The length of the quoted string at the start of `text` (quotes included), or nil when unterminated.
    static func quotedLength(_ text: Substring) -> Int? {
        guard text.first == "\"" else { return nil }
        var escaped = false
        var count = 1
        for character in text.dropFirst() {
            count += 1
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return count
            }
        }
        return nil
    }

    /// Splits on `separator` outside quoted strings and angle brackets.
    static func split(_ text: Substring, on separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        var quoted = false
        var escaped = false
        var angle = false
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                escaped = false
            } else if quoted {
                if character == "\\" { escaped = true } else if character == "\"" { quoted = false }
            } else if character == "\"" {
                quoted = true
            } else if character == "<" {
                angle = true
            } else if character == ">" {
                angle = false
            } else if character == separator && !angle {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start..<text.endIndex])
        return parts
    }

    static func trim(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }

    /// A host name, IPv4 address or bracketed IPv6 reference (lenient: underscores allowed).
    static func isHost(_ host: some StringProtocol) -> Bool {
        guard !host.isEmpty, host.count <= 255 else { return false }
        if host.first == "[" {
            guard host.last == "]", host.count > 2 else { return false }
            return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
                && host.contains(":")
        }
        return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
    }

    /// A port number 1…65535 written with digits only.
    static func port(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int(text), value > 0, value <= 65535
        else { return nil }
        return value
    }

    /// `host` as it appears in a URI or Via: IPv6 addresses get brackets.
    static func uriHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// `host` without IPv6 brackets, as socket addresses write it.
    static func bareHost(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 ? String(host.dropFirst().dropLast()) : host
    }
}
