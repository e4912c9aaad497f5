import Foundation
import Testing

@testable import ContactCenter

@Suite struct AgentRegistryTests {
    let clock = ManualWallClock()
    let events = EventBus()

    func registry(timeout: Int = 30) async -> (AgentRegistry, Agent) {
        let registry = AgentRegistry(clock: clock, events: events, heartbeatTimeoutSeconds: timeout)
        let agent = Agent(
            displayName: "A", status: .ACTIVE, role: .AGENT, createdAt: clock.now(), updatedAt: clock.now())
        await registry.upsert(agent)
        return (registry, agent)
    }

    @Test func availabilityIsDerivedFromPresenceCallsAndStatus() async throws {
        let (registry, agent) = await registry()
        #expect(await registry.state(of: agent.id)?.availability == .AWAY)
        await registry.connected(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.availability == .ACTIVE)
        await registry.callStarted(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.availability == .BUSY)
        await registry.callEnded(agentId: agent.id, wrapUp: WrapUpPolicy(enabled: false, seconds: 30, canExtend: true))
        #expect(await registry.state(of: agent.id)?.availability == .ACTIVE)
        var away = agent
        away.status = .AWAY
        await registry.upsert(away)
        #expect(await registry.state(of: agent.id)?.availability == .AWAY)
        var disabled = agent
        disabled.enabled = false
        await registry.upsert(disabled)
        #expect(await registry.state(of: agent.id)?.availability == .INVISIBLE)
        await registry.upsert(agent)
        await registry.disconnected(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.online == false)
    }

