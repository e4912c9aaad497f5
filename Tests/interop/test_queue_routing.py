"""Who a queue's call goes to, proven end to end with headless agents (real ICE, DTLS, SRTP and
Opus) and headless customers: ROUND_ROBIN in membership order, LOAD_BALANCING by open
conversations then longest idle, sticky assignment, a queue without auto-assignment, and an
agent set AWAY after letting offers ring out. Loopback only."""

import asyncio

from headless import figures, run, start
from peers import Gateway, Signaling, patch_aioice_loopback, require_aiortc, start_customer_call, wait_for


def make_queue(gateway, name, members, **fields):
    queue = gateway.request("POST", "/ccaas/1/queues", {"name": name, **fields})
    ids = []
    for member in members:
        agent = gateway.request("POST", "/ccaas/1/agents", {"displayName": member, "status": "ACTIVE", "role": "AGENT"})
        gateway.request("POST", f"/ccaas/1/agents/{agent['id']}/queues", {"queueId": queue["id"]})
        ids.append(agent["id"])
    return queue["id"], ids


def start_agents(gateway, ids):
    """Headless agents that answer at once, hang up after the caller, clear wrap-up at once."""
    agents = [start(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", i, "--tone", "660",
                     "--json"]) for i in ids]
    ok = asyncio.run(wait_for(lambda: all(gateway.request("GET", f"/ccaas/1/agents/{i}")["availability"] == "ACTIVE"
                                          for i in ids), timeout=20))
    assert ok, [a.stderr.read() for a in agents if a.poll() is not None]
    return agents


def call_center(gateway, identity, queue_id, calls=1):
    """A headless customer's calls, one after the other; returns the agent of each, in order."""
    code, out, err = run(["customer", "--gateway", gateway.base, "--api-key", gateway.key, "--identity", identity,
                          "--queue", queue_id, "--calls", str(calls), "--duration", "1", "--json"], timeout=60)
    assert code == 0, err
    answered = []
    records = {c["id"]: c for c in gateway.request("GET", "/ccaas/voice/2/calls?size=999")["elements"]}
    for call in figures(out):
        assert call["packetsReceived"] > 20, call
        answered.append(records[call["callId"]]["agentId"])
    return answered


def stop(agents):
    for agent in agents:
        if agent.poll() is None:
            agent.kill()


def test_round_robin_load_balancing_and_sticky_assignment(gateway):
    rr_queue, rr = make_queue(gateway, "Round robin", ["R1", "R2", "R3"], isAutoAssignmentEnabled=True,
                              autoAssignmentAlgorithm="ROUND_ROBIN")
    lb_queue, lb = make_queue(gateway, "Load balancing", ["L1", "L2", "L3"], isAutoAssignmentEnabled=True,
                              autoAssignmentAlgorithm="LOAD_BALANCING")
    # L1 has two open conversations, L3 one, L2 none.
    for agent in (lb[0], lb[0], lb[2]):
        gateway.request("POST", "/ccaas/1/conversations", {"topic": "open work", "agentId": agent})
    agents = start_agents(gateway, rr + lb)
    try:
        # Membership order, each call after the agent offered last, wrapping around.
        assert call_center(gateway, "customer-rr", rr_queue, calls=4) == [rr[0], rr[1], rr[2], rr[0]]
        # Fewest open conversations first (L2: 0); then L2 and L3 have one each and L3 has been
        # idle longer (never called); then L2 again (idle since before L3's call).
        assert call_center(gateway, "customer-lb", lb_queue, calls=3) == [lb[1], lb[2], lb[1]]
        # Now each has two open conversations and L1 has never had a call, so load balancing
        # alone would pick L1; sticky assignment brings the customer back to L2, their last agent.
        gateway.request("PUT", f"/ccaas/1/queues/{lb_queue}", {"name": "Load balancing",
                                                                "isStickyAutoAssignmentEnabled": True,
                                                                "stickyAgentTimeoutDays": 7})
        assert call_center(gateway, "customer-lb", lb_queue) == [lb[1]]
        assert call_center(gateway, "customer-new", lb_queue) == [lb[0]], "no history: load balancing decides"
    finally:
        stop(agents)


