import SIPMessage

/// Identifies a client transaction (RFC 3261 §17.1.3): the branch of the top Via and the CSeq
/// method, so a CANCEL's responses never match the INVITE it cancels.
public struct ClientTransactionKey: Hashable, Sendable {
    /// The top Via's branch.
    public var branch: String
    /// The CSeq method.
    public var method: String

    /// A key from its parts.
    public init(branch: String, method: String) {
        self.branch = branch
        self.method = method
    }

    /// The key of a request we send or of a response to it; nil without a top Via branch or a CSeq.
    public init?(_ message: SIPMessage) {
        guard let branch = message.topVia?.branch, let cseq = try? message.cseq() else { return nil }
        self.init(branch: branch, method: cseq.method)
    }
}

/// Identifies a server transaction (RFC 3261 §17.2.3): top Via branch, sent-by and method, with ACK
/// matching its INVITE. Requests without the `z9hG4bK` cookie (RFC 2543) are keyed on Call-ID, From
/// tag, CSeq number and the whole top Via instead.
public struct ServerTransactionKey: Hashable, Sendable {
    /// The top Via's branch (or the RFC 2543 substitute).
    public var branch: String
    /// The top Via's sent-by, normalised (`Via.sentBy`).
    public var sentBy: String
    /// The request method, INVITE for ACK.
    public var method: String

    /// A key from its parts.
    public init(branch: String, sentBy: String, method: String) {
        self.branch = branch
        self.sentBy = sentBy
        self.method = method
    }

    /// The key of a received request; nil without a parseable top Via or CSeq.
    public init?(_ request: SIPMessage) {
        guard case .request(let method, _) = request.startLine, let via = request.topVia,
            let cseq = try? request.cseq()
        else { return nil }
        let keyMethod = method == "ACK" ? "INVITE" : method
        if via.hasRFC3261Branch, let branch = via.branch {
            self.init(branch: branch, sentBy: via.sentBy, method: keyMethod)
        } else {
            let legacy = [
                "rfc2543", request.headers["Call-ID"] ?? "", request.fromTag ?? "", String(cseq.number),
                via.branch ?? "",
            ]
            self.init(branch: legacy.joined(separator: ";"), sentBy: via.sentBy, method: keyMethod)
        }
    }

    /// The same branch and sent-by with another method (to find the INVITE a CANCEL names).
    public func with(method: String) -> ServerTransactionKey {
        ServerTransactionKey(branch: branch, sentBy: sentBy, method: method)
    }
}

extension SIPMessage {
    /// The first Via value, parsed.
    public var topVia: Via? { headers["Via"].flatMap { Via($0) } }

    /// The Call-ID.
    public var callID: String? { headers["Call-ID"] }

    /// The tag of the From header.
    public var fromTag: String? { headers["From"].flatMap { NameAddress.tag(in: $0) } }

    /// The tag of the To header.
    public var toTag: String? { headers["To"].flatMap { NameAddress.tag(in: $0) } }

    /// The media type of the body (`application/sdp`), lower-cased, without parameters.
    public var contentType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return SIPSyntax.trim(type).lowercased()
    }
}

extension SIPHeaders {
    /// These headers with the first value of `name` replaced by `value`.
    func replacingFirst(_ name: String, with value: String) -> SIPHeaders {
        let key = SIPHeaders.canonical(name).lowercased()
        var replaced = false
        var result = SIPHeaders()
        for field in fields {
            if !replaced && field.name.lowercased() == key {
                result.add(field.name, value)
                replaced = true
            } else {
                result.add(field.name, field.value)
            }
        }
        return result
    }
}
