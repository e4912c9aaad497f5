/// An RFC 4733 telephone-event payload (DTMF).
public struct TelephoneEvent: Equatable, Sendable {
    /// 0–9, 10 = `*`, 11 = `#`, 12–15 = A–D.
    public var event: UInt8
    public var end: Bool
    /// 0–63, in -dBm0.
    public var volume: UInt8
    /// In timestamp units of the RTP clock.
    public var duration: UInt16

    public init(event: UInt8, end: Bool, volume: UInt8, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume
        self.duration = duration
    }

    public static func parse(_ payload: [UInt8]) -> TelephoneEvent? {
        guard payload.count >= 4 else { return nil }
        return TelephoneEvent(
            event: payload[0], end: payload[1] & 0x80 != 0, volume: payload[1] & 0x3f,
            duration: UInt16(payload[2]) << 8 | UInt16(payload[3]))
    }

    public var bytes: [UInt8] {
        [event, (end ? 0x80 : 0) | (volume & 0x3f), UInt8(duration >> 8), UInt8(duration & 0xff)]
    }

    /// The digit as a character (`0`–`9`, `*`, `#`, `A`–`D`), nil for other events.
    public var digit: Character? {
        switch event {
        case 0...9: Character(String(event))
        case 10: "*"
        case 11: "#"
        case 12...15: Character(UnicodeScalar(UInt8(65) + event - 12))
        default: nil
        }
    }

    /// The event code of a DTMF digit.
    public static func code(for digit: Character) -> UInt8? {
        switch digit {
        case "0"..."9": UInt8(String(digit))
        case "*": 10
        case "#": 11
        case "A"..."D": UInt8(digit.asciiValue! - 65 + 12)
        case "a"..."d": UInt8(digit.asciiValue! - 97 + 12)
        default: nil
        }
    }

    /// Converts a duration between RTP clock rates (e.g. 8 kHz PSTN and 48 kHz Opus legs).
    public static func rescale(_ value: UInt32, from: UInt32, to: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(value) * UInt64(to)) / UInt64(max(from, 1)))
    }
}
