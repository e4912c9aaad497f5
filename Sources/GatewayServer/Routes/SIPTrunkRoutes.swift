import ContactCenter
import Foundation
import Hummingbird

/// `/calls/1/sip-trunks…` (the path of Infobip's Calls API): the trunks calls reach phones
/// through. Passwords are write-only: responses show the username only.
enum SIPTrunkRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "SIP trunks"
        return [
            Endpoint(.get, "/calls/1/sip-trunks", "List SIP trunks", tag: tag, returns: "`{results: [trunk]}`") {
                _, _ in
                JSONResponse.make(["results": try await cc.sipTrunks().map(SIPTrunkView.init)])
            },
            Endpoint(.post, "/calls/1/sip-trunks", "Create SIP trunk", tag: tag, body: ContactCenter.sipTrunkSchema) {
                request, context in
                let body = try await s.parsing.json(request)
                try refuseTLSWithoutListener(body["transport"]?.stringValue, s.configuration)
                return JSONResponse.make(
                    SIPTrunkView(try await cc.createSIPTrunk(body, by: context.actingParty)), status: .created)
            },
            Endpoint(.get, "/calls/1/sip-trunks/{sipTrunkId}", "Get SIP trunk", tag: tag) { _, context in
                JSONResponse.make(SIPTrunkView(try await cc.sipTrunk(try context.parameter("sipTrunkId"))))
            },
            Endpoint(
                .put, "/calls/1/sip-trunks/{sipTrunkId}", "Replace SIP trunk", tag: tag,
                body: ContactCenter.sipTrunkSchema
            ) { request, context in
                let body = try await s.parsing.json(request)
                try refuseTLSWithoutListener(body["transport"]?.stringValue, s.configuration)
                return JSONResponse.make(
                    SIPTrunkView(
                        try await cc.replaceSIPTrunk(try context.parameter("sipTrunkId"), body, by: context.actingParty)
                    ))
            },
            Endpoint(
                .get, "/calls/1/sip-trunks/{sipTrunkId}/status",
                "Trunk health: registration, OPTIONS reachability, calls in progress", tag: tag,
                returns: "`{registration, reachable, activeCalls}`"
            ) { _, context in
                let trunk = try await cc.sipTrunk(try context.parameter("sipTrunkId"))
                let active = await s.calls.activeCalls(onTrunk: trunk.id)
                guard let sip = s.sip else {
                    return JSONResponse.make(
                        SIPTrunkService.TrunkStatus(registration: "SIP_DISABLED", reachable: nil, activeCalls: active))
                }
                return JSONResponse.make(await sip.status(of: trunk, activeCalls: active))
            },
            Endpoint(.delete, "/calls/1/sip-trunks/{sipTrunkId}", "Delete SIP trunk", tag: tag) { _, context in
                try await cc.deleteSIPTrunk(try context.parameter("sipTrunkId"), by: context.actingParty)
                return Response(status: .noContent)
            },
        ]
    }
}

extension SIPTrunkRoutes {
    /// A TLS trunk calls in on the gateway's SIP over TLS listener and is called over TLS with its
    /// certificate: without that listener it could never work, so it is refused before it is stored.
    static func refuseTLSWithoutListener(_ transport: String?, _ configuration: GatewayConfiguration) throws {
        guard transport == SIPTrunkTransport.TLS.rawValue, configuration.sipTLSPort == 0 else { return }
        throw APIError.badRequest(Self.tlsWithoutListener)
    }

    static let tlsWithoutListener =
        "transport TLS needs the gateway's SIP over TLS listener: set sipTLSPort, tlsCertificateFile and tlsKeyFile"
}

/// A trunk as the API shows it: credentials without their passwords.
struct SIPTrunkView: Encodable {
    struct Username: Encodable { var username: String }
    var id: String
    var name: String
    var type: SIPTrunkType
    var transport: SIPTrunkTransport
    var destinationHosts: [String]
    var sourceHosts: [String]
    var codecs: [SIPTrunkCodec]
    var channelLimit: Int?
    var sipOptions: SIPOptionsSettings
    var outboundCredentials: Username?
    var inboundCredentials: Username?
    var registrationExpiresSeconds: Int
    var numbers: [SIPTrunkNumber]
    var defaultCallerId: String?
    var allowedCallerIds: [String]
    var rtpPortRange: String?
    var rtpTimeoutSeconds: Int
    var symmetricRtp: Bool
    var mediaEncryption: SIPTrunkMediaEncryption
    var source: String
    var createdAt: Date
    var updatedAt: Date

    init(_ trunk: SIPTrunk) {
        id = trunk.id
        name = trunk.name
        type = trunk.type
        transport = trunk.transport
        destinationHosts = trunk.destinationHosts
        sourceHosts = trunk.sourceHosts
        codecs = trunk.codecs
        channelLimit = trunk.channelLimit
        sipOptions = trunk.sipOptions
        outboundCredentials = trunk.outboundCredentials.map { Username(username: $0.username) }
        inboundCredentials = trunk.inboundCredentials.map { Username(username: $0.username) }
        registrationExpiresSeconds = trunk.registrationExpiresSeconds
        numbers = trunk.numbers
        defaultCallerId = trunk.defaultCallerId
        allowedCallerIds = trunk.allowedCallerIds
        rtpPortRange = trunk.rtpPortRange
        rtpTimeoutSeconds = trunk.rtpTimeoutSeconds
        symmetricRtp = trunk.symmetricRtp
        mediaEncryption = trunk.mediaEncryption ?? .NONE
        source = trunk.source
        createdAt = trunk.createdAt
        updatedAt = trunk.updatedAt
    }
}
