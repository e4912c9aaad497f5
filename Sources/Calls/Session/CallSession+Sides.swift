import ContactCenter
import Foundation

/// Which side the customer and the agent are on. An inbound call (and a callback) has the
/// customer as its caller and the agent as its callee; an agent's outbound call is the mirror
/// image until it is transferred. Transfers and consultations are written for the first shape:
/// they replace the callee (the agent) while the caller (the customer) stays. So an outbound
/// call turns round when its agent hands it on: the sides swap in the session and in the
/// driver's media graph (`.exchangeSides`), and from then on it is handled as inbound (its
/// record keeps its direction, caller and callee).
extension CallSession {
    /// The side the call's agent is on.
    public var agentSide: CallSide { customerIsCaller ? .callee : .caller }
    /// The side the customer is on.
    public var customerSide: CallSide { customerIsCaller ? .caller : .callee }

    /// Whether the agent on the call's agent side may hand the customer on now: the call is
    /// answered, nothing is moving yet, and the agent is a signaling party.
    var agentCanHandOn: Bool {
        isAnswered && transfer == nil && consultation == nil && kind(of: agentSide) == .browser
            && party(agentSide) != nil
    }

    /// What comes before the agent hands the customer on: supervisors leave (told `code`), an
    /// outbound call turns round, and a call on hold is resumed (a phone held by re-INVITE would
    /// otherwise stay silent towards whoever takes the call next).
    mutating func handingOn(monitorsTold code: HangupCode) -> [CallEffect] {
        let effects = monitorsEnding(code) + turnRound()
        guard let holder = heldBy else { return effects }
        return effects + hold(by: holder, held: false)
    }

    /// Puts the customer on the caller side, once: swaps the parties, their kinds and what is
    /// known of their media, and asks the driver to swap their legs. The agent's leg gets a new
    /// epoch (results for the old callee are stale from now on).
    mutating func turnRound() -> [CallEffect] {
        guard !customerIsCaller, let customer = callee else { return [] }
        customerIsCaller = true
        (caller, callee) = (customer, caller)
        (callerKind, calleeKind) = (calleeKind, callerKind)
        mediaUp = Set(mediaUp.map(\.other))
        heldBy = heldBy?.other
        if let closed = mediaClosed { mediaClosed = (closed.at, closed.side.other) }
        // The customer's phone (if any) answered the gateway: it is in its dialog, like an
        // inbound caller the gateway answered.
        callerAnswered = true
        epoch += 1
        return [.exchangeSides(epoch: epoch)]
    }
}
