import NIOCore
import RTP

/// A leg's digits (RFC 4733), reported once per event whoever heard them: a bridge while the leg
/// is connected, a `DTMFListener` while it is not. An event's end packet is sent up to three
/// times, and its copies may straddle a change of connection; they share the event's RTP
/// timestamp, so the second and third are dropped here.
///
/// `@unchecked Sendable`: used on the leg's event loop only.
final class DigitReporter: @unchecked Sendable {
    private let report: @Sendable (Character) -> Void
    private var lastEventTimestamp: UInt32?

    init(_ report: @escaping @Sendable (Character) -> Void) { self.report = report }

    func heard(_ digit: Character, timestamp: UInt32) {
        guard lastEventTimestamp != timestamp else { return }
        lastEventTimestamp = timestamp
        report(digit)
    }
}

/// Hears the digits (RFC 4733) a leg's party sends while the leg is in no connection (a waiting
/// caller pressing a key during an announcement): a bridge reports them once the leg is
/// connected.
///
/// `@unchecked Sendable`: installed, called and removed on the leg's event loop only.
final class DTMFListener: @unchecked Sendable {
    private let reporter: DigitReporter

    init(_ reporter: DigitReporter) { self.reporter = reporter }
    /// Listens to `leg`'s packets (replaced by a bridge's handler when the leg is connected).
    func install(on leg: MediaLeg) {
        switch leg {
        case .rtp(let rtp):
            rtp.onRTP = { [self] buffer, header, leg in
                guard header.payloadType == leg.telephoneEventPayloadType else { return }
                hear(buffer, header)
            }
        case .webRTC(let web):
            web.onRTP = { [self] buffer, header, leg in
                guard leg.telephoneEventTypes.contains(header.payloadType) else { return }
                hear(buffer, header)
            }
        }
    }

    private func hear(_ buffer: ByteBuffer, _ header: RTPHeader) {
        guard header.payloadLength >= 4,
            let payload = buffer.getBytes(at: buffer.readerIndex + header.payloadOffset, length: 4),
            let event = TelephoneEvent.parse(payload), event.end, let digit = event.digit
        else { return }
        reporter.heard(digit, timestamp: header.timestamp)
    }
}
