import Foundation
import Testing

@testable import ContactCenter

@Suite struct InfobipDateTests {
    private static let formatter = InfobipDate.output

    @Test func writesAndReadsAsTheFormatterDoes() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            // Whole milliseconds from 1900 to 2200 (a Double holds microseconds there; before 1582 the
            // formatter counts in the Julian calendar), plus a part of a millisecond that both round
            // alike: not within 0.1 ms of the half, where the two roundings of a Double may differ.
            let millisecond = Double(Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator))
            let part = Bool.random(using: &generator) ? Double.random(in: 0..<0.4) : Double.random(in: 0.6..<0.9)
            let date = Date(timeIntervalSince1970: (millisecond + part) / 1000)
            let text = try #require(InfobipDateCodec.format(date))
            #expect(text == Self.formatter.string(from: date), "\(date.timeIntervalSince1970)")
            let parsed = try #require(InfobipDateCodec.parse(text))
            #expect(abs(parsed.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.0006, "\(text)")
            #expect(InfobipDate.format(parsed) == text)
        }
    }

    @Test func readsISO8601FormsAndOffsets() throws {
        let expected = Date(timeIntervalSince1970: 1_764_085_207.156)
        for text in [
            "2025-11-25T15:40:07.156+0000", "2025-11-25T15:40:07.156Z", "2025-11-25T16:40:07.156+01:00",
            "2025-11-25T10:10:07.156-0530", "2025-11-25T15:40:07.156000001Z",
        ] {
            let parsed = try #require(InfobipDateCodec.parse(text), "\(text)")
            #expect(abs(parsed.timeIntervalSince1970 - expected.timeIntervalSince1970) < 1e-6, "\(text)")
        }
        #expect(InfobipDateCodec.parse("2025-11-25T15:40:07Z")?.timeIntervalSince1970 == 1_764_085_207)
        #expect(InfobipDateCodec.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test func refusesWhatIsNotADateWithoutTrapping() {
        for text in [
            "", "2025-11-25", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2025-11-25T24:00:00Z",
            "2025-11-25T15:40:07.Z", "2025-11-25T15:40:07+25:00", "2025-11-25T15:40:07.1234567890Z",
            "2025-11-25T15:40:07Zjunk", "２０２５-11-25T15:40:07Z", "2025-11-25 15:40:07Z",
        ] {
            #expect(InfobipDateCodec.parse(text) == nil, "\(text)")
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-:T.Z+ z")
        for _ in 0..<20000 {
            let text = String((0..<Int.random(in: 0...32, using: &generator)).map { _ in alphabet.randomElement()! })
            _ = InfobipDateCodec.parse(text)
        }
        #expect(InfobipDateCodec.format(Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(InfobipDateCodec.format(Date(timeIntervalSince1970: 1e15)) == nil)
    }
}
