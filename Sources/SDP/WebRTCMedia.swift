/// A codec as a media section describes it.
public struct Codec: Equatable, Sendable {
    public var payloadType: UInt8
    /// Lower-cased encoding name, e.g. `opus`, `pcmu`, `telephone-event`, `vp8`, `h264`: what
    /// the media layer looks codecs up by (a name set in another case is lower-cased).
    public var name: String {
        didSet { if name.contains(where: \.isUppercase) { name = name.lowercased() } }
    }
    public var clockRate: Int
    public var channels: Int
    public var fmtp: String?
    public var feedback: [String]

    public init(
        payloadType: UInt8, name: String, clockRate: Int, channels: Int = 1, fmtp: String? = nil,
        feedback: [String] = []
    ) {
        self.payloadType = payloadType
        self.name = name.lowercased()
        self.clockRate = clockRate
        self.channels = channels
        self.fmtp = fmtp
        self.feedback = feedback
    }
}

/// The DTLS role a side takes (RFC 5763 / 8842 `a=setup`).
public enum SetupRole: String, Sendable {
    case active, passive, actpass, holdconn
}

/// An ICE candidate line's essentials.
public struct Candidate: Equatable, Sendable {
    public var foundation: String
    public var component: Int
    public var transport: String
    public var priority: UInt32
    public var address: String
    public var port: Int
    public var type: String

    public init(
        foundation: String, component: Int, transport: String, priority: UInt32, address: String, port: Int,
        type: String
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
    }

    /// Parses `candidate:…` (with or without the `candidate:` prefix); nil when malformed.
    public static func parse(_ text: String) -> Candidate? {
        let body = text.hasPrefix("candidate:") ? String(text.dropFirst("candidate:".count)) : text
        let parts = body.split(separator: " ").map(String.init)
        guard parts.count >= 8, parts[6] == "typ", let component = Int(parts[1]), let priority = UInt32(parts[3]),
            let port = Int(parts[5]), (0...65535).contains(port)
        else { return nil }
        return Candidate(
            foundation: parts[0], component: component, transport: parts[2].lowercased(), priority: priority,
            address: parts[4], port: port, type: parts[7])
    }

    public var value: String { "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type)" }
}

/// What a WebRTC media section says, read with session-level fallbacks.
public struct WebRTCMedia: Equatable, Sendable {
    public var kind: String
    public var mid: String?
    public var iceUfrag: String
    public var icePwd: String
    /// e.g. `sha-256`.
    public var fingerprintAlgorithm: String
    /// Upper-case hex with colons.
    public var fingerprint: String
    public var setup: SetupRole
    public var rtcpMux: Bool
    public var direction: String
    public var codecs: [Codec]
    public var ssrcs: [UInt32]
    public var candidates: [Candidate]
    public var port: Int

    /// Reads media section `index` of `description`.
    public static func read(_ description: SessionDescription, index: Int) throws(WebRTCSDPError) -> WebRTCMedia {
        guard description.media.indices.contains(index) else { throw .noMedia }
        let m = description.media[index]
        func value(_ name: String) -> String? { m.attribute(name) ?? description.attribute(name) }
        guard let ufrag = value("ice-ufrag"), (4...256).contains(ufrag.count) else { throw .missing("a=ice-ufrag") }
        guard let pwd = value("ice-pwd"), (22...256).contains(pwd.count) else { throw .missing("a=ice-pwd") }
        guard let fingerprintLine = value("fingerprint") else { throw .missing("a=fingerprint") }
        let parts = fingerprintLine.split(separator: " ")
        guard parts.count == 2 else { throw .malformed("a=fingerprint") }
        let setup = value("setup").flatMap(SetupRole.init(rawValue:)) ?? .actpass
        let codecs = try Codec.list(in: m)
        var ssrcs: [UInt32] = []
        var seen: Set<UInt32> = []
        for line in m.attributes("ssrc") {
            if let ssrc = line.split(separator: " ").first.flatMap({ UInt32($0) }), seen.insert(ssrc).inserted {
                ssrcs.append(ssrc)
            }
        }
        let direction =
            ["sendrecv", "sendonly", "recvonly", "inactive"].first {
                m.hasAttribute($0) || description.attributes.contains(SDPAttribute($0))
            } ?? "sendrecv"
        return WebRTCMedia(
            kind: m.media, mid: m.attribute("mid"), iceUfrag: ufrag, icePwd: pwd,
            fingerprintAlgorithm: String(parts[0]).lowercased(), fingerprint: String(parts[1]).uppercased(),
            setup: setup,
            rtcpMux: m.hasAttribute("rtcp-mux"), direction: direction, codecs: codecs, ssrcs: ssrcs,
            candidates: m.attributes("candidate").compactMap(Candidate.parse), port: m.port)
    }
}

/// Why an SDP cannot be used for a WebRTC leg.
public enum WebRTCSDPError: Error, Equatable, Sendable, CustomStringConvertible {
    case noMedia
    case missing(String)
    case malformed(String)
    case noCommonCodec(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .noMedia: "SDP has no media section"
        case .missing(let what): "SDP has no \(what)"
        case .malformed(let what): "SDP has a malformed \(what)"
        case .noCommonCodec(let kind): "no codec in common for \(kind)"
        case .unsupported(let what): "unsupported: \(what)"
        }
    }
}

extension Codec {
    /// The codecs a media section lists, in its order (static payload types 0 and 8 need no rtpmap).
    public static func list(in m: MediaDescription) throws(WebRTCSDPError) -> [Codec] {
        // Each format's first rtpmap and fmtp and all its rtcp-fb lines, found in one pass: a
        // section may list thousands of formats and attributes, and a search per format would
        // make reading it quadratic.
        var rtpmaps: [String: Substring] = [:]
        var fmtps: [String: String] = [:]
        var feedbacks: [String: [String]] = [:]
        for attribute in m.attributes {
            let name = attribute.name
            guard name == "rtpmap" || name == "fmtp" || name == "rtcp-fb", let value = attribute.value,
                let space = value.firstIndex(of: " ")
            else { continue }
            let format = String(value[..<space])
            let rest = value[value.index(after: space)...]
            if name == "rtpmap" {
                if rtpmaps[format] == nil { rtpmaps[format] = rest }
            } else if name == "fmtp" {
                if fmtps[format] == nil { fmtps[format] = String(rest) }
            } else {
                feedbacks[format, default: []].append(String(rest))
            }
        }
        var codecs: [Codec] = []
        for format in m.formats {
            guard let pt = UInt8(format), pt < 128 else { continue }
            guard let rtpmap = rtpmaps[format] else {
                if pt == 0 { codecs.append(Codec(payloadType: 0, name: "pcmu", clockRate: 8000)) }
                if pt == 8 { codecs.append(Codec(payloadType: 8, name: "pcma", clockRate: 8000)) }
                continue
            }
            let encoding = rtpmap.split(separator: "/")
            guard encoding.count >= 2, let rate = Int(encoding[1]) else {
                throw WebRTCSDPError.malformed("a=rtpmap:\(format)")
            }
            codecs.append(
                Codec(
                    payloadType: pt, name: encoding[0].lowercased(), clockRate: rate,
                    channels: encoding.count > 2 ? Int(encoding[2]) ?? 1 : 1, fmtp: fmtps[format],
                    feedback: feedbacks[format] ?? []))
        }
        return codecs
    }
}
