/// A bencoded value, as rtpengine's `ng` control protocol carries its messages.
enum Bencode: Equatable, Sendable {
    case string([UInt8])
    case integer(Int)
    case list([Bencode])
    case dictionary([String: Bencode])

    static func text(_ value: String) -> Bencode { .string(Array(value.utf8)) }

    /// The value as text, when it is a string.
    var text: String? {
        guard case .string(let bytes) = self else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    subscript(key: String) -> Bencode? {
        guard case .dictionary(let entries) = self else { return nil }
        return entries[key]
    }

    /// The encoding (dictionary keys sorted, as bencode requires).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .string(let bytes):
            out += Array("\(bytes.count):".utf8) + bytes
        case .integer(let value):
            out += Array("i\(value)e".utf8)
        case .list(let items):
            out.append(UInt8(ascii: "l"))
            for item in items { item.append(to: &out) }
            out.append(UInt8(ascii: "e"))
        case .dictionary(let entries):
            out.append(UInt8(ascii: "d"))
            for key in entries.keys.sorted() {
                Bencode.text(key).append(to: &out)
                entries[key]!.append(to: &out)
            }
            out.append(UInt8(ascii: "e"))
        }
    }

    /// Parses one value that fills `bytes`; nil for anything malformed (never traps).
    static func parse(_ bytes: ArraySlice<UInt8>) -> Bencode? {
        var index = bytes.startIndex
        guard let value = parseValue(bytes, &index, depth: 0), index == bytes.endIndex else { return nil }
        return value
    }

    private static func parseValue(_ bytes: ArraySlice<UInt8>, _ index: inout Int, depth: Int) -> Bencode? {
        guard depth < 32, index < bytes.endIndex else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "i"):
            index += 1
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "e")),
                let value = Int(String(decoding: bytes[index..<end], as: UTF8.self))
            else { return nil }
            index = end + 1
            return .integer(value)
        case UInt8(ascii: "l"):
            index += 1
            var items: [Bencode] = []
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: "e") {
                guard let item = parseValue(bytes, &index, depth: depth + 1) else { return nil }
                items.append(item)
            }
            guard index < bytes.endIndex else { return nil }
            index += 1
            return .list(items)
        case UInt8(ascii: "d"):
            index += 1
            var entries: [String: Bencode] = [:]
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: "e") {
                guard case .string(let key)? = parseValue(bytes, &index, depth: depth + 1),
                    let value = parseValue(bytes, &index, depth: depth + 1)
                else { return nil }
                entries[String(decoding: key, as: UTF8.self)] = value
            }
            guard index < bytes.endIndex else { return nil }
            index += 1
            return .dictionary(entries)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":")), colon - index <= 9,
                let length = Int(String(decoding: bytes[index..<colon], as: UTF8.self)),
                length <= bytes.endIndex - (colon + 1)
            else { return nil }
            index = colon + 1 + length
            return .string(Array(bytes[(colon + 1)..<index]))
        default:
            return nil
        }
    }
}
