import NIOCore

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

    /// What feeds the leg's audio paused or changed: its next packet continues the stream and
    /// starts a talk-spurt. On the event loop.
    func audioSourceChanged() {
        switch self {
        case .webRTC(let leg): leg.audioSourceChanged()
        case .rtp(let leg): leg.audioSourceChanged()
        }
    }
}
