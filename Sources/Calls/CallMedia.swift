import Media
import NIOCore

/// One side's media in a call: a WebRTC leg (browser, app) or a plain RTP leg (trunk).
enum CallMedia {
    case webRTC(WebRTCLeg)
    case rtp(RTPLeg)

    var eventLoop: any EventLoop {
        switch self {
        case .webRTC(let leg): leg.eventLoop
        case .rtp(let leg): leg.eventLoop
        }
    }

    var webRTC: WebRTCLeg? {
        if case .webRTC(let leg) = self { return leg }
        return nil
    }

    var rtp: RTPLeg? {
        if case .rtp(let leg) = self { return leg }
        return nil
    }

    func close() {
        switch self {
        case .webRTC(let leg): leg.close()
        case .rtp(let leg): leg.close()
        }
    }
}

/// Media relaying between a call's two legs.
protocol CallBridge: AnyObject, Sendable {
    func unbridge()
}

extension MediaBridge: CallBridge {}
extension TranscodingBridge: CallBridge {}
