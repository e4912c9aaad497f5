import Foundation

/// Identifier formats used by Infobip: 32 upper-case hex digits for agents and queues,
/// lower-case UUIDs for conversations and messages.
public enum Identifiers {
    public static func hex32() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }

    public static func uuid() -> String {
        UUID().uuidString.lowercased()
    }
}
