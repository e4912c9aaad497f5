/// Why bytes are not an acceptable SIP message; each maps to the answer a server gives.
public enum SIPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case badStartLine(String)
    case badHeader(String)
    case badContentLength(String)
    /// Fewer body bytes than Content-Length says.
    case truncated
    case missingHeader(String)
    case badCSeq(String)
    case tooLarge

    public var description: String {
        switch self {
        case .empty: "empty message"
        case .badStartLine(let line): "malformed start line '\(line.prefix(80))'"
        case .badHeader(let line): "malformed header line '\(line.prefix(80))'"
        case .badContentLength(let value): "malformed Content-Length '\(value.prefix(20))'"
        case .truncated: "body shorter than Content-Length"
        case .missingHeader(let name): "missing mandatory header \(name)"
        case .badCSeq(let value): "malformed CSeq '\(value.prefix(40))'"
        case .tooLarge: "message larger than 64 KiB"
        }
    }
}

/// A SIP request or response (RFC 3261 §7).
public struct SIPMessage: Equatable, Sendable {
    public enum StartLine: Equatable, Sendable {
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    public var startLine: StartLine
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(_ startLine: StartLine, headers: SIPHeaders, body: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
    }

    public var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    public var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    /// CSeq's number and method.
    public func cseq() throws(SIPParseError) -> (number: UInt32, method: String) {
        guard let value = headers["CSeq"] else { throw .missingHeader("CSeq") }
        let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let number = UInt32(parts[0]), !parts[1].isEmpty else { throw .badCSeq(value) }
        return (number, String(parts[1]))
    }

    /// RFC 3261 §8.1.1 / §8.2.1: headers every request (and response) must carry.
    public func validate() throws(SIPParseError) {
        var mandatory = ["Via", "From", "To", "Call-ID", "CSeq"]
        if case .request = startLine { mandatory.append("Max-Forwards") }
        for name in mandatory where headers[name] == nil { throw .missingHeader(name) }
        let (_, cseqMethod) = try cseq()
        if let method, cseqMethod != method, method != "ACK" || cseqMethod != "INVITE" {
            throw .badCSeq("CSeq method \(cseqMethod) does not match \(method)")
        }
    }

    /// Parses one message. Over UDP (`stream: false`) bytes beyond Content-Length are ignored
    /// and a missing Content-Length means "the rest of the datagram"; over TCP Content-Length
    /// is required. Never traps.
    public static func parse(_ bytes: [UInt8], stream: Bool = false) throws(SIPParseError) -> SIPMessage {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= 65536 else { throw .tooLarge }
        guard let split = headerEnd(bytes) else { throw .truncated }
        let head = String(decoding: bytes[0..<split.headerEnd], as: UTF8.self)
        // "\r\n" is one Character in Swift: split on it as well as on a bare LF.
        var lines = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }  // RFC 3261 §7.5: leading CRLFs
        guard let start = lines.first else { throw .empty }
        let startLine = try parseStartLine(String(start))
        var headers = SIPHeaders()
        var pending: String?
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" {
                guard pending != nil else { throw .badHeader(String(line)) }
                pending! += " " + String(line).trimmingSIPWhitespace()  // folded line
                continue
            }
            if let pending { try addHeader(pending, to: &headers) }
            pending = line.isEmpty ? nil : String(line)
        }
        if let pending { try addHeader(pending, to: &headers) }
        let available = bytes.count - split.bodyStart
        var bodyLength = available
        if let raw = headers["Content-Length"] {
            guard let length = Int(raw.trimmingSIPWhitespace()), length >= 0, length <= 65536 else {
                throw .badContentLength(raw)
            }
            guard length <= available else { throw .truncated }
            bodyLength = length
        } else if stream {
            throw .missingHeader("Content-Length")
        }
        return SIPMessage(
            startLine, headers: headers, body: Array(bytes[split.bodyStart..<split.bodyStart + bodyLength]))
    }

    /// The message as bytes, with Content-Length set to the body's length.
    public var bytes: [UInt8] {
        var lines: [String] = []
        switch startLine {
        case .request(let method, let uri): lines.append("\(method) \(uri) SIP/2.0")
        case .response(let status, let reason): lines.append("SIP/2.0 \(status) \(reason)")
        }
        for field in headers.fields where field.name != "Content-Length" {
            lines.append("\(field.name): \(field.value)")
        }
        lines.append("Content-Length: \(body.count)")
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    static func headerEnd(_ bytes: [UInt8]) -> (headerEnd: Int, bodyStart: Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return (i, i + 2) }
            if i + 3 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 {
                return (i, i + 4)
            }
            i += 1
        }
        return nil
    }

    static func parseStartLine(_ line: String) throws(SIPParseError) -> StartLine {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count == 3 else { throw .badStartLine(line) }
        if parts[0] == "SIP/2.0" {
            guard let status = Int(parts[1]), (100...699).contains(status) else { throw .badStartLine(line) }
            return .response(status: status, reason: String(parts[2]))
        }
        let method = String(parts[0])
        guard parts[2] == "SIP/2.0", !method.isEmpty,
            method.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-") }),
            parts[1].contains(":")
        else { throw .badStartLine(line) }
        return .request(method: method, uri: String(parts[1]))
    }

    static func addHeader(_ line: String, to headers: inout SIPHeaders) throws(SIPParseError) {
        guard let colon = line.firstIndex(of: ":") else { throw .badHeader(line) }
        let name = String(line[..<colon]).trimmingSIPWhitespace()
        guard !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.!%*_+`'~".contains($0)) })
        else {
            throw .badHeader(line)
        }
        headers.add(name, String(line[line.index(after: colon)...]).trimmingSIPWhitespace())
    }
}

/// Splits a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3).
public struct SIPStreamFramer: Sendable {
    private var buffer: [UInt8] = []
    public let maximumMessage: Int

    public init(maximumMessage: Int = 65536) { self.maximumMessage = maximumMessage }

    /// Appends bytes; returns the complete messages now available. A malformed message throws,
    /// after which the connection should be closed.
    public mutating func append(_ bytes: [UInt8]) throws(SIPParseError) -> [SIPMessage] {
        buffer += bytes
        var messages: [SIPMessage] = []
        while true {
            while buffer.first == 13 || buffer.first == 10 { buffer.removeFirst() }  // keep-alive CRLFs
            guard let split = SIPMessage.headerEnd(buffer) else {
                if buffer.count > maximumMessage { throw .tooLarge }
                return messages
            }
            let head = String(decoding: buffer[0..<split.headerEnd], as: UTF8.self)
            var length: Int?
            for line in head.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = String(parts[0]).trimmingSIPWhitespace().lowercased()
                guard name == "content-length" || name == "l" else { continue }
                let raw = String(parts[1]).replacingOccurrencesOfCarriageReturn().trimmingSIPWhitespace()
                guard let value = Int(raw), value >= 0, value <= maximumMessage else { throw .badContentLength(raw) }
                length = value
            }
            guard let length else { throw .missingHeader("Content-Length") }
            guard buffer.count >= split.bodyStart + length else { return messages }
            let message = Array(buffer[0..<split.bodyStart + length])
            buffer.removeFirst(split.bodyStart + length)
            messages.append(try SIPMessage.parse(message, stream: true))
        }
    }
}

extension String {
    func replacingOccurrencesOfCarriageReturn() -> String { filter { $0 != "\r" } }
}
