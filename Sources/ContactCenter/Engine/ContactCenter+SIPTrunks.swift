import Foundation

extension ContactCenter {
    static let phoneNumber = Schema.string(.init(minLength: 2, maxLength: 32, extraCharacters: "+*#"))
    static let credentialsSchema = Schema.object(
        [
            ("username", .string(.init(minLength: 1, maxLength: 128))),
            ("password", .string(.init(minLength: 1, maxLength: 128))),
        ], required: ["username", "password"])

    /// A trunk as created or replaced (`PUT`), over REST or from the configuration file.
    public static let sipTrunkSchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 128))),
            ("type", .enumeration(SIPTrunkType.self)),
            ("transport", .enumeration(SIPTrunkTransport.self)),
            (
                "destinationHosts",
                .described(
                    .array(
                        .string(.init(minLength: 1, maxLength: 255, extraCharacters: ".:-[]")), minItems: 1, maxItems: 8
                    ),
                    "`host:port` (port 5060 when left out, 5061 with transport TLS), tried in order.")
            ),
            (
                "sourceHosts",
                .described(
                    .array(.string(.init(minLength: 1, maxLength: 64, extraCharacters: ".:")), maxItems: 32),
                    "IP addresses calls are accepted from; empty means the destination hosts' addresses.")
            ),
            ("codecs", .array(.enumeration(SIPTrunkCodec.self), minItems: 1, maxItems: 3)),
            ("channelLimit", .nullable(.integer(minimum: 1, maximum: 100_000))),
            (
                "sipOptions",
                .object([("enabled", .boolean), ("intervalSeconds", .integer(minimum: 5, maximum: 3600))])
            ),
            ("outboundCredentials", .nullable(credentialsSchema)),
            ("inboundCredentials", .nullable(credentialsSchema)),
            ("registrationExpiresSeconds", .integer(minimum: 60, maximum: 86400)),
            (
                "numbers",
                .array(
                    .object(
                        [("number", phoneNumber), ("queueId", .string(.init(minLength: 1, maxLength: 64)))],
                        required: ["number", "queueId"]), maxItems: 10_000)
            ),
            ("defaultCallerId", .nullable(phoneNumber)),
            ("allowedCallerIds", .array(phoneNumber, maxItems: 1000)),
            (
                "rtpPortRange",
                .nullable(.described(.string(.init(minLength: 3, maxLength: 11, extraCharacters: "-")), "`first-last`"))
            ),
            ("rtpTimeoutSeconds", .integer(minimum: 5, maximum: 3600)),
            ("symmetricRtp", .boolean),
            (
                "mediaEncryption",
                .described(
                    .enumeration(SIPTrunkMediaEncryption.self),
                    "`NONE` (default): RTP. `SDES`: SRTP keyed in the SDP (RTP/SAVP, a=crypto "
                        + "AES_CM_128_HMAC_SHA1_80); needs transport TLS.")
            ),
        ], required: ["name", "destinationHosts"])

    public func sipTrunks() async throws -> [SIPTrunk] {
        if let sipTrunkCache { return sipTrunkCache }
        let generation = sipTrunkGeneration
        let trunks = try await store.list(SIPTrunk.self, DocumentQuery(collection: .sipTrunk, orderBy: "name")).items
        if generation == sipTrunkGeneration { sipTrunkCache = trunks }
        return trunks
    }

    public func sipTrunk(_ id: String) async throws -> SIPTrunk {
        guard let trunk = try await store.load(SIPTrunk.self, id: id) else {
            throw ContactCenterError.notFound(resource: "SIP trunk", id: id)
        }
        return trunk
    }

    /// The trunk that delivers `number`, if any.
    public func sipTrunk(forNumber number: String) async throws -> (SIPTrunk, SIPTrunkNumber)? {
        for trunk in try await sipTrunks() {
            if let entry = trunk.numbers.first(where: { $0.number == number }) { return (trunk, entry) }
        }
        return nil
    }

    public func createSIPTrunk(_ body: JSONValue, by actor: ActingParty) async throws -> SIPTrunk {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may create SIP trunks.")
        }
        let now = now()
        let trunk = try await makeSIPTrunk(body, id: Identifiers.hex32(), source: "API", createdAt: now)
        try await store.save(trunk)
        forgetSIPTrunks()
        return trunk
    }

    public func replaceSIPTrunk(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> SIPTrunk {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change SIP trunks.")
        }
        let existing = try await sipTrunk(id)
        let trunk = try await makeSIPTrunk(body, id: id, source: "API", createdAt: existing.createdAt)
        try await store.save(trunk)
        forgetSIPTrunks()
        return trunk
    }

    public func deleteSIPTrunk(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete SIP trunks.")
        }
        _ = try await sipTrunk(id)
        try await store.delete(.sipTrunk, id: id)
        forgetSIPTrunks()
    }

    /// Trunks from the configuration file replace those of the same name; configured trunks no
    /// longer in the file are removed. Throws naming the trunk and field of a bad entry.
    public func applyConfiguredSIPTrunks(_ bodies: [JSONValue]) async throws {
        var existing = Dictionary(try await sipTrunks().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var names: Set<String> = []
        for body in bodies {
            let name = body["name"]?.stringValue ?? ""
            let previous = existing[name]
            let trunk = try await makeSIPTrunk(
                body, id: previous?.id ?? Identifiers.hex32(), source: "CONFIGURATION",
                createdAt: previous?.createdAt ?? now())
            try await store.save(trunk)
            forgetSIPTrunks()
            existing[name] = trunk
            names.insert(name)
        }
        for trunk in existing.values where trunk.source == "CONFIGURATION" && !names.contains(trunk.name) {
            try await store.delete(.sipTrunk, id: trunk.id)
            forgetSIPTrunks()
        }
    }

    private func makeSIPTrunk(_ body: JSONValue, id: String, source: String, createdAt: Date) async throws -> SIPTrunk {
        try check(body, against: Self.sipTrunkSchema)
        let name = body["name"]!.stringValue!
        let destinations = body["destinationHosts"]?.arrayValue.compactMap(\.stringValue) ?? []
        for (index, host) in destinations.enumerated() where SIPHostPort.parse(host) == nil {
            throw ContactCenterError.invalid([
                Violation(field: "destinationHosts[\(index)]", message: "must be host or host:port, got '\(host)'")
            ])
        }
        let sources = body["sourceHosts"]?.arrayValue.compactMap(\.stringValue) ?? []
        for (index, host) in sources.enumerated() where !SIPHostPort.isIPv4(host) {
            throw ContactCenterError.invalid([
                Violation(field: "sourceHosts[\(index)]", message: "must be an IPv4 address, got '\(host)'")
            ])
        }
        let range = body["rtpPortRange"]?.stringValue
        if let range, Self.portRange(range) == nil {
            throw ContactCenterError.invalid([
                Violation(
                    field: "rtpPortRange",
                    message: "must be 'first-last' with 1024 <= first < last <= 65535 and room for an RTP/RTCP pair")
            ])
        }
        var numbers: [SIPTrunkNumber] = []
        for (index, entry) in (body["numbers"]?.arrayValue ?? []).enumerated() {
            let number = SIPTrunkNumber(number: entry["number"]!.stringValue!, queueId: entry["queueId"]!.stringValue!)
            guard (try? await queue(number.queueId)) != nil else {
                throw ContactCenterError.invalid([
                    Violation(field: "numbers[\(index)].queueId", message: "no queue with id \(number.queueId)")
                ])
            }
            guard !numbers.contains(where: { $0.number == number.number }) else {
                throw ContactCenterError.invalid([
                    Violation(field: "numbers[\(index)].number", message: "\(number.number) is listed twice")
                ])
            }
            numbers.append(number)
        }
        for other in try await sipTrunks() where other.id != id {
            if other.name == name { throw ContactCenterError.conflict("A SIP trunk named \(name) already exists.") }
            if let clash = other.numbers.first(where: { mine in numbers.contains { $0.number == mine.number } }) {
                throw ContactCenterError.conflict(
                    "Number \(clash.number) already routes through SIP trunk \(other.name).")
            }
        }
        let type = body["type"]?.stringValue.flatMap(SIPTrunkType.init) ?? .STATIC
        let outbound = Self.credentials(body["outboundCredentials"])
        if type == .REGISTERED, outbound == nil {
            throw ContactCenterError.invalid([
                Violation(
                    field: "outboundCredentials", message: "a REGISTERED trunk needs credentials to register with")
            ])
        }
        let options = body["sipOptions"]
        let transport = body["transport"]?.stringValue.flatMap(SIPTrunkTransport.init) ?? .UDP
        let encryption = body["mediaEncryption"]?.stringValue.flatMap(SIPTrunkMediaEncryption.init) ?? .NONE
        if encryption == .SDES, transport != .TLS {
            throw ContactCenterError.invalid([
                Violation(
                    field: "mediaEncryption",
                    message:
                        "SDES sends the media keys inside the SDP: it needs transport TLS, got \(transport.rawValue)")
            ])
        }
        return SIPTrunk(
            id: id, name: name, type: type,
            transport: transport,
            destinationHosts: destinations, sourceHosts: sources,
            codecs: body["codecs"]?.arrayValue.compactMap { $0.stringValue.flatMap(SIPTrunkCodec.init) }
                ?? [.PCMU, .PCMA],
            channelLimit: body["channelLimit"]?.intValue.map { Int($0) },
            sipOptions: SIPOptionsSettings(
                enabled: options?["enabled"]?.boolValue ?? false,
                intervalSeconds: options?["intervalSeconds"]?.intValue.map { Int($0) } ?? 30),
            outboundCredentials: outbound, inboundCredentials: Self.credentials(body["inboundCredentials"]),
            registrationExpiresSeconds: body["registrationExpiresSeconds"]?.intValue.map { Int($0) } ?? 600,
            numbers: numbers, defaultCallerId: body["defaultCallerId"]?.stringValue,
            allowedCallerIds: body["allowedCallerIds"]?.arrayValue.compactMap(\.stringValue) ?? [],
            rtpPortRange: range, rtpTimeoutSeconds: body["rtpTimeoutSeconds"]?.intValue.map { Int($0) } ?? 30,
            symmetricRtp: body["symmetricRtp"]?.boolValue ?? false, source: source, createdAt: createdAt,
            updatedAt: now(), mediaEncryption: encryption)
    }

    static func credentials(_ value: JSONValue?) -> SIPCredentials? {
        guard let username = value?["username"]?.stringValue, let password = value?["password"]?.stringValue else {
            return nil
        }
        return SIPCredentials(username: username, password: password)
    }

    private func forgetSIPTrunks() {
        sipTrunkCache = nil
        sipTrunkGeneration += 1
    }

    /// `first-last` with an even first port and room for at least one RTP/RTCP pair.
    public static func portRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let first = Int(parts[0]), let last = Int(parts[1]), first >= 1024, last <= 65535,
            first < last
        else { return nil }
        return first...last
    }
}

/// `host[:port]` as trunks are addressed.
public enum SIPHostPort {
    /// `host` or `host:port`; a missing port is `defaultPort`.
    public static func parse(_ text: String, defaultPort: Int = 5060) -> (host: String, port: Int)? {
        var host = Substring(text)
        var port = defaultPort
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            guard let value = Int(text[text.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
            host = text[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
            return nil
        }
        return (String(host), port)
    }

    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in !part.isEmpty && part.count <= 3 && Int(part).map { $0 <= 255 } == true }
    }
}
