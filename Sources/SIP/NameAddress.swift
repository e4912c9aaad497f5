/// A `name-addr` or `addr-spec` with header parameters (RFC 3261 §20.10, §25.1): the value of
/// From, To, Contact, Route and Record-Route, such as `"Alice" <sip:alice@example.com>;tag=1928301774`.
public struct NameAddress: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The display name, unquoted and unescaped.
    public var displayName: String?
    /// The URI.
    public var uri: SIPURI
    /// Header parameters after the URI (`tag`, `expires`, `q` …).
    public var parameters: SIPParameters

    /// A name-addr from its parts.
    public init(displayName: String? = nil, uri: SIPURI, parameters: SIPParameters = SIPParameters()) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    /// Parses `"Display" <uri>;params`, `Display <uri>;params`, `<uri>;params` or a bare `uri;params`
    /// (where, per §20.10, everything after the first `;` is a header parameter). Nil when malformed.
    public init?(_ string: String) {
        var text = SIPSyntax.trim(Substring(string))
        guard !text.isEmpty, text.count <= 4096 else { return nil }
        var displayName: String?
        if text.first == "\"" {
            guard let length = SIPSyntax.quotedLength(text) else { return nil }
            displayName = Self.unquote(text.prefix(length))
            text = SIPSyntax.trim(text.dropFirst(length))
            guard text.first == "<" else { return nil }
        } else if let open = text.firstIndex(of: "<") {
            let name = SIPSyntax.trim(text[..<open])
            guard name.allSatisfy({ SIPSyntax.isTokenCharacter($0) || $0 == " " || $0 == "\t" }) else { return nil }
            displayName = name.isEmpty ? nil : String(name)
            text = text[open...]
        }
        let uriText: Substring
        let rest: Substring
        if text.first == "<" {
            guard let close = text.firstIndex(of: ">") else { return nil }
            uriText = text[text.index(after: text.startIndex)..<close]
            rest = SIPSyntax.trim(text[text.index(after: close)...])
        } else {
            let end = text.firstIndex(of: ";") ?? text.endIndex
            uriText = text[..<end]
            rest = text[end...]
            guard !uriText.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        }
        guard let uri = SIPURI(String(uriText)) else { return nil }
        var parameters = SIPParameters()
        if !rest.isEmpty {
            guard rest.first == ";", let parsed = SIPParameters.parse(rest.dropFirst()) else { return nil }
            parameters = parsed
        }
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    /// The `tag` parameter.
    public var tag: String? {
        get { parameters["tag"] }
        set {
            if let newValue { parameters.set("tag", newValue) } else { parameters.remove("tag") }
        }
    }

    /// `"Display" <uri>;params` (the display name always quoted, the URI always in angle brackets).
    public var description: String {
        var text = ""
        if let displayName, !displayName.isEmpty { text += Self.quote(displayName) + " " }
        return text + "<\(uri)>" + parameters.description
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
            if scalar == "\"" || scalar == "\\" { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result + "\""
    }

    static func unquote(_ quoted: Substring) -> String {
        var result = ""
        var escaped = false
        for character in quoted.dropFirst().dropLast() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The `tag` parameter of a From or To value without requiring its URI to be a SIP URI
    /// (a `tel:` From still has a tag). Nil when there is no tag.
    public static func tag(in value: String) -> String? {
        var text = Substring(value)
        var quoted = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if escaped {
                escaped = false
            } else if quoted {
                if character == "\\" { escaped = true } else if character == "\"" { quoted = false }
            } else if character == "\"" {
                quoted = true
            } else if character == ">" {
                text = text[index...]
                break
            }
        }
        for piece in SIPSyntax.split(text, on: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            if pair.count == 2, SIPSyntax.trim(pair[0]).lowercased() == "tag" {
                let tag = SIPSyntax.trim(pair[1])
                return tag.isEmpty ? nil : String(tag)
            }
        }
        return nil
    }
}
