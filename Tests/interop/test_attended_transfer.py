"""Attended transfers with real media: an aiortc customer (440 Hz) talks to Alice (an aiortc
agent, 620 Hz); Alice consults Bob (aiortc, 950 Hz) over signaling while the customer hears hold
music, then merges the three, then completes; in another call she cancels; in a third Bob
declines. After every move each party must hear exactly whom it should (tones found or not in
what it hears), and the customer's stream goes on without a gap. Loopback only."""

import asyncio

from peers import Peer, Signaling, assert_hears, listen_a_while, start_customer_call, wait_for

# Away from the notes of the gateway's hold music and their overtones, which the customer hears while
# Alice consults.
CUSTOMER, ALICE, BOB = 440, 620, 950


async def talking_with_alice(gateway, alice, alice_peer, identity):
    signaling, customer, created = await start_customer_call(gateway, identity)
    incoming = await alice.next("call.incoming", timeout=10)
    await alice.send({"type": "call.accept", "callId": incoming["callId"],
                      "sdp": await alice_peer.answer(incoming["sdp"])})
    await signaling.next("call.established", timeout=15)
    assert await wait_for(lambda: customer.frames > 50 and alice_peer.frames > 50, timeout=10)
    return signaling, customer, created["conversationId"], incoming["callId"]


async def bob_is_consulted(gateway, alice, bob, bob_peer, call_id, bob_id, alice_id):
    """Alice consults Bob; he answers."""
    await alice.send({"type": "call.transfer", "callId": call_id, "agentId": bob_id, "attended": True,
                      "id": "consult"})
    await alice.next("ack", where=lambda f: f.get("id") == "consult")
    assert (await alice.next("call.transfer", timeout=5))["state"] == "CONSULTING"
    offer = await bob.next("call.incoming", timeout=10)
    assert offer["callId"] == call_id and offer["customData"]["consultedBy"] == alice_id, offer
    await alice.send({"type": "call.consult", "callId": call_id, "action": "COMPLETE", "id": "early"})
    early = await alice.next("error", where=lambda f: f.get("id") == "early")
    assert early["code"] == "CONFLICT", early
    await bob.send({"type": "call.accept", "callId": call_id, "sdp": await bob_peer.answer(offer["sdp"])})
    await bob.next("call.established", timeout=15)
    assert (await alice.next("call.transfer", timeout=5))["state"] == "CONSULTED"
    assert await wait_for(lambda: bob_peer.frames > 50, timeout=10)


def agents(gateway):
    return gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]


async def close_all(*things):
    for thing in things:
        if thing:
            await thing.close()


def test_alice_consults_bob_merges_and_completes(gateway):
    alice_id, bob_id = agents(gateway)

    async def scenario():
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        alice = await Signaling.connect(gateway, alice_id)
        bob = await Signaling.connect(gateway, bob_id)
        await bob.send({"type": "agent.setStatus", "status": "BUSY", "id": "s"})
        await bob.next("ack", where=lambda f: f.get("id") == "s")
        signaling, customer = None, None
        try:
            signaling, customer, conversation, call_id = await talking_with_alice(
                gateway, alice, alice_peer, "customer-consulted")
            await bob.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "s2"})
            await bob.next("ack", where=lambda f: f.get("id") == "s2")
            await alice.send({"type": "call.transfer", "callId": call_id, "agentId": "nobody", "attended": True,
                              "id": "unknown"})
            assert (await alice.next("error", where=lambda f: f.get("id") == "unknown"))["code"] == "NOT_FOUND"

            await bob_is_consulted(gateway, alice, bob, bob_peer, call_id, bob_id, alice_id)
            # Consulting: Alice and Bob hear each other; the customer hears hold music, not them.
            since = await listen_a_while(customer, alice_peer, bob_peer)
            assert_hears(alice_peer, since[1], [BOB], [CUSTOMER, ALICE])
            assert_hears(bob_peer, since[2], [ALICE], [CUSTOMER, BOB])
            assert_hears(customer, since[0], [], [ALICE, BOB], below=0.05)

            # Merged: each of the three hears both others, never itself.
            await alice.send({"type": "call.consult", "callId": call_id, "action": "MERGE", "id": "merge"})
            await alice.next("ack", where=lambda f: f.get("id") == "merge")
            assert (await alice.next("call.transfer", timeout=5))["state"] == "MERGED"
            since = await listen_a_while(customer, alice_peer, bob_peer)
            assert_hears(customer, since[0], [ALICE, BOB], [CUSTOMER])
            assert_hears(alice_peer, since[1], [CUSTOMER, BOB], [ALICE])
            assert_hears(bob_peer, since[2], [CUSTOMER, ALICE], [BOB])

            # Completed: the customer is Bob's; Alice leaves into wrap-up.
            await alice.send({"type": "call.consult", "callId": call_id, "action": "COMPLETE", "id": "done"})
            await alice.next("ack", where=lambda f: f.get("id") == "done")
            assert (await alice.next("call.transfer", timeout=5))["state"] == "TRANSFERRED"
            assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
            since = await listen_a_while(customer, bob_peer)
            assert_hears(customer, since[0], [BOB], [ALICE, CUSTOMER])
            assert_hears(bob_peer, since[1], [CUSTOMER], [ALICE, BOB])
            assert await customer.audio_packets_lost() == [0], "one stream to the customer through every move"
            assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == bob_id
            alice_state = gateway.request("GET", f"/ccaas/1/agents/{alice_id}")
            assert alice_state.get("wrapUpSecondsLeft", 0) > 0, alice_state
            # Bob now has the call: his hang-up ends it for the customer.
            await bob.send({"type": "call.hangup", "callId": call_id})
            assert (await signaling.next("call.hangup", timeout=5))["errorCode"]["name"] == "NORMAL_HANGUP"
        finally:
            await close_all(customer, alice_peer, bob_peer, signaling, alice, bob)

    asyncio.run(scenario())