def test_without_auto_assignment_a_call_waits_for_its_assignee(gateway):
    queue_id, (m1, m2) = make_queue(gateway, "Manual", ["M1", "M2"])
    agents = start_agents(gateway, [m1, m2])

    async def scenario():
        signaling, customer, created = await start_customer_call(gateway, "customer-manual", queue_id)
        try:
            await asyncio.sleep(2)
            assert not [f for f in signaling.frames if f["type"] in ("call.hangup", "call.ringing")], signaling.frames
            # A supervisor assigns the conversation: the call rings that agent, who answers.
            gateway.request("PUT", f"/ccaas/1/conversations/{created['conversationId']}/assignee", {"agentId": m2})
            await signaling.next("call.established", timeout=15)
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["agentId"] == m2
            assert await wait_for(lambda: customer.frames > 50, timeout=10)
            assert abs(customer.dominant_frequency() - 660) < 15
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
        finally:
            await customer.close()
            await signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        stop(agents)


def test_an_agent_who_lets_offers_ring_out_is_set_away():
    require_aiortc()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_MAX_MISSED_OFFERS": "2"})

    async def scenario():
        gateway.request("PUT", "/ccaas/voice/2/call-timeouts", {"inbound": 3, "outbound": 45})
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)  # never answers
        await alice.send({"type": "agent.setStatus", "status": "ACTIVE"})
        for n in range(2):
            signaling, customer, created = await start_customer_call(gateway, f"customer-missed-{n}")
            await alice.next("call.incoming")
            hangup = await signaling.next("call.hangup", timeout=10)
            assert hangup["errorCode"]["name"] == "NO_ANSWER"
            await customer.close()
            await signaling.close()
        agent = gateway.request("GET", f"/ccaas/1/agents/{alice_id}")
        assert agent["status"] == "AWAY" and agent["availability"] == "AWAY", agent
        assert "2 call offers" in agent["statusReason"], agent
        # Alice is still signed in: the next caller waits instead of ringing her empty desk...
        signaling, customer, created = await start_customer_call(gateway, "customer-after")
        await asyncio.sleep(2)
        assert not [f for f in alice.frames if f["type"] == "call.incoming"]
        # ...until she is back: the call is offered, and the reason is gone.
        await alice.send({"type": "agent.setStatus", "status": "ACTIVE"})
        incoming = await alice.next("call.incoming", timeout=10)
        assert incoming["callId"] == created["callId"]
        assert gateway.request("GET", f"/ccaas/1/agents/{alice_id}").get("statusReason") is None
        await customer.close()
        await signaling.close()
        await alice.close()

    try:
        asyncio.run(scenario())
    finally:
        gateway.stop()


def test_a_queue_outside_its_working_hours_takes_no_calls(gateway):
    closed_day = {"startTime": 0, "endTime": 0, "enabled": False}
    hours = gateway.request("POST", "/ccaas/1/working-hours", {
        "name": "Never", "timezone": "Etc/UTC", "message": "We are closed.",
        "workWeek": {day: closed_day for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY",
                                                 "SATURDAY", "SUNDAY")}})
    queue_id, ids = make_queue(gateway, "Office", ["O1"], isAutoAssignmentEnabled=True, workingHoursId=hours["id"])
    assert gateway.request("GET", f"/ccaas/1/working-hours/{hours['id']}/status")["status"] == "OUTSIDE_OF_WORKING_HOURS"
    agents = start_agents(gateway, ids)
    try:
        code, out, err = run(["customer", "--gateway", gateway.base, "--api-key", gateway.key, "--identity", "late",
                              "--queue", queue_id, "--json"], timeout=60)
        assert code == 1 and "OUTSIDE_WORKING_HOURS" in err, err
        transfer = gateway.request("GET", "/ccaas/voice/2/transfer/queues")["elements"]
        assert next(q for q in transfer if q["queueId"] == queue_id)["active"] is False
        # Open all day every day: the same call is answered.
        gateway.request("PATCH", f"/ccaas/1/working-hours/{hours['id']}",
                        {"workWeek": {"MONDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "TUESDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "WEDNESDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "THURSDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "FRIDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "SATURDAY": {"startTime": 0, "endTime": 1440, "enabled": True},
                                      "SUNDAY": {"startTime": 0, "endTime": 1440, "enabled": True}}})
        assert call_center(gateway, "late", queue_id) == [ids[0]]
    finally:
        stop(agents)
