// What a party asks of a call it is in, shared by the signaling parser, the call layer and
// the REST routes.

/// Where a blind transfer sends the customer of an answered call (inbound, or one an agent placed).
public enum TransferTarget: Sendable, Equatable {
    /// An agent, held for the call (the driver reserved them) while they ring.
    case agent(String)
    /// A queue: the call is routed there like a new arrival, keeping its original arrival time.
    case queue(String)
    /// A phone number, dialled through a trunk (the driver knows which, and the caller id).
    case number(String)
}

/// What the consulting agent does once the target answered.
public enum ConsultAction: String, Sendable, Equatable, CaseIterable {
    /// The customer goes to the target; the agent leaves into wrap-up.
    case COMPLETE
    /// The target leaves; the agent is back with the customer.
    case CANCEL
    /// A three-way call.
    case MERGE
}

/// How a supervisor takes part in a call they monitor.
public enum MonitorMode: String, Sendable, Equatable, CaseIterable {
    /// Hears both parties; heard by none.
    case LISTEN
    /// Hears both parties; heard by the agent only.
    case WHISPER
    /// Joins the call: hears and is heard by both.
    case BARGE
}
