import ContactCenter
import Foundation

/// What a first start seeds so that the gateway can be tried at once.
public struct DemoSeed: Sendable {
    public var apiKey: String
    public var supervisorId: String
    public var agentIds: [String]
    public var queueId: String
    /// One-time sign-in links (paths, a day long) by display name: the supervisor's, the agents',
    /// then the contact page with a demo customer's token.
    public var signInLinks: [(name: String, path: String)]
}

public enum DemoData {
    static let marker = "demoSeeded"

    /// Seeds a supervisor, two agents, a queue with both agents, an API key and a one-time sign-in
    /// link for each person, once per data
    /// folder: only when the store has never been seeded and holds no agents and no keys.
    public static func seedIfFirstStart(_ services: GatewayServices) async throws -> DemoSeed? {
        let store = services.store
        guard try await store.get(.accountSetting, id: marker) == nil,
            try await store.query(DocumentQuery(collection: .agent, limit: 0)).total == 0,
            try await store.apiKeys().isEmpty
        else { return nil }
        let cc = services.contactCenter
        var links: [(name: String, path: String)] = []
        func create(_ name: String, _ role: AgentRole) async throws -> String {
            let id = try await cc.createAgent(
                .object(["displayName": .string(name), "status": "ACTIVE", "role": .string(role.rawValue)]),
                by: .integration
            ).agent.id
            let (code, _) = try await services.signIn.createLink(
                agentId: id, timeToLive: AgentSignIn.defaultLinkTimeToLive)
            links.append((name, SignInRoutes.linkPath(role: role, code: code)))
            return id
        }
        let supervisor = try await create("Sam Supervisor", .SUPERVISOR)
        let alice = try await create("Alice Agent", .AGENT)
        let bob = try await create("Bob Agent", .AGENT)
        let queue = try await cc.createQueue(
            .object(["name": "Support", "isAutoAssignmentEnabled": true]), by: .integration)
        for agent in [alice, bob] {
            try await cc.addAgentToQueue(agent, .object(["queueId": .string(queue.id)]), by: .integration)
        }
        // A customer to try a call with: the contact page with a token (a site's backend would
        // issue these; the demo has none).
        let (customerToken, _) = services.issueToken(
            identity: "demo-customer", displayName: "Demo Customer",
            timeToLive: min(AgentSignIn.defaultLinkTimeToLive, services.configuration.maxTokenTimeToLiveSeconds))
        links.append(("Demo customer", "/contact?token=\(customerToken)"))
        let (_, secret) = try await services.apiKeys.create(name: "demo")
        let now = services.clock.now()
        try await store.saveSetting(
            .accountSetting, SettingDocument(id: marker, value: .bool(true), createdAt: now, updatedAt: now))
        return DemoSeed(
            apiKey: secret, supervisorId: supervisor, agentIds: [alice, bob], queueId: queue.id, signInLinks: links)
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
