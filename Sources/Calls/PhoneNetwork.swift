import ContactCenter

/// The phone network as the call center drives it: the SIP trunk service implements it. Each
/// call is named by the call center's call id; what the far end does comes back through
/// `CallCenter.phone…` methods.
public protocol PhoneNetwork: Sendable {
    /// Places a call through `trunk` to `number`, showing `callerId`, offering `sdp`.
    func dial(callId: String, trunk: SIPTrunk, to number: String, callerId: String, sdp: String) async
    /// Tells the caller of an inbound call that an agent's phone rings (180).
    func ringing(callId: String) async
    /// Answers an inbound call with `sdp` (200).
    func answer(callId: String, sdp: String) async
    /// Refuses an inbound call before it was answered.
    func reject(callId: String, status: Int, reason: String) async
    /// Ends a call: CANCEL before the far end answered, BYE after.
    func hangup(callId: String, reason: HangupCode) async
    /// Sends a new offer in the call (re-INVITE), e.g. to put the far end on hold.
    func reoffer(callId: String, sdp: String) async
    /// Reports the progress of a transfer the phone asked for with a REFER (a NOTIFY carrying
    /// `status` as sipfrag); `final` ends the REFER's subscription.
    func notifyRefer(callId: String, status: Int, reason: String, final: Bool) async
}

extension PhoneNetwork {
    public func notifyRefer(callId: String, status: Int, reason: String, final: Bool) async {}
}
