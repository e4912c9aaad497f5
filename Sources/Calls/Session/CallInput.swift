import ContactCenter
import Foundation
import SignalingFrames

/// Which side of a two-party call something concerns.
public enum CallSide: Sendable, Equatable, Hashable {
    case caller
    case callee

    /// The name of the side's leg in the call's media graph.
    var legName: String {
        switch self {
        case .caller: "caller"
        case .callee: "callee"
        }
    }

    /// The side across the call.
    public var other: CallSide { self == .caller ? .callee : .caller }
}

/// Everything that can happen to a call, fed to `CallSession.handle(_:now:)`.
///
/// A result that the driver had to await (an agent reserved, a leg made, an answer applied)
/// comes back carrying the `epoch` it was asked under; the session drops it once the call has
/// moved on (the caller hung up, the offer went to someone else).
public enum CallInput: Sendable, Equatable {
    /// The call exists: route an inbound call, or reach the callee of an outbound one.
    case start
    /// The answer to `.reserveAgent`: the agent now held for this call, or nil when none is
    /// free. `canWait` says whether the queue has a signed-in agent this call has not tried,
    /// so that waiting could end with an answer.
    case agentReserved(String?, canWait: Bool, epoch: Int)
    /// An agent may have become free: a waiting call asks again.
    case retryRouting
    /// The answer to `.prepareWaiting`: the call's waiting strategy is ready to play, and how
    /// long the caller may wait and the message at that time last; nil when no strategy applies.
    case waitingReady(WaitingLimits?)
    /// The queue is outside its working hours: the call, just arrived, is not taken; it hears the
    /// working hours' away message first when it has one (`awayMessageSeconds` > 0).
    case queueClosed(epoch: Int, awayMessageSeconds: Double)
    /// The callee's leg is made and its offer is ready; it rings for `ringSeconds`.
    case calleeReady(ringSeconds: Int, epoch: Int)
    /// The callee's leg could not be made.
    case calleeFailed(reason: String, epoch: Int)
    /// The offer (`call.incoming`) reached no session of the callee.
    case offerUndelivered(epoch: Int)
    /// The callee answered, and its answer was applied to its leg.
    case accepted(by: String, epoch: Int)
    /// The callee declined (or hung up before answering).
    case declined(by: String)
    /// A party hung up.
    case hungUp(by: String)
    /// The gateway is stopping: the call ends and every party is told `code`.
    case shutdown(HangupCode)
    /// The caller's and callee's media could not be connected.
    case bridgeFailed(reason: String)
    /// A leg's media came up (ICE + DTLS, or the trunk's RTP).
    case legUp(CallSide, epoch: Int)
    /// A party closed its DTLS association (close_notify).
    case legClosedByPeer(CallSide, epoch: Int)
    /// A leg failed (ICE consent lost, DTLS failure, RTP timeout).
    case legFailed(CallSide, reason: String, epoch: Int)
    /// The last signaling session of a party closed.
    case signalingLost(String)
    /// A party connected again.
    case signalingResumed(String)
    /// The agent being rung stopped being available (heartbeat lost, status changed).
    case agentUnavailable(String)
    /// The phone being called rings (180), with early media (183 with usable SDP) or not.
    case phoneProgress(earlyMedia: Bool)
    /// The phone answered; `usable` is false when its SDP could not be applied.
    case phoneAnswered(usable: Bool)
    /// The phone refused or could not be reached.
    case phoneFailed(HangupCode)
    /// The phone on `side` hung up (BYE) or its dialog failed.
    case phoneEnded(reason: String, side: CallSide)
    /// The phone caller of an inbound call gave up before it was answered (CANCEL).
    case phoneCancelled
    /// A signaling party holds its answered call (or resumes it).
    case hold(by: CallSide, held: Bool)
    /// A DTMF digit from one side.
    case dtmf(from: CallSide, digit: Character)
    /// The waiting strategy's announcement started (or ended) playing to the caller.
    case announcement(playing: Bool)
    /// The agent of the answered call transfers the customer (an agent target is already held).
    case transfer(TransferTarget)
    /// The agent consults another agent (held for this call; found in `queueId` when the agent
    /// asked for a queue) before transferring: an attended transfer starts.
    case consult(agent: String, queueId: String?, phone: Bool = false)
    /// The phone network on a consulted number (its dialog's own events).
    case consulteePhone(ConsulteePhoneEvent, epoch: Int)
    /// The consulted agent was sent the offer (or no session of theirs got it).
    case consulteeOffered(ringSeconds: Int, delivered: Bool, epoch: Int)
    /// The consulted agent answered; their leg is configured.
    case consulteeAnswered(epoch: Int)
    /// The consulting agent completes, cancels or merges.
    case consultAction(ConsultAction)
    /// The consulted agent's leg failed or closed.
    case consulteeLegFailed(reason: String, epoch: Int)
    /// A supervisor asks to monitor the call in a mode, or changes the mode.
    case monitor(supervisor: String, mode: MonitorMode)
    /// The supervisor answered the monitor offer; their leg is configured.
    case monitorAnswered(String)
    /// The supervisor's monitoring is ended for them (REST, or their offer reached nobody).
    case stopMonitoring(String)
    /// The supervisor's monitor leg failed or closed.
    case monitorLegEnded(String, reason: String)
    /// Time passed: deadlines at or before `now` fire.
    case timer
}

/// What a session needs to know of a call's waiting strategy: its times.
public struct WaitingLimits: Sendable, Equatable {
    public var maximumWaitSeconds: Int
    /// How long the message at the maximum wait time plays (0: none).
    public var maximumWaitMessageSeconds: Double
    /// Key sequences that ask for a callback, taken while the announcement plays.
    public var callbackCodes: [String] = []
    /// How long after an announcement ends its keys are still taken (infinity: until the wait ends).
    public var collectSeconds = Double.infinity
    /// The announcement plays once after the greeting, not between music: keys are taken from
    /// the start of the wait.
    public var collectsFromStart = false
    /// How long the callback confirmation plays (0: none).
    public var callbackConfirmationSeconds: Double = 0

    public init(maximumWaitSeconds: Int, maximumWaitMessageSeconds: Double) {
        self.maximumWaitSeconds = maximumWaitSeconds
        self.maximumWaitMessageSeconds = maximumWaitMessageSeconds
    }
}

/// A callback's call: the agent held for it while the customer is called, and how long the
/// customer's phone (or app) may ring.
public struct CallbackAttempt: Sendable, Equatable {
    public var agent: String
    public var ringSeconds: Int

    public init(agent: String, ringSeconds: Int) {
        self.agent = agent
        self.ringSeconds = ringSeconds
    }
}
