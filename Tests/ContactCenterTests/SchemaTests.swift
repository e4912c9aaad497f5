import ContactCenter
import Foundation
import TestSupport
import Testing

@Suite struct SchemaTests {
    let schema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 5))),
            ("kind", .string(.init(allowed: ["A", "B"]))),
            ("count", .integer(minimum: 1, maximum: 3)),
            ("rate", .number(minimum: 0.5, maximum: 2)),
            ("on", .boolean),
            ("tags", .array(.string(), maxItems: 2)),
            ("inner", .nullable(.object([("value", .integer())], required: ["value"]))),
        ], required: ["name", "kind"], missingMessages: ["name": "Missing Name"])

    func violations(_ json: String) -> [String] {
        schema.validate(JSONValue.parse(Data(json.utf8))!).map(\.description)
    }

    @Test func acceptsAValidBody() {
        #expect(
            violations(#"{"name":"ab","kind":"A","count":2,"rate":1.5,"on":true,"tags":["x"],"inner":{"value":1}}"#)
                .isEmpty)
        #expect(violations(#"{"name":"ab","kind":"A","inner":null,"count":null}"#).isEmpty)
    }

    @Test func namesEveryFailingFieldWithItsPath() {
        let found = violations(
            #"{"kind":"C","count":9,"rate":"fast","on":1,"tags":["a","b","c"],"inner":{"value":"x"},"extra":true}"#)
        #expect(found.contains("name: Missing Name"))
        #expect(found.contains("kind: must be one of A, B, got 'C'"))
        #expect(found.contains("count: must be less than or equal to 3"))
        #expect(found.contains("rate: must be a number, got string"))
        #expect(found.contains("on: must be a boolean, got number"))
        #expect(found.contains("tags: must contain at most 2 item(s)"))
        #expect(found.contains("inner.value: must be an integer, got string"))
        #expect(found.contains("extra: unknown field"))
        #expect(violations(#"{"name":"","kind":"A"}"#) == ["name: must not be blank"])
        #expect(violations(#"{"name":"toolong","kind":"A"}"#) == ["name: size cannot be longer than 5 characters."])
        #expect(violations(#"{"name":null,"kind":"A"}"#) == ["name: Missing Name"])
        #expect(violations(#"[1]"#) == ["must be an object, got array"])
    }

    @Test func integersAcceptWholeDoublesOnly() {
        #expect(Schema.integer().validate(.double(2.0)).isEmpty)
        #expect(!Schema.integer().validate(.double(2.5)).isEmpty)
        #expect(!Schema.integer().validate(.double(1e300)).isEmpty)
    }

    @Test func jsonParserNeverTrapsOnRandomOrTruncatedInput() {
        var generator = SeededGenerator(seed: 42)
        let sample = Array(#"{"a":[1,2.5,true,null,"x\u00e9"],"b":{"c":-3e2}}"#.utf8)
        for length in 0...sample.count { _ = JSONValue.parse(Data(sample.prefix(length))) }
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0...255, using: &generator) : sample.randomElement(using: &generator)!
            }
            if let value = JSONValue.parse(Data(bytes)) { _ = schema.validate(value) }
        }
        #expect(JSONValue.parse(Data(sample)) != nil)
    }
}
