import ContactCenter
import Foundation
import SignalingFrames

/// What a call session wants done; the driver carries effects out in the order given.
public enum CallEffect: Sendable, Equatable {
    /// Hold a free agent of `queueId` for this call, skipping `excluding`; the answer comes
    /// back as `.agentReserved`.
    case reserveAgent(queueId: String, excluding: Set<String>, epoch: Int)
    /// Give back an agent held for this call that will not take it.
    case releaseAgent(String)
    /// Make the callee's leg and its offer (WebRTC), or dial the phone; the result comes back
    /// as `.calleeReady` or `.calleeFailed`.
    case prepareCallee(String, epoch: Int)
    /// Send the callee its offer (`call.incoming`); `.offerUndelivered` comes back when no
    /// session of the callee got it.
    case offer(to: String, epoch: Int)
    /// Close the callee's leg (an offer withdrawn).
    case closeCalleeLeg(epoch: Int)
    /// Connect the caller's and the callee's media.
    case bridge
    /// Stop relaying media between the parties (hold), or relay it again, as one continuous stream.
    case holdMedia(Bool)
    /// Find the waiting strategy for the call and ready its sounds; the answer comes back as
    /// `.waitingReady`.
    case prepareWaiting
    /// Play a sound to a side, instead of what it hears now, until `.stopPlaying`.
    case play(CallSound, to: CallSide)
    /// Stop what plays to a side; it hears the other party again, if connected.
    case stopPlaying(CallSide)
    /// Tell a signaling party something (phones hear through `.phone`).
    case notify(String, CallNotification)
    /// The far end of a phone leg, as the SIP service is asked to act.
    case phone(PhoneCommand)
    /// Store the call's record as it now is.
    case persist(CallRecord)
    /// The agent took a call (BUSY) and the conversation is theirs.
    case agentAnswered(agentId: String, assignConversation: Bool)
    /// An inbound offer to the agent rang out unanswered.
    case agentMissedOffer(String)
    /// The agent's call ended (wrap-up may start).
    case agentCallEnded(agentId: String)
    /// The caller asked to be called back: keep their place in the queue (a callback request
    /// the gateway serves when its turn comes).
    case requestCallback(CallRecord, keys: String)
    /// Call the customer of a callback: dial the phone, or offer the call to the in-app identity.
    case callCallerBack(epoch: Int)
    /// The customer of a callback answered (or could not be reached, and why).
    case callbackAttempted(reached: Bool, code: HangupCode?)
    /// An agent's outbound call turns round before a transfer or consultation: the caller's and
    /// the callee's legs swap names, the customer's becoming the caller's and the agent's the
    /// callee's (made under `epoch`), still connected as they were.
    case exchangeSides(epoch: Int)
    /// A transfer starts: the callee's leg (the transferring agent) is set aside, unconnected,
    /// while the target's leg is made.
    case setAsideCallee
    /// A transfer failed: the set-aside leg is the callee's again (tagged with `epoch`).
    case restoreTransferor(epoch: Int)
    /// A transfer is over for the transferring agent: their set-aside leg closes.
    case closeTransferor
    /// The call moved to another queue (a transfer, or back after one failed): so does its
    /// conversation.
    case moveConversation(toQueue: String)
    /// Make the consulted agent's leg (graph name `consultee`) and offer it to them; the answer
    /// comes back as `.consulteeOffered`.
    case prepareConsultee(String, epoch: Int)
    /// The consulting agent and the consulted one hear each other (the customer is on hold).
    case connectConsultee
    /// The customer, the agent and the consulted agent hear each other (the call's conference).
    case mergeConsultee
    /// Close the consulted agent's leg.
    case closeConsultee
    /// The consulted agent's leg becomes the callee's (tagged `epoch`): the agent's closes and
    /// the customer hears the new agent.
    case promoteConsultee(epoch: Int)
    /// The conversation is the agent's now.
    case assignConversation(String)
    /// Make a supervisor's monitor leg and offer it to them (`call.incoming`, `customData.monitor`).
    case prepareMonitor(String)
    /// Put the supervisor's leg in the call's conference as `mode` says (whispering to `agent`).
    case joinMonitor(String, MonitorMode, agent: CallSide)
    /// Close the supervisor's monitor leg.
    case dropMonitor(String)
    /// A point in the call where recording starts or moves (the driver records when the
    /// agent's recording configuration says so).
    case recording(RecordingCue)
    /// The call is over: close every leg and forget it.
    case finish
}

/// Where a call's recording starts or moves to another agent.
public enum RecordingCue: Sendable, Equatable {
    /// The call is established between the customer and an agent.
    case established
    /// The customer went from the agent `from` (in queue `fromQueue`) to another party (an
    /// agent, whose recording starts, or a phone number, where recording ends).
    case transferred(from: String, fromQueue: String?)
}

/// What the gateway plays to a party.
public enum CallSound: Sendable, Equatable {
    /// The waiting strategy: greeting, music, announcements.
    case waiting
    /// The strategy's message at the maximum wait time, once.
    case maximumWaitMessage
    /// The queue's hold music (and announcements), to a held party.
    case hold
    /// The away message of the queue's working hours, once, before the call ends.
    case awayMessage
    /// The waiting strategy's confirmation to a caller who asked to be called back, once.
    case callbackConfirmation
    /// The transfer strategy's music and announcement, while a transfer's target rings.
    case transfer
}

/// A typed signaling notification about a call; the edge turns it into a frame.
public enum CallNotification: Sendable, Equatable {
    /// The caller waits in the queue and hears the waiting strategy from the gateway.
    case queued
    /// The callee rings.
    case ringing
    /// The callee's network plays early media, heard by the caller.
    case earlyMedia
    /// Both sides' media are up.
    case established
    /// The call ended for this party, with why.
    case hangup(HangupCode)
    /// The other party sent a DTMF digit.
    case dtmf(Character)
    /// The other party held the call, or resumed it.
    case held(Bool)
    /// A transfer this party made started, completed or failed (with why).
    case transfer(CallFrame.TransferState, HangupCode?)
}

/// What the SIP service does for a phone party.
public enum PhoneCommand: Sendable, Equatable {
    /// INVITE to the number through the trunk, offering the leg the driver made.
    case dial
    /// 180 to the phone caller: an agent rings.
    case ringing
    /// 200 with the gateway's answer: an agent answered, or the caller is to hear the wait.
    case answer
    /// A final refusal of an inbound call not answered yet.
    case reject(status: Int, reason: String)
    /// CANCEL before the far end answered, BYE after, to the phone on `side` (a call may have
    /// two: a phone caller transferred to a phone number).
    case hangup(HangupCode, side: CallSide)
    /// Hold the phone (re-INVITE with `sendonly`: it hears the gateway's hold music) or resume
    /// it (`sendrecv`).
    case hold(Bool)
}