def test_alice_consults_bob_and_cancels(gateway):
    alice_id, bob_id = agents(gateway)

    async def scenario():
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        alice = await Signaling.connect(gateway, alice_id)
        bob = await Signaling.connect(gateway, bob_id)
        await bob.send({"type": "agent.setStatus", "status": "BUSY", "id": "s"})
        await bob.next("ack", where=lambda f: f.get("id") == "s")
        signaling, customer = None, None
        try:
            signaling, customer, _, call_id = await talking_with_alice(gateway, alice, alice_peer, "customer-c2")
            await bob.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "s2"})
            await bob.next("ack", where=lambda f: f.get("id") == "s2")
            await bob_is_consulted(gateway, alice, bob, bob_peer, call_id, bob_id, alice_id)
            await alice.send({"type": "call.consult", "callId": call_id, "action": "CANCEL", "id": "cancel"})
            await alice.next("ack", where=lambda f: f.get("id") == "cancel")
            assert (await alice.next("call.transfer", timeout=5))["state"] == "CONSULT_CANCELLED"
            assert (await bob.next("call.hangup", timeout=5))["callId"] == call_id
            since = await listen_a_while(customer, alice_peer)
            assert_hears(customer, since[0], [ALICE], [BOB, CUSTOMER])
            assert_hears(alice_peer, since[1], [CUSTOMER], [BOB, ALICE])
            assert await customer.audio_packets_lost() == [0]
        finally:
            await close_all(customer, alice_peer, bob_peer, signaling, alice, bob)

    asyncio.run(scenario())


def test_when_bob_declines_the_consultation_alice_is_back_with_the_customer(gateway):
    alice_id, bob_id = agents(gateway)

    async def scenario():
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        alice = await Signaling.connect(gateway, alice_id)
        bob = await Signaling.connect(gateway, bob_id)
        await bob.send({"type": "agent.setStatus", "status": "BUSY", "id": "s"})
        await bob.next("ack", where=lambda f: f.get("id") == "s")
        signaling, customer = None, None
        try:
            signaling, customer, _, call_id = await talking_with_alice(gateway, alice, alice_peer, "customer-c3")
            await bob.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "s2"})
            await bob.next("ack", where=lambda f: f.get("id") == "s2")
            await alice.send({"type": "call.transfer", "callId": call_id, "agentId": bob_id, "attended": True,
                              "id": "consult"})
            await alice.next("ack", where=lambda f: f.get("id") == "consult")
            await bob.next("call.incoming", timeout=10)
            await bob.send({"type": "call.decline", "callId": call_id})
            failed = [f for f in [await alice.next("call.transfer", timeout=5),
                                  await alice.next("call.transfer", timeout=5)]]
            assert [f["state"] for f in failed] == ["CONSULTING", "TRANSFER_FAILED"], failed
            assert failed[1]["errorCode"]["name"] == "REJECTED", failed
            since = await listen_a_while(customer, alice_peer)
            assert_hears(customer, since[0], [ALICE], [BOB, CUSTOMER])
            assert_hears(alice_peer, since[1], [CUSTOMER], [BOB, ALICE])
        finally:
            await close_all(customer, alice_peer, bob_peer, signaling, alice, bob)

    asyncio.run(scenario())
