import Foundation
@_exported import JSON

// `JSONValue` lives in the `JSON` target (the signaling frames need it below this layer); every
// module that imports `ContactCenter` sees it through the re-export above.

extension JSONValue {
    /// `value` as it encodes to JSON (with Infobip's date format).
    public static func encoding<T: Encodable>(_ value: T) throws -> JSONValue {
        let data = try InfobipDate.encoder().encode(value)
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }
}
