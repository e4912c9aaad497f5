/// How SIP final responses become Infobip hang-up codes, and the other way round
/// (the table in docs/sip.md).
extension HangupCode {
    /// The hang-up code for a SIP failure response from the phone network.
    public static func forSIPStatus(_ status: Int, reason: String) -> HangupCode {
        let text = "The phone network answered \(status) \(reason)."
        return switch status {
        case 486, 600: .busy.withDescription(text)
        case 480: .noAnswer.withDescription(text)
        case 408: .requestTimeout.withDescription(text)
        case 404, 484, 604: .destinationNotFound.withDescription(text)
        case 401, 403, 407: .forbidden.withDescription(text)
        case 487: .cancelled.withDescription(text)
        case 488, 606: .mediaFailure.withDescription(text)
        case 603: .rejected.withDescription(text)
        case 500..<600: .serviceUnavailable.withDescription(text)
        case 600..<700: .rejected.withDescription(text)
        default: .invalidRequest.withDescription(text)
        }
    }

    /// The SIP status that refuses an inbound phone call ending with this code before answer.
    public var sipStatus: (status: Int, reason: String) {
        switch id {
        case HangupCode.busy.id: (486, "Busy Here")
        case HangupCode.noAnswer.id, HangupCode.noAvailableAgent.id, HangupCode.outsideWorkingHours.id,
            HangupCode.maximumWaitTimeReached.id:
            (480, "Temporarily Unavailable")
        case HangupCode.rejected.id: (603, "Decline")
        case HangupCode.destinationNotFound.id: (404, "Not Found")
        case HangupCode.forbidden.id: (403, "Forbidden")
        case HangupCode.mediaFailure.id: (488, "Not Acceptable Here")
        case HangupCode.serviceUnavailable.id: (503, "Service Unavailable")
        case HangupCode.requestTimeout.id: (408, "Request Timeout")
        default: (500, "Server Internal Error")
        }
    }
}
