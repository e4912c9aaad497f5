import SIPMessage

/// Identifies a dialog (RFC 3261 §12): Call-ID and the two tags, seen from our side.
public struct DialogID: Hashable, Sendable {
    /// The Call-ID.
    public var callID: String
    /// Our tag (From on requests we send).
    public var localTag: String
    /// The peer's tag (empty for an RFC 2543 peer that sent none).
    public var remoteTag: String

    /// An identifier from its parts.
    public init(callID: String, localTag: String, remoteTag: String) {
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
    }
}

/// The state of one dialog (RFC 3261 §12): tags, URIs, remote target, route set and sequence
/// numbers, and the construction of requests inside it (§12.2.1.1), with loose routing and the
/// strict-route fallback.
public struct Dialog: Sendable {
    /// Early (after a provisional response with a To tag) or confirmed (after a 2xx).
    public enum State: Sendable {
        case early, confirmed
    }

    /// Early or confirmed.
    public var state: State
    /// The Call-ID.
    public let callID: String
    /// Our tag.
    public let localTag: String
    /// The peer's tag.
    public private(set) var remoteTag: String
    /// Our From (UAC) or To (UAS) value, with our tag: the From of requests we send.
    public var localField: String
    /// The peer's To (UAC) or From (UAS) value, with its tag: the To of requests we send.
    public var remoteField: String
    /// Where requests go: the peer's Contact.
    public var remoteTarget: SIPURI
    /// Record-Route values (reversed on the UAC side), the Route of our requests.
    public var routeSet: [NameAddress]
    /// The CSeq number of our last request in the dialog.
    public var localSequence: UInt32
    /// The CSeq number of the peer's last request in the dialog, if any.
    public var remoteSequence: UInt32?
    /// Whether we created the dialog by sending the INVITE.
    public let isUAC: Bool
    /// Whether the dialog was set up with a `sips` Request-URI.
    public let secure: Bool

    /// Call-ID and tags.
    public var id: DialogID { DialogID(callID: callID, localTag: localTag, remoteTag: remoteTag) }

    /// UAC side (§12.1.2): from the INVITE we sent and a 1xx with a To tag (early) or a 2xx
    /// (confirmed). Nil without tags or a Call-ID, or for other statuses.
    public init?(request: SIPMessage, response: SIPMessage) {
        guard let status = response.status, status > 100, status < 300, case .request(_, let uri) = request.startLine,
            let callID = request.callID, let localTag = request.fromTag, let remoteTag = response.toTag,
            let from = request.headers["From"], let to = response.headers["To"], let requestURI = SIPURI(uri)
        else { return nil }
        state = status < 200 ? .early : .confirmed
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
        localField = from
        remoteField = to
        remoteTarget = Self.contact(of: response) ?? requestURI
        routeSet = Self.routes(response.headers.values("Record-Route")).reversed()
        localSequence = (try? request.cseq().number) ?? 1
        remoteSequence = nil
        isUAC = true
        secure = requestURI.scheme == "sips"
    }

    /// UAS side (§12.1.1): from a received INVITE and the To tag we chose. Nil without a From, a
    /// parseable Contact or a Call-ID.
    public init?(request: SIPMessage, localTag: String) {
        guard case .request(_, let uri) = request.startLine, let callID = request.callID,
            let from = request.headers["From"], let to = request.headers["To"], let contact = Self.contact(of: request)
        else { return nil }
        state = .early
        self.callID = callID
        self.localTag = localTag
        remoteTag = request.fromTag ?? ""
        localField = to + ";tag=" + localTag
        remoteField = from
        remoteTarget = contact
        routeSet = Self.routes(request.headers.values("Record-Route"))
        localSequence = 0
        remoteSequence = try? request.cseq().number
        isUAC = false
        secure = SIPURI(uri)?.scheme == "sips"
    }

    /// UAC: the 2xx to the INVITE confirms the dialog; its Record-Route and Contact replace what a
    /// provisional response set (§13.2.2.4).
    public mutating func confirm(with response: SIPMessage) {
        state = .confirmed
        if isUAC {
            routeSet = Self.routes(response.headers.values("Record-Route")).reversed()
            if let to = response.headers["To"] { remoteField = to }
        }
        refreshTarget(from: response)
    }

    /// A target refresh (re-INVITE or its 2xx) replaces the remote target with its Contact.
    public mutating func refreshTarget(from message: SIPMessage) {
        if let contact = Self.contact(of: message) { remoteTarget = contact }
    }

    /// Records the CSeq of a request the peer sent in the dialog (§12.2.2); false when it is lower
    /// than the last one (out of order: answer 500).
    public mutating func acceptRemoteSequence(_ number: UInt32) -> Bool {
        if let remoteSequence, number < remoteSequence { return false }
        remoteSequence = number
        return true
    }

    /// The Request-URI and Route values for a request in the dialog (§12.2.1.1): with an empty
    /// route set or a loose router first, the remote target and the route set; with a strict router
    /// first, that router's URI and the rest of the route set followed by the remote target.
    public var requestTarget: (uri: SIPURI, routes: [NameAddress]) {
        guard let first = routeSet.first else { return (remoteTarget, []) }
        if first.uri.isLooseRouter { return (remoteTarget, routeSet) }
        var uri = first.uri
        uri.headers = []
        return (uri, Array(routeSet.dropFirst()) + [NameAddress(uri: remoteTarget)])
    }

    /// The URI of the next hop: the first element of the route set (a loose router as first Route, a
    /// strict router as Request-URI), else the remote target.
    public var nextHop: SIPURI { routeSet.first?.uri ?? remoteTarget }

    /// A request inside the dialog with From, To, Call-ID, CSeq, Max-Forwards, Via, Request-URI and
    /// Route set. Increments the local CSeq unless `cseq` is given (ACK for a 2xx uses the INVITE's).
    public mutating func makeRequest(method: String, via: Via, maxForwards: Int, cseq: UInt32? = nil) -> SIPMessage {
        let number: UInt32
        if let cseq {
            number = cseq
        } else {
            localSequence &+= 1
            number = localSequence
        }
        let target = requestTarget
        var headers = SIPHeaders()
        headers.add("Via", via.description)
        headers.add("Max-Forwards", String(maxForwards))
        for route in target.routes { headers.add("Route", route.description) }
        headers.add("From", localField)
        headers.add("To", remoteField)
        headers.add("Call-ID", callID)
        headers.add("CSeq", "\(number) \(method)")
        return SIPMessage(.request(method: method, uri: target.uri.description), headers: headers)
    }

    static func contact(of message: SIPMessage) -> SIPURI? {
        message.headers["Contact"].flatMap { NameAddress($0)?.uri }
    }

    static func routes(_ values: [String]) -> [NameAddress] {
        values.compactMap { NameAddress($0) }
    }
}
