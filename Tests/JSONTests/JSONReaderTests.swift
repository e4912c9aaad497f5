import Foundation
import JSON
import TestSupport
import Testing

@Suite struct JSONReaderTests {
    /// What Foundation's decoder made of a text before `JSONReader` existed: `JSONValue`'s own
    /// `Decodable` conformance is that path, kept as the reference.
    static func foundation(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    static func foundationText(_ value: JSONValue, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func randomString(_ random: inout SeededGenerator) -> String {
        let alphabet: [Unicode.Scalar] =
            Array("abcXYZ019 _-./\\\"'{}[]:,".unicodeScalars)
            + (0..<0x20).compactMap(Unicode.Scalar.init) + ["\u{7F}", "é", "\u{2028}", "€", "😀", "\u{FEFF}"]
        let count = Int.random(in: 0...12, using: &random)
        return String(String.UnicodeScalarView((0..<count).map { _ in alphabet.randomElement(using: &random)! }))
    }

    static func randomValue(_ random: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2:
            return .int(
                [
                    Int64.random(in: -1000...1000, using: &random), .min, .max,
                    Int64.random(in: .min ... .max, using: &random),
                ]
                .randomElement(using: &random)!)
        case 3:
            // Finite doubles of every magnitude, fractions most of all (whole ones read back as ints).
            let double = [
                Double.random(in: -1e6...1e6, using: &random), Double(bitPattern: random.next()),
                Double.random(in: 0..<1, using: &random) * 1e-300, 0.5, -2.25e-7,
            ].randomElement(using: &random)!
            return double.isFinite && double != double.rounded() ? .double(double) : .double(0.125)
        case 4, 5: return .string(randomString(&random))
        case 6:
            return .array(
                (0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[randomString(&random)] = randomValue(&random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func readsWhatFoundationReadsAndWritesWhatItWrites() throws {
        var random = SeededGenerator(seed: 0x150_2026)
        for _ in 0..<3000 {
            let value = Self.randomValue(&random)
            let compact = try Self.foundationText(value)
            #expect(value.compactText == compact, "written differently from JSONEncoder")
            #expect(JSONValue.parse(compact) == value, "\(compact)")
            #expect(JSONValue.parse(compact) == Self.foundation(compact), "\(compact)")
            let pretty = try Self.foundationText(value, pretty: true)
            #expect(JSONValue.parse(Data(pretty.utf8)) == value, "\(pretty)")
        }
    }

    @Test(arguments: [
        ("1.0", JSONValue.int(1)), ("1e2", .int(100)), ("1.5e3", .int(1500)), ("2.5E+3", .int(2500)), ("-0", .int(0)),
        ("-0.0", .int(0)), ("1.5", .double(1.5)), ("0.1e-2", .double(0.001)), ("1e-400", .int(0)),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9.223_372_036_854_775_808e18)),
        ("-9223372036854775809", .double(-9.223_372_036_854_775_808e18)),
        ("123456789012345678901234567890", .double(1.234_567_890_123_456_8e29)),
        (" \t\r\n true \n", .bool(true)), ("\u{FEFF}null", .null),
        (#""\u00e9\/\"\\\b\f\n\r\t""#, .string("é/\"\\\u{8}\u{C}\n\r\t")), (#""\ud83d\ude00""#, .string("😀")),
        (#"{"a":1,"a":2}"#, .object(["a": .int(1)])),
        (#"{ "a" : [ 1 , {} , [] ] }"#, .object(["a": .array([.int(1), .object([:]), .array([])])])),
    ])
    func readsTheEdgesAsFoundationDid(text: String, value: JSONValue) {
        #expect(JSONValue.parse(text) == value)
        #expect(Self.foundation(text) == value)
    }

    /// Refused, as Foundation's decoder refused them too.
    @Test(arguments: [
        "", " ", "01", "-01", "-", "1.", "1e", ".5", "+1", "1e400", "-1e400", "NaN", "Infinity", "nul", "tru", "nulll",
        "1 2", "[1 2]", "{\"a\" 1}", "{a:1}", "{\"a\":}", "[", "{", "[1", "{\"a\":1", "\"abc", "'a'", #""\ud800""#,
        #""\udc00""#, #""\ud800\u0041""#, #""\u12""#, #""\u12g4""#, #""\x""#, "\"a\u{1}b\"", "\"a\nb\"", "[1]]", "{}}",
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(JSONValue.parse(text) == nil)
        #expect(Self.foundation(text) == nil)
    }

    /// Foundation's decoder let a trailing comma through; JSON has none (RFC 8259), and neither
    /// does the reader.
    @Test(arguments: ["[1,]", "{\"a\":1,}", "[,]", "{,}", "[1,,2]"])
    func refusesTrailingCommas(text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test func refusesInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x80]] {
            #expect(JSONValue.parse(Data(bytes)) == nil)
        }
    }

    @Test func nestsAsDeepAsFoundationAllowedAndNoDeeper() {
        for (depth, accepted) in [(512, true), (513, false), (100_000, false)] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            #expect((JSONValue.parse(arrays) != nil) == accepted, "\(depth) arrays")
            #expect((JSONValue.parse(objects) != nil) == accepted, "\(depth) objects")
        }
    }

    @Test func neverTrapsOnMangledDocuments() throws {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<3000 {
            var bytes = Array(try Self.foundationText(Self.randomValue(&random)).utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: at)
                default: bytes.insert(Array("{}[],:\"\\-0e.".utf8).randomElement(using: &random)!, at: at)
                }
            }
            if let value = JSONValue.parse(Data(bytes)) {
                #expect(JSONValue.parse(value.compactText) == value)
            }
        }
    }

    @Test func writesNumbersThatAreNotFiniteAsNull() {
        #expect(JSONValue.array([.double(.infinity), .double(.nan)]).compactText == "[null,null]")
    }
}
