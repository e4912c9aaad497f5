import NIOCore
import RTP
import SDP

/// One party's media in a call: a WebRTC leg (browser, app, headless agent) or a plain RTP leg
/// (a SIP trunk).
public enum MediaLeg: Sendable {
    case webRTC(WebRTCLeg)
    case rtp(RTPLeg)

    public var eventLoop: any EventLoop {
        switch self {
        case .webRTC(let leg): leg.eventLoop
        case .rtp(let leg): leg.eventLoop
        }
    }

    public var webRTC: WebRTCLeg? {
        if case .webRTC(let leg) = self { return leg }
        return nil
    }

    public var rtp: RTPLeg? {
        if case .rtp(let leg) = self { return leg }
        return nil
    }

    /// The audio codec the leg sends with (not telephone-event), once negotiated.
    var audioCodec: Codec? {
        switch self {
        case .webRTC(let leg): leg.audioCodec
        case .rtp(let leg): leg.negotiation?.codec
        }
    }

    /// What the leg's audio goes out as, for players at every frame.
    var sendingAudio: SendingAudio? {
        switch self {
        case .webRTC(let leg): leg.sendingAudio
        case .rtp(let leg): leg.sendingAudio
        }
    }

    /// The leg object's identity.
    var id: ObjectIdentifier {
        switch self {
        case .webRTC(let leg): ObjectIdentifier(leg)
        case .rtp(let leg): ObjectIdentifier(leg)
        }
    }

    /// Reports the leg's events; installed on the leg's event loop, where the leg reads it.
    public func watch(_ handler: @escaping @Sendable (LegEvent) -> Void) {
        switch self {
        case .webRTC(let leg): leg.eventLoop.execute { leg.onEvent = handler }
        case .rtp(let leg): leg.eventLoop.execute { leg.onEvent = handler }
        }
    }

    public func close() {
        switch self {
        case .webRTC(let leg): leg.close()
        case .rtp(let leg): leg.close()
        }
    }

    /// The leg's media clock (seconds); on the event loop.
    var now: Double {
        switch self {
        case .webRTC(let leg): leg.now
        case .rtp(let leg): leg.now
        }
    }

    /// The tap copying what the leg receives for a recording; on the event loop.
    var recordingTap: RecordingTap? {
        get {
            switch self {
            case .webRTC(let leg): leg.recordingTap
            case .rtp(let leg): leg.recordingTap
            }
        }
        nonmutating set {
            switch self {
            case .webRTC(let leg): leg.recordingTap = newValue
            case .rtp(let leg): leg.recordingTap = newValue
            }
        }
    }

    /// Sends one audio packet from a source of the gateway's own (a player, the conference) as
    /// the leg's outgoing stream: `buffer` holds a 12-byte RTP header in `source`'s numbering, then
    /// `payload`. On the event loop; `buffer` is reused by the caller for its next packet.
    func sendAudio(
        _ buffer: inout ByteBuffer, payloadType: UInt8, marker: Bool, sequence: UInt16, timestamp: UInt32,
        source: UInt32, payload: UnsafeRawBufferPointer
    ) {
        buffer.clear()
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(payloadType | (marker ? 0x80 : 0))
        buffer.writeInteger(sequence)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(source)
        buffer.writeBytes(payload)
        switch self {
        case .webRTC(let leg):
            guard let header = buffer.withUnsafeReadableBytes({ try? RTPHeader.parse($0) }) else { return }
            leg.sendAudio(&buffer, header)
        case .rtp(let leg):
            leg.sendRTP(&buffer)
        }
    }

    /// What feeds the leg's audio paused or changed: its next packet continues the stream and
    /// starts a talk-spurt. On the event loop.
    func audioSourceChanged() {
        switch self {
        case .webRTC(let leg): leg.audioSourceChanged()
        case .rtp(let leg): leg.audioSourceChanged()
        }
    }
}

/// The few things of a leg's audio codec that a player reads at every frame: copying it costs no
/// reference counting (a codec's name fits in a small string; its `fmtp` does not).
struct SendingAudio: Sendable, Equatable {
    let payloadType: UInt8
    let clockRate: Int
    let name: String

    init(_ codec: Codec) {
        payloadType = codec.payloadType
        clockRate = codec.clockRate
        name = codec.name
    }
}
