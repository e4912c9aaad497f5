import SIPMessage

/// What can still be read from bytes `SIPMessage.parse` refused: the request line's method and
/// version and the headers a response must copy (Via, From, To, Call-ID, CSeq). Used to answer
/// malformed requests with 400 (or 505 for another SIP version) instead of staying silent.
struct SalvagedRequest {
    var method: String
    var version: String?
    var headers: SIPHeaders

    static let copied: Set<String> = ["via", "from", "to", "call-id", "cseq"]

    /// Nil for responses, for text that does not start like a request, or when any of the copied
    /// headers is missing.
    init?(_ bytes: [UInt8]) {
        guard Self.startsLikeARequest(bytes) else { return nil }
        let end = SIPMessage.headerEndIndex(bytes) ?? min(bytes.count, 65536)
        let text = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        while let first = lines.first, first.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
            lines.removeFirst()
        }
        guard let start = lines.first else { return nil }
        let tokens = start.split(separator: " ", omittingEmptySubsequences: true)
        guard let method = tokens.first, !method.hasPrefix("SIP/"), method.count <= 32,
            method.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-") })
        else { return nil }
        self.method = String(method)
        version = tokens.count == 3 ? String(tokens[2]) : nil
        var headers = SIPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = SIPSyntax.trim(line[..<colon])
            guard SIPSyntax.isToken(name) else { continue }
            let canonical = SIPHeaders.canonical(String(name))
            guard Self.copied.contains(canonical.lowercased()), headers[canonical] == nil else { continue }
            headers.add(canonical, String(SIPSyntax.trim(line[line.index(after: colon)...])))
        }
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] where headers[name] == nil { return nil }
        self.headers = headers
    }

    /// Cheap check before decoding text: optional blank lines, then 1-32 of `A-Z` or `-`, then a space.
    static func startsLikeARequest(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count, bytes[index] == 13 || bytes[index] == 10 { index += 1 }
        let start = index
        while index < bytes.count, index - start <= 32, (bytes[index] >= 65 && bytes[index] <= 90) || bytes[index] == 45
        {
            index += 1
        }
        return index > start && index - start <= 32 && index < bytes.count && bytes[index] == 32
    }
}

extension SIPMessage {
    /// The index of the blank line ending the headers, if any.
    static func headerEndIndex(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < bytes.count && index < 65536 {
            if bytes[index] == 10 && bytes[index + 1] == 10 { return index }
            if index + 3 < bytes.count, bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13,
                bytes[index + 3] == 10
            {
                return index
            }
            index += 1
        }
        return nil
    }
}
