import SIPMessage

/// An opaque handle of one INVITE session, from the first INVITE to its end (dialog or pre-dialog).
public struct SIPCallID: Hashable, Sendable, CustomStringConvertible {
    let value: UInt64

    init(_ value: UInt64) { self.value = value }

    /// `call#N`, for logs.
    public var description: String { "call#\(value)" }
}

/// What the user agent tells the gateway.
public enum SIPEvent: Sendable {
    /// A new INVITE arrived (retransmissions are absorbed and never reported twice). A 100 Trying has
    /// been sent; answer with `respond`.
    case incomingCall(SIPCallID, invite: SIPMessage, source: SIPAddress)
    /// UAC: a provisional response other than 100 (180, 183 with SDP for early media).
    case provisional(SIPCallID, status: Int, sdp: [UInt8]?)
    /// UAC: a 2xx arrived and the ACK has been sent. `sdp` is the answer (empty if the 2xx had no body).
    case answered(SIPCallID, sdp: [UInt8])
    /// UAC: the INVITE failed: a final non-2xx (after one digest retry), 408 on timeout, 503 on a
    /// transport error, 487 when `cancel` won.
    case failed(SIPCallID, status: Int, reason: String)
    /// UAS: the caller cancelled before the answer; 200 went to the CANCEL and 487 to the INVITE.
    case cancelled(SIPCallID)
    /// UAS: the ACK for our 2xx arrived.
    case confirmed(SIPCallID)
    /// The ACK for our 2xx carried an SDP answer: the INVITE or re-INVITE had no offer and our 2xx
    /// made one (delayed offer). Reported just before `confirmed` for the initial INVITE.
    case ackAnswer(SIPCallID, sdp: [UInt8])
    /// The call is over: BYE received (200 sent), our 2xx was never ACKed (BYE sent), or an
    /// in-dialog request timed out or was answered 481. Not reported after a local `hangup`.
    case ended(SIPCallID, reason: String)
    /// A re-INVITE arrived (hold/unhold/media change); answer with `answerReoffer`.
    case reoffer(SIPCallID, sdp: [UInt8]?)
    /// Our re-INVITE got a 2xx (ACK sent); `sdp` is the answer.
    case reofferAnswered(SIPCallID, sdp: [UInt8]?)
    /// Our re-INVITE got a final non-2xx (491 after one automatic retry); the old session stays.
    case reofferFailed(SIPCallID, status: Int)
    /// A REFER in a confirmed dialog asks to transfer the call to `target`; answer with
    /// `answerRefer`, then report progress with `notifyRefer`.
    case refer(SIPCallID, target: SIPURI)
    /// An INFO with `application/dtmf-relay` or `application/dtmf` carried a digit (0-9, *, #, A-D).
    case dtmfInfo(SIPCallID, digit: Character)
    /// A REGISTER finished: `ok` with the granted `expires` (0 after unregistering), or failed with
    /// `status` (408 on timeout) and a retry is scheduled.
    case registration(String, ok: Bool, status: Int, expires: Int)
    /// The OPTIONS keepalive towards an address changed state (the first result is always reported).
    case keepalive(SIPAddress, ok: Bool)
}

/// One thing for the gateway to do.
public enum SIPOutput: Sendable {
    /// Send these bytes (one SIP message) to the address, over its transport.
    case send([UInt8], to: SIPAddress)
    /// Report an event.
    case event(SIPEvent)
}
