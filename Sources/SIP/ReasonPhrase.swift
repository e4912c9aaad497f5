/// Default reason phrases (RFC 3261 §21 and friends).
public enum ReasonPhrase {
    /// The usual phrase for `status`, or a generic one for its class.
    public static func phrase(for status: Int) -> String {
        if let phrase = phrases[status] { return phrase }
        switch status {
        case 100..<200: return "Session Progress"
        case 200..<300: return "OK"
        case 300..<400: return "Redirection"
        case 400..<500: return "Client Error"
        case 500..<600: return "Server Error"
        default: return "Global Failure"
        }
    }

    static let phrases: [Int: String] = [
        100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
        200: "OK", 202: "Accepted", 301: "Moved Permanently", 302: "Moved Temporarily", 400: "Bad Request",
        401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        407: "Proxy Authentication Required", 408: "Request Timeout", 415: "Unsupported Media Type",
        416: "Unsupported URI Scheme", 420: "Bad Extension", 423: "Interval Too Brief",
        480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 482: "Loop Detected",
        483: "Too Many Hops", 486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
        491: "Request Pending", 500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
        503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported", 600: "Busy Everywhere",
        603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
    ]

    /// `text` made safe for a status line: printable characters only, at most 120 of them.
    static func sanitized(_ text: String) -> String {
        let kept = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0.value < 0x10000 }
        var result = String(String.UnicodeScalarView(kept.prefix(120)))
        if result.isEmpty { result = "Bad Request" }
        return result
    }
}
