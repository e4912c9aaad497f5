#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why text is not an acceptable session description.
public enum SDPError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case badLine(Int, String)
    case missingVersion
    case badMediaLine(Int)
    case tooLarge

    public var description: String {
        switch self {
        case .empty: "SDP is empty"
        case .badLine(let n, let why): "SDP line \(n): \(why)"
        case .missingVersion: "SDP must start with v=0"
        case .badMediaLine(let n): "SDP line \(n): m= line must be 'm=<media> <port> <proto> <formats…>'"
        case .tooLarge: "SDP is larger than 64 KiB"
        }
    }
}

/// An attribute line `a=name[:value]`.
public struct SDPAttribute: Equatable, Sendable {
    public var name: String
    public var value: String?
    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
    var line: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}

/// One `m=` section with its lines in order.
public struct MediaDescription: Equatable, Sendable {
    public var media: String
    public var port: Int
    public var proto: String
    public var formats: [String]
    /// `c=`, `b=` and other non-attribute lines, kept as `(type, value)`.
    public var lines: [(type: Character, value: String)]
    public var attributes: [SDPAttribute]

    public init(
        media: String, port: Int, proto: String, formats: [String], lines: [(Character, String)] = [],
        attributes: [SDPAttribute] = []
    ) {
        self.media = media
        self.port = port
        self.proto = proto
        self.formats = formats
        self.lines = lines.map { (type: $0.0, value: $0.1) }
        self.attributes = attributes
    }

    public static func == (a: MediaDescription, b: MediaDescription) -> Bool {
        a.media == b.media && a.port == b.port && a.proto == b.proto && a.formats == b.formats
            && a.lines.map(\.type) == b.lines.map(\.type) && a.lines.map(\.value) == b.lines.map(\.value)
            && a.attributes == b.attributes
    }

    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
    public func attributes(_ name: String) -> [String] { attributes.filter { $0.name == name }.compactMap(\.value) }
    public func hasAttribute(_ name: String) -> Bool { attributes.contains { $0.name == name } }
}

/// A session description (RFC 8866): session lines and media sections, each kept in order so
/// that serializing a parsed description gives the same lines back.
public struct SessionDescription: Equatable, Sendable {
    /// Session-level non-attribute lines in order (`v`, `o`, `s`, `t`, `c`, …).
    public var lines: [(type: Character, value: String)]
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(lines: [(Character, String)], attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.lines = lines.map { (type: $0.0, value: $0.1) }
        self.attributes = attributes
        self.media = media
    }

    public static func == (a: SessionDescription, b: SessionDescription) -> Bool {
        a.lines.map(\.type) == b.lines.map(\.type) && a.lines.map(\.value) == b.lines.map(\.value)
            && a.attributes == b.attributes && a.media == b.media
    }

    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    /// Parses SDP text with CRLF or LF line ends. Never traps. Reads UTF-8 bytes: every separator
    /// in SDP's grammar is ASCII, and bytes cost far less than `Character`s (grapheme breaking).
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        guard text.utf8.count <= 65536 else { throw .tooLarge }
        var description = SessionDescription(lines: [])
        var current: MediaDescription?
        var number = 0
        for line in lines(of: text) {
            number += 1
            guard line.count >= 2, let first = line.first, isASCIILetter(first),
                line[line.index(after: line.startIndex)] == UInt8(ascii: "=")
            else { throw .badLine(number, "expected '<letter>=<value>'") }
            let type = Character(Unicode.Scalar(first))
            let valueBytes = line.dropFirst(2)
            if number == 1 {
                guard type == "v", valueBytes.elementsEqual("0".utf8) else { throw .missingVersion }
            }
            switch type {
            case "m":
                if let finished = current { description.media.append(finished) }
                let parts = valueBytes.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                guard parts.count >= 3, let port = Int(parts[1].split(separator: "/").first ?? ""),
                    (0...65535).contains(port)
                else { throw .badMediaLine(number) }
                current = MediaDescription(
                    media: parts[0], port: port, proto: parts[2], formats: Array(parts.dropFirst(3)))
            case "a":
                let attribute: SDPAttribute
                if let colon = valueBytes.firstIndex(of: UInt8(ascii: ":")) {
                    attribute = SDPAttribute(
                        String(decoding: valueBytes[..<colon], as: UTF8.self),
                        String(decoding: valueBytes[valueBytes.index(after: colon)...], as: UTF8.self))
                } else {
                    attribute = SDPAttribute(String(decoding: valueBytes, as: UTF8.self))
                }
                guard !attribute.name.isEmpty else { throw .badLine(number, "attribute without a name") }
                if current != nil {
                    current!.attributes.append(attribute)
                } else {
                    description.attributes.append(attribute)
                }
            default:
                let value = String(decoding: valueBytes, as: UTF8.self)
                if current != nil {
                    current!.lines.append((type, value))
                } else {
                    description.lines.append((type, value))
                }
            }
        }
        guard number > 0 else { throw .empty }
        if let finished = current { description.media.append(finished) }
        return description
    }

    /// The text's non-empty lines, ended by LF, CR or CRLF. Line ends are found with `memchr`:
    /// each byte is looked at once for LF, and once more for CR within its line.
    private static func lines(of text: String) -> [Substring.UTF8View] {
        var text = text
        text.makeContiguousUTF8()
        let utf8 = text.utf8
        let ranges =
            utf8.withContiguousStorageIfAvailable { bytes -> [Range<Int>] in
                guard let base = bytes.baseAddress else { return [] }
                func find(_ byte: UInt8, from start: Int, to end: Int) -> Int {
                    guard let found = memchr(base + start, Int32(byte), end - start) else { return end }
                    return UnsafeRawPointer(found) - UnsafeRawPointer(base)
                }
                var ranges: [Range<Int>] = []
                var start = 0
                var lf = -1
                while start < bytes.count {
                    if lf < start { lf = find(0x0A, from: start, to: bytes.count) }
                    let end = find(0x0D, from: start, to: lf)
                    if end > start { ranges.append(start..<end) }
                    start = end + 1
                }
                return ranges
            } ?? []
        return ranges.map {
            utf8[
                utf8.index(
                    utf8.startIndex, offsetBy: $0.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: $0.upperBound)]
        }
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// The text, with CRLF line ends.
    public var text: String {
        var out: [String] = []
        for line in lines { out.append("\(line.type)=\(line.value)") }
        out += attributes.map(\.line)
        for m in media {
            out.append("m=\(m.media) \(m.port) \(m.proto) \(m.formats.joined(separator: " "))")
            for line in m.lines { out.append("\(line.type)=\(line.value)") }
            out += m.attributes.map(\.line)
        }
        return out.joined(separator: "\r\n") + "\r\n"
    }
}
