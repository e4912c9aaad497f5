import AsyncHTTPClient
import Foundation
import NIOCore

/// Why a request to the gateway's REST API failed.
public struct GatewayRequestError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The gateway's REST API, as the headless agent needs it: tokens, and the agents, queue and
/// trunk the load generator calls through.
public struct GatewayClient: Sendable {
    /// `http://host:port` or `https://…`, without a trailing slash.
    public let baseURL: String
    public let apiKey: String
    /// PEM certificates an HTTPS gateway's certificate must chain to; nil: the system's.
    public let trustedCertificatesFile: String?

    public init(baseURL: String, apiKey: String, trustedCertificatesFile: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.trustedCertificatesFile = trustedCertificatesFile
    }

    /// The signaling URL for a token.
    public static func signalingURL(base: String, token: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let ws = trimmed.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(
            of: "http://", with: "ws://")
        let escaped = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
        return "\(ws)/webrtc/1/signaling?token=\(escaped)"
    }

    /// A WebRTC token for an agent id or a customer identity.
    public func token(for identity: String) async throws -> String {
        let reply = try await call("POST", "/webrtc/1/token", body: ["identity": identity])
        guard let token = reply["token"] as? String else { throw GatewayRequestError(description: "no token in reply") }
        return token
    }

    /// The ids of `count` agents named "Load agent 0001"…, created when missing, all ACTIVE and
    /// in the queue named `queueName` (created when missing); returns (agent ids, queue id).
    public func loadAgents(count: Int, queueName: String) async throws -> (agents: [String], queueId: String) {
        let queues = try await call("GET", "/ccaas/1/queues?limit=999")
        let queueList = (queues["queues"] as? [[String: Any]]) ?? []
        var queueId = queueList.first { $0["name"] as? String == queueName }?["id"] as? String
        if queueId == nil {
            queueId =
                try await call(
                    "POST", "/ccaas/1/queues", body: ["name": queueName, "isAutoAssignmentEnabled": true])["id"]
                as? String
        }
        guard let queueId else { throw GatewayRequestError(description: "cannot create queue \(queueName)") }
        let existing = try await call("GET", "/ccaas/1/agents?displayName=Load%20agent&limit=999")
        var byName: [String: String] = [:]
        for agent in (existing["agents"] as? [[String: Any]]) ?? [] {
            if let name = agent["displayName"] as? String, let id = agent["id"] as? String { byName[name] = id }
        }
        var ids: [String] = []
        for index in 1...count {
            let name = String(format: "Load agent %04d", index)
            var id = byName[name]
            if id == nil {
                id =
                    try await call(
                        "POST", "/ccaas/1/agents", body: ["displayName": name, "role": "AGENT", "status": "ACTIVE"]
                    )["id"] as? String
                guard let id else { throw GatewayRequestError(description: "cannot create agent \(name)") }
                _ = try await call("POST", "/ccaas/1/agents/\(id)/queues", body: ["queueId": queueId])
            }
            ids.append(id!)
        }
        return (ids, queueId)
    }

    /// Makes the trunk named `name` anew (removing one of that name first): calls from
    /// `destinationHost` (`host:port`) to `number` join the queue `queueId`, in `codec`
    /// (`PCMU`, `PCMA` or `OPUS`). Returns its id.
    public func loadTrunk(name: String, destinationHost: String, number: String, queueId: String, codec: String)
        async throws -> String
    {
        let trunks = try await call("GET", "/calls/1/sip-trunks")
        for trunk in (trunks["results"] as? [[String: Any]]) ?? [] where trunk["name"] as? String == name {
            if let id = trunk["id"] as? String { _ = try await call("DELETE", "/calls/1/sip-trunks/\(id)") }
        }
        let body: [String: any Sendable] = [
            "name": name, "destinationHosts": [destinationHost], "codecs": [codec],
            "numbers": [["number": number, "queueId": queueId]],
        ]
        guard let id = try await call("POST", "/calls/1/sip-trunks", body: body)["id"] as? String else {
            throw GatewayRequestError(description: "cannot create trunk \(name)")
        }
        return id
    }

    private func call(_ method: String, _ path: String, body: [String: any Sendable]? = nil) async throws
        -> [String: Any]
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "App \(apiKey)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let client = GatewayTrust.httpClient(trustedCertificatesFile)
        var response = try await client.execute(request, timeout: .seconds(30))
        // Over the key's request rate: wait as the gateway says, then again (a large load signs
        // in hundreds of agents with one key).
        for _ in 0..<30 where response.status.code == 429 {
            let seconds = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 1
            _ = try? await response.body.collect(upTo: 1 << 16)
            try await Task.sleep(for: .seconds(max(0.1, min(seconds, 10))))
            response = try await client.execute(request, timeout: .seconds(30))
        }
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let text = String(buffer: bytes)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw GatewayRequestError(description: "\(method) \(path): \(response.status.code) \(text)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}