    @Test func availabilityCarriesWhenItChangedAndTheStatusReason() async throws {
        let (registry, agent) = await registry()
        let start = clock.now()
        clock.advance(by: 5)
        await registry.connected(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.availabilitySince == start.addingTimeInterval(5))
        clock.advance(by: 7)
        await registry.heartbeat(agentId: agent.id)
        #expect(
            await registry.state(of: agent.id)?.availabilitySince == start.addingTimeInterval(5),
            "a beat that changes nothing keeps the time")
        await registry.callStarted(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.availabilitySince == start.addingTimeInterval(12))
        var away = agent
        away.status = .AWAY
        away.statusReason = "3 call offers in a row were not answered."
        await registry.upsert(away)
        #expect(await registry.state(of: agent.id)?.statusReason == "3 call offers in a row were not answered.")
        await registry.upsert(agent)
        #expect(await registry.state(of: agent.id)?.statusReason == nil)
    }

    @Test func reservationHoldsTheFirstFreeSignedInAgentForOneCallOnly() async throws {
        let (registry, agent) = await registry()
        let other = Agent(
            displayName: "B", status: .ACTIVE, role: .AGENT, createdAt: clock.now(), updatedAt: clock.now())
        await registry.upsert(other)
        #expect(await registry.reserve(firstOf: [agent.id], for: "call-0") == nil, "not signed in")
        #expect(await registry.anySignedIn([agent.id, other.id]) == false)
        await registry.connected(agentId: agent.id)
        await registry.connected(agentId: other.id)
        #expect(await registry.anySignedIn([agent.id]))
        #expect(await registry.reserve(firstOf: ["unknown", other.id, agent.id], for: "call-1") == other.id)
        #expect(await registry.reservation(of: other.id) == "call-1")
        // A second call routed at the same time gets the next agent, never the held one.
        #expect(await registry.reserve(firstOf: [other.id, agent.id], for: "call-2") == agent.id)
        #expect(await registry.reserve(firstOf: [other.id, agent.id], for: "call-3") == nil)
        await registry.release(agentId: other.id, from: "call-2")
        #expect(await registry.reservation(of: other.id) == "call-1", "another call's hold is left alone")
        await registry.release(agentId: other.id, from: "call-1")
        #expect(await registry.reserve(firstOf: [other.id], for: "call-3") == other.id)
        // Busy (on a call) or away agents are not held; they are still signed in, so a caller may wait.
        await registry.release(agentId: agent.id, from: "call-2")
        await registry.callStarted(agentId: agent.id)
        #expect(await registry.reserve(firstOf: [agent.id], for: "call-4") == nil)
        #expect(await registry.anySignedIn([agent.id]))
        var invisible = agent
        invisible.status = .INVISIBLE
        await registry.upsert(invisible)
        #expect(await registry.anySignedIn([agent.id]) == false)
    }

    @Test func heartbeatExpiryIsPublishedOnTickAndRecoveryOnTheNextBeat() async throws {
        let (registry, agent) = await registry(timeout: 10)
        let stream = events.subscribe()
        await registry.heartbeat(agentId: agent.id)
        clock.advance(by: 9.9)
        await registry.tick()
        clock.advance(by: 0.2)
        await registry.tick()
        await registry.heartbeat(agentId: agent.id)
        var seen: [AgentStatus] = []
        for await event in stream {
            if case .agentState(let state) = event { seen.append(state.availability) }
            if seen.count == 3 { break }
        }
        #expect(seen == [.ACTIVE, .AWAY, .ACTIVE])
        #expect(await registry.heartbeat(agentId: "unknown") == false)
    }

    /// A tick looks only at agents whose heartbeat goes stale or wrap-up ends by then, not at
    /// every agent signed in; what it publishes is what looking at all of them would.
    @Test func aTickLooksOnlyAtAgentsWithSomethingDue() async throws {
        let registry = AgentRegistry(clock: clock, events: events, heartbeatTimeoutSeconds: 30)
        var ids: [String] = []
        for index in 0..<1_000 {
            let agent = Agent(
                displayName: "A\(index)", status: .ACTIVE, role: .AGENT, createdAt: clock.now(), updatedAt: clock.now())
            await registry.upsert(agent)
            await registry.connected(agentId: agent.id)
            ids.append(agent.id)
        }
        let (early, late) = (Array(ids.prefix(500)), Array(ids.suffix(500)))
        clock.advance(by: 10)
        for id in early { await registry.heartbeat(agentId: id) }
        await registry.tick()
        #expect(await registry.agentsLookedAtByLastTick == 0, "nothing due yet")
        clock.advance(by: 20.5)
        await registry.tick()
        #expect(await registry.agentsLookedAtByLastTick == 500, "those who did not beat")
        #expect(await registry.unroutable(among: ids) == Set(late))
        await registry.tick()
        #expect(await registry.agentsLookedAtByLastTick == 0, "published AWAY once, not looked at again")

        await registry.heartbeat(agentId: early[0])
        await registry.callEnded(agentId: early[0], wrapUp: WrapUpPolicy(enabled: true, seconds: 5, canExtend: true))
        #expect(await registry.state(of: early[0])?.availability == .BUSY)
        clock.advance(by: 5)
        await registry.tick()
        #expect(await registry.agentsLookedAtByLastTick == 1, "only the wrap-up that ends")
        #expect(await registry.state(of: early[0])?.availability == .ACTIVE)

        // A shorter timeout makes every fresh heartbeat stale at once: the next tick finds them.
        await registry.setHeartbeatTimeout(seconds: 5)
        await registry.tick()
        #expect(await registry.agentsLookedAtByLastTick == 500)
        #expect(await registry.unroutable(among: ids).count == 1_000)
        #expect(await registry.states().values.allSatisfy { !$0.online })
    }

    @Test func wrapUpStartsExtendsClearsAndEndsOnTime() async throws {
        let (registry, agent) = await registry()
        await registry.connected(agentId: agent.id)
        let policy = WrapUpPolicy(enabled: true, seconds: 30, canExtend: true)
        await #expect(throws: ContactCenterError.badRequest("Agent is not in Wrapping status.")) {
            try await registry.extendWrapUp(agentId: agent.id, seconds: 5, canExtend: true)
        }
        await registry.callEnded(agentId: agent.id, wrapUp: policy)
        #expect(await registry.state(of: agent.id)?.wrapUpSecondsLeft == 30)
        clock.advance(by: 10)
        try await registry.extendWrapUp(agentId: agent.id, seconds: 5, canExtend: true)
        #expect(await registry.state(of: agent.id)?.wrapUpSecondsLeft == 25)
        await #expect(throws: ContactCenterError.self) {
            try await registry.extendWrapUp(agentId: agent.id, seconds: 5, canExtend: false)
        }
        clock.advance(by: 25)
        await registry.heartbeat(agentId: agent.id)
        await registry.tick()
        #expect(await registry.state(of: agent.id)?.wrapUpSecondsLeft == nil)
        #expect(await registry.state(of: agent.id)?.availability == .ACTIVE)
        await registry.callEnded(agentId: agent.id, wrapUp: policy)
        try await registry.clearWrapUp(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.availability == .ACTIVE)
        await #expect(throws: ContactCenterError.self) { try await registry.clearWrapUp(agentId: agent.id) }
        // A new call ends a wrap-up in progress.
        await registry.callEnded(agentId: agent.id, wrapUp: policy)
        await registry.callStarted(agentId: agent.id)
        #expect(await registry.state(of: agent.id)?.wrapUpSecondsLeft == nil)
        #expect(await registry.state(of: agent.id)?.activeCalls == 1)
    }

    @Test func webhookBackoffDoublesAndCaps() {
        #expect(WebhookDispatcher.backoff(afterAttempts: 1) == 1)
        #expect(WebhookDispatcher.backoff(afterAttempts: 2) == 2)
        #expect(WebhookDispatcher.backoff(afterAttempts: 5) == 16)
        #expect(WebhookDispatcher.backoff(afterAttempts: 30) == 300)
    }
}
