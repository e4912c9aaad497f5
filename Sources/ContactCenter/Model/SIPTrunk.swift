import Foundation

/// How a trunk is reached: `STATIC` trunks are addressed directly; `REGISTERED` trunks also
/// need the gateway to register with them.
public enum SIPTrunkType: String, Codable, Sendable, CaseIterable {
    case STATIC, REGISTERED
}

/// How SIP reaches the trunk. `TLS` needs the gateway's SIP over TLS listener (`sipTLSPort`).
public enum SIPTrunkTransport: String, Codable, Sendable, CaseIterable {
    case UDP, TCP, TLS

    /// The port a destination host without one is reached at: 5061 for TLS, else 5060.
    public var defaultPort: Int { self == .TLS ? 5061 : 5060 }
}

/// How a trunk's media is carried: `NONE` plain RTP, `SDES` SRTP keyed in the SDP (RFC 4568,
/// `RTP/SAVP` with `a=crypto`), which needs transport TLS since the keys ride in the SDP.
public enum SIPTrunkMediaEncryption: String, Codable, Sendable, CaseIterable {
    case NONE, SDES
}

/// Codecs a trunk may carry, in the operator's order of preference.
public enum SIPTrunkCodec: String, Codable, Sendable, CaseIterable {
    case PCMU, PCMA, OPUS
}

/// A phone number (DID) the trunk delivers, and the queue its calls join.
public struct SIPTrunkNumber: Codable, Sendable, Equatable {
    public var number: String
    public var queueId: String
    public init(number: String, queueId: String) {
        self.number = number
        self.queueId = queueId
    }
}

/// A username and password for SIP digest authentication.
public struct SIPCredentials: Codable, Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// OPTIONS keepalive towards the trunk.
public struct SIPOptionsSettings: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var intervalSeconds: Int
    public init(enabled: Bool, intervalSeconds: Int) {
        self.enabled = enabled
        self.intervalSeconds = intervalSeconds
    }
}

/// A SIP trunk to a carrier or PBX: where calls go out, who may send calls in, which numbers
/// route to which queue, and how media is carried.
public struct SIPTrunk: Persistable, Equatable {
    public static let collection = DocumentCollection.sipTrunk
    public var id: String
    public var name: String
    public var type: SIPTrunkType
    public var transport: SIPTrunkTransport
    /// `host:port` addresses calls are sent to, tried in order.
    public var destinationHosts: [String]
    /// IP addresses calls are accepted from; empty means the destination hosts' addresses.
    public var sourceHosts: [String]
    public var codecs: [SIPTrunkCodec]
    /// Simultaneous calls allowed on the trunk (inbound and outbound together); nil is no limit.
    public var channelLimit: Int?
    public var sipOptions: SIPOptionsSettings
    /// What the gateway answers the trunk's challenges (401/407) with, and registers with.
    public var outboundCredentials: SIPCredentials?
    /// When set, the gateway challenges the trunk's INVITEs and wants these.
    public var inboundCredentials: SIPCredentials?
    public var registrationExpiresSeconds: Int
    public var numbers: [SIPTrunkNumber]
    /// The caller id of outbound calls that do not give `outboundFrom`.
    public var defaultCallerId: String?
    /// Caller ids an agent may give as `outboundFrom` besides the trunk's numbers.
    public var allowedCallerIds: [String]
    /// First and last port of this trunk's RTP legs (e.g. `41000-41999`); nil uses the media range.
    public var rtpPortRange: String?
    public var rtpTimeoutSeconds: Int
    /// Send media to where the trunk's media comes from (for trunks behind NAT).
    public var symmetricRtp: Bool
    /// `API` (made over REST) or `CONFIGURATION` (from the configuration file; replaced at start).
    public var source: String
    public var createdAt: Date
    public var updatedAt: Date
    /// SRTP towards the trunk; nil (trunks stored before it existed) is `NONE`.
    public var mediaEncryption: SIPTrunkMediaEncryption?

    /// Whether the trunk's media is SRTP (SDES).
    public var encryptsMedia: Bool { mediaEncryption == .SDES }
}
