import SIPDigest
import SIPMessage

/// Everything the user agent knows about one INVITE session.
final class CallState {
    enum Role { case uac, uas }

    enum Phase {
        /// UAC: INVITE sent, no provisional with a tag yet. UAS: INVITE received, nothing but 100 sent.
        case inviting
        /// A provisional response with a To tag was received (UAC) or sent (UAS).
        case early
        /// A 2xx was received (UAC) or sent (UAS).
        case confirmed
        /// We sent BYE or CANCEL, or the call is over and only lingers for its transactions.
        case terminated
    }

    /// A 2xx the UAS core retransmits until the ACK arrives (§13.3.1.4).
    struct PendingAnswer {
        var bytes: [UInt8]
        var destination: SIPAddress
        var cseq: UInt32
        var interval: Double
        var nextAt: Double?
        var giveUpAt: Double
        var initial: Bool
    }

    /// Our re-INVITE (hold/unhold) in flight or waiting to retry after a 491.
    struct OutgoingReinvite {
        var key: ClientTransactionKey?
        var sdp: [UInt8]
        var retriedAfterGlare = false
        var retryAt: Double?
        var authorized = false
    }

    let id: SIPCallID
    let role: Role
    let callID: String
    let localTag: String
    /// Where requests go: the INVITE's destination (UAC) or source (UAS).
    var peer: SIPAddress
    var phase: Phase = .inviting
    var dialog: Dialog?
    /// UAC: the last INVITE sent. UAS: the INVITE received (top Via with received/rport).
    var invite: SIPMessage

    // UAC
    var inviteKey: ClientTransactionKey?
    var credentials: DigestCredentials?
    /// How many challenges to the INVITE we answered.
    var inviteChallengesAnswered = 0
    var gotProvisional = false
    var cancelRequested = false
    var cancelSent = false
    var cancelDeadline: Double?
    /// The ACK for the last 2xx to an INVITE we sent, resent when that 2xx is retransmitted.
    var ack: (cseq: UInt32, bytes: [UInt8], destination: SIPAddress)?

    // UAS
    var inviteServerKey: ServerTransactionKey?
    /// The key the INVITE that made this call is remembered under (UAS), for absorbing retransmissions.
    var incomingInviteKey: IncomingInviteKey?
    var pendingAnswer: PendingAnswer?
    var byeWhenAcknowledged = false

    // Both
    var outgoingReinvite: OutgoingReinvite?
    var incomingReinvite: ServerTransactionKey?
    /// A REFER waiting for the transaction user's answer, and whether its subscription is open.
    var pendingRefer: ServerTransactionKey?
    var referSubscribed = false
    /// Progress reported while the REFER still waited for its answer, sent after the 202.
    var referBacklog: [(status: Int, reason: String?, final: Bool)] = []
    var byeKey: ClientTransactionKey?
    var byeAuthorized = false

    init(id: SIPCallID, role: Role, callID: String, localTag: String, peer: SIPAddress, invite: SIPMessage) {
        self.id = id
        self.role = role
        self.callID = callID
        self.localTag = localTag
        self.peer = peer
        self.invite = invite
    }

    /// The CSeq number of the initial INVITE.
    var inviteSequence: UInt32 { (try? invite.cseq().number) ?? 1 }
}

/// Who waits for a client transaction's outcome.
enum ClientOwner {
    case invite(SIPCallID)
    case reinvite(SIPCallID)
    case cancel(SIPCallID)
    case bye(SIPCallID)
    case inDialog(SIPCallID)
    /// A BYE to a forked 2xx we did not want, or other fire-and-forget requests.
    case none
    case register(String)
    case keepalive(SIPAddress)
}

struct ClientEntry {
    let transaction: ClientTransaction
    let destination: SIPAddress
    let owner: ClientOwner
}

struct ServerEntry {
    let transaction: ServerTransaction
    let destination: SIPAddress
    let call: SIPCallID?
}

/// Identifies an initial INVITE by Call-ID, From tag and CSeq, to absorb retransmissions after
/// the 2xx ended its transaction and to detect merged requests (§8.2.2.2).
struct IncomingInviteKey: Hashable {
    var callID: String
    var fromTag: String
    var sequence: UInt32
}

/// A REGISTER binding kept fresh.
final class Registration {
    let id: String
    var registrar: SIPURI
    var aor: NameAddress
    var destination: SIPAddress
    var credentials: DigestCredentials?
    var expires: Int
    let callID: String
    let fromTag: String
    var sequence: UInt32 = 0
    var key: ClientTransactionKey?
    /// How many challenges to the current REGISTER attempt we answered.
    var challengesAnswered = 0
    var refreshAt: Double?
    var intervalRaised = false

    init(
        id: String, registrar: SIPURI, aor: NameAddress, destination: SIPAddress, credentials: DigestCredentials?,
        expires: Int, callID: String, fromTag: String
    ) {
        self.id = id
        self.registrar = registrar
        self.aor = aor
        self.destination = destination
        self.credentials = credentials
        self.expires = expires
        self.callID = callID
        self.fromTag = fromTag
    }
}

/// An OPTIONS ping towards one address.
final class Keepalive {
    let destination: SIPAddress
    var interval: Double
    var nextAt: Double
    var up: Bool?
    var key: ClientTransactionKey?

    init(destination: SIPAddress, interval: Double, nextAt: Double) {
        self.destination = destination
        self.interval = interval
        self.nextAt = nextAt
    }
}
