"""Transfers of calls an agent placed. Alice (aiortc, 660 Hz) dials a SIPp phone (784 Hz) through a
trunk and transfers it to Bob (aiortc, 880 Hz): Bob declines the first time and the phone is back
with Alice; the second time he answers, and Alice leaves into wrap-up. Alice also calls an in-app
customer (aiortc, 440 Hz), consults Bob and completes; and transfers another to a queue where it
waits (on the queue's board) for Bob; and a phone Alice put on hold is resumed before it goes to
Bob. After every move each party must hear whom it should, and
the customer's stream goes on without a gap. Loopback only."""

import asyncio

from audio_files import add_hold_music, runs, upload, wav_bytes
from peers import Peer, Signaling, answer_next_call, close_all, listen_a_while, wait_for
from test_sip_trunks import NUMBER, add_trunk, agent_dials
from test_transfer import set_status, transfer

ALICE, BOB, PHONE, CUSTOMER, TRANSFER_MUSIC, HOLD_MUSIC = 660, 880, 784, 440, 1000, 900


def close_to(peer, tone):
    frequency = peer.dominant_frequency(seconds=1.0)
    return frequency is not None and abs(frequency - tone) < 15


async def alice_calls_a_customer(gateway, alice, alice_peer, customer_signaling, customer, identity):
    """Alice's outbound call to the in-app customer `identity`, answered: (conversation id, call id)."""
    alice_id = gateway.agents["Alice Agent"]
    outbound = gateway.request("POST", "/ccaas/voice/2/outbound-call-conversation", {
        "from": "center", "to": identity, "agentId": alice_id, "voiceClientType": "WEBRTC"}, agent=alice_id)
    conversation = outbound["conversationId"]
    await alice.send({"type": "call.start", "sdp": await alice_peer.offer(), "customData": {
        "isOutbound": True, "outboundTo": identity, "outboundFrom": "center", "outboundAgentId": alice_id,
        "conversationId": conversation, "calleeClientType": "WebRTC"}})
    created = await alice.next("call.created")
    await alice_peer.accept_answer(created["sdp"])
    offer = await customer_signaling.next("call.incoming", timeout=10)
    await customer_signaling.send({"type": "call.accept", "callId": created["callId"],
                                   "sdp": await customer.answer(offer["sdp"])})
    await alice.next("call.established", timeout=15)
    return conversation, created["callId"]


def test_alice_dials_a_phone_and_transfers_it_to_bob(gateway):
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark

    require_sipp()
    require_tshark()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    phone = Sipp("uas_answer", tone=(PHONE, 40.0), variables={"ring_ms": 300}, timeout=60)
    add_trunk(gateway, phone.address)
    music = upload(gateway, "outbound-transfer-music", wav_bytes(TRANSFER_MUSIC, 1.0, 16000))
    gateway.request("PUT", "/ccaas/voice/2/transfer-configs/transfer-strategy", {
        "musicOnHold": {"enabled": True, "useDefault": False, "fileAudioSource": {"fileDescriptor": music}}})

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        try:
            await set_status(bob, "ACTIVE")
            phone.start()
            with capture_rtp(phone.media_port) as heard_by_phone:
                created, conversation = await agent_dials(gateway, alice, alice_id, alice_peer, "+15557000")
                await alice.next("call.established", timeout=15)
                assert await wait_for(lambda: alice_peer.frames > 100, timeout=10)
                assert close_to(alice_peer, PHONE), alice_peer.dominant_frequency()

                # Bob declines: the phone is Alice's again.
                status, reply = transfer(gateway, conversation, {"agentId": bob_id}, alice_id)
                assert (status, reply["message"]) == (200, "Call transferred successfully."), reply
                assert (await alice.next("call.transfer", timeout=5))["state"] == "TRANSFERRING"
                offer = await bob.next("call.incoming", timeout=10)
                details = offer["offer"]
                assert (details["caller"], details["callerType"]) == ("+15557000", "PHONE"), details
                assert details["transferredFrom"] == {"agentId": alice_id, "displayName": "Alice Agent"}, details
                assert offer["conversationId"] == conversation and offer["customData"]["transferredFrom"] == alice_id
                await asyncio.sleep(1.5)
                await bob.send({"type": "call.decline", "callId": offer["callId"]})
                failed = await alice.next("call.transfer", where=lambda f: f["state"] != "TRANSFERRING", timeout=10)
                assert failed["state"] == "TRANSFER_FAILED" and failed["errorCode"]["name"] == "REJECTED", failed
                await listen_a_while(alice_peer, frames=100)
                assert close_to(alice_peer, PHONE), alice_peer.dominant_frequency()
                assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == alice_id
                call = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation}")["elements"][0]
                assert call["state"] == "ESTABLISHED", f"talking again, not RINGING for Bob: {call}"

                # Bob answers the second time: Alice leaves.
                status, reply = transfer(gateway, conversation, {"agentId": bob_id}, alice_id)
                assert status == 200, reply
                offer = await bob.next("call.incoming", timeout=10)
                await asyncio.sleep(1.5)
                await bob.send({"type": "call.accept", "callId": offer["callId"],
                                "sdp": await bob_peer.answer(offer["sdp"])})
                await bob.next("call.established", timeout=15)
                assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
                await listen_a_while(bob_peer, frames=100)
                assert close_to(bob_peer, PHONE), bob_peer.dominant_frequency()
                await bob.send({"type": "call.hangup", "callId": offer["callId"]})
                result = await asyncio.to_thread(phone.wait, 20)
            result.assert_ok()
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, TRANSFER_MUSIC, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, TRANSFER_MUSIC, ALICE, TRANSFER_MUSIC, BOB], heard
            assert len({p.ssrc for p in heard_by_phone.audio_packets()}) == 1, "one stream to the phone throughout"
            assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == bob_id
            alice_state = gateway.request("GET", f"/ccaas/1/agents/{alice_id}")
            assert alice_state["availability"] == "BUSY" and alice_state.get("wrapUpSecondsLeft", 0) > 0, alice_state
            call = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation}")["elements"][0]
            assert (call["direction"], call["state"], call["agentId"]) == ("OUTBOUND", "FINISHED", bob_id), call
        finally:
            phone.stop()
            await close_all(alice_peer, bob_peer, alice, bob)

    asyncio.run(scenario())


def test_alice_calls_a_customer_consults_bob_and_completes(gateway):
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        customer_signaling = await Signaling.connect(gateway, "customer-called")
        alice_peer, bob_peer, customer = Peer(ALICE), Peer(BOB), Peer(CUSTOMER)
        try:
            await set_status(bob, "ACTIVE")
            conversation, call_id = await alice_calls_a_customer(
                gateway, alice, alice_peer, customer_signaling, customer, "customer-called")
            await listen_a_while(alice_peer, customer, frames=100)
            assert close_to(alice_peer, CUSTOMER) and close_to(customer, ALICE)

            await alice.send({"type": "call.transfer", "callId": call_id, "agentId": bob_id, "attended": True,
                              "id": "consult"})
            await alice.next("ack", where=lambda f: f.get("id") == "consult")
            assert (await alice.next("call.transfer", timeout=5))["state"] == "CONSULTING"
            consulted = await bob.next("call.incoming", timeout=10)
            details = consulted["offer"]
            assert (details["caller"], details["callerType"]) == ("customer-called", "WEBRTC"), details
            await bob.send({"type": "call.accept", "callId": call_id, "sdp": await bob_peer.answer(consulted["sdp"])})
            await bob.next("call.established", timeout=15)
            assert (await alice.next("call.transfer", timeout=5))["state"] == "CONSULTED"
            await listen_a_while(alice_peer, bob_peer, frames=100)
            assert close_to(alice_peer, BOB) and close_to(bob_peer, ALICE), "the agents talk"

            await alice.send({"type": "call.consult", "callId": call_id, "action": "COMPLETE", "id": "done"})
            await alice.next("ack", where=lambda f: f.get("id") == "done")
            assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
            await listen_a_while(customer, bob_peer, frames=100)
            assert close_to(customer, BOB) and close_to(bob_peer, CUSTOMER), "the customer and Bob talk"
            assert await customer.audio_packets_lost() == [0], "Alice, hold music and Bob are one stream"
            assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == bob_id
            await customer_signaling.send({"type": "call.hangup", "callId": call_id})
            assert (await bob.next("call.hangup", timeout=5))["errorCode"]["name"] == "NORMAL_HANGUP"
        finally:
            await close_all(alice_peer, bob_peer, customer, alice, bob, customer_signaling)

    asyncio.run(scenario())


def test_alice_calls_a_customer_and_transfers_the_call_to_a_queue(gateway):
    """The customer waits in Sales (counted on its board) while Bob is busy, then Bob answers."""
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    sales = gateway.request("POST", "/ccaas/1/queues", {"name": "Sales", "isAutoAssignmentEnabled": True})["id"]
    gateway.request("POST", f"/ccaas/1/agents/{bob_id}/queues", {"queueId": sales})

    def waiting_in_sales():
        boards = gateway.request("GET", "/ccaas/1/queues/statistics")
        return next(b for b in boards["queues"] if b["queueId"] == sales)["waiting"]

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        customer_signaling = await Signaling.connect(gateway, "customer-queued")
        alice_peer, bob_peer, customer = Peer(ALICE), Peer(BOB), Peer(CUSTOMER)
        try:
            await set_status(bob, "BUSY")
            conversation, call_id = await alice_calls_a_customer(
                gateway, alice, alice_peer, customer_signaling, customer, "customer-queued")
            await listen_a_while(customer, frames=50)

            status, reply = gateway.request_raw(
                "PATCH", f"/ccaas/voice/2/conversation/{conversation}/transfer/queue", {"queueId": sales})
            assert status == 200, reply
            assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
            assert await wait_for(lambda: waiting_in_sales() == 1, timeout=5), "the customer waits in Sales"
            await set_status(bob, "ACTIVE")
            offered = await bob.next("call.incoming", timeout=10)
            assert offered["offer"]["caller"] == "customer-queued", offered
            assert offered["offer"]["queueId"] == sales and offered["customData"]["transferredFrom"] == alice_id
            await bob.send({"type": "call.accept", "callId": call_id, "sdp": await bob_peer.answer(offered["sdp"])})
            await bob.next("call.established", timeout=15)
            await listen_a_while(customer, bob_peer, frames=100)
            assert close_to(customer, BOB) and close_to(bob_peer, CUSTOMER)
            assert waiting_in_sales() == 0
            assert await customer.audio_packets_lost() == [0], "Alice, the wait and Bob are one stream"
            record = gateway.request("GET", f"/ccaas/1/conversations/{conversation}")
            assert (record["agentId"], record["queueId"]) == (bob_id, sales), record
        finally:
            await close_all(alice_peer, bob_peer, customer, alice, bob, customer_signaling)

    asyncio.run(scenario())


def test_a_phone_alice_holds_is_resumed_when_she_transfers_it(gateway):
    """Alice holds the phone she called (re-INVITE sendonly; it hears the hold music) and transfers
    it while held: the gateway resumes it first (SIPp's scenario fails without the sendrecv
    re-INVITE: a phone left on hold would send nothing to Bob), then the phone hears Bob, in one
    stream."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import assert_one_continuous_stream

    require_sipp()
    require_tshark()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    add_hold_music(gateway, HOLD_MUSIC)
    phone = Sipp("uas_hold", timeout=40)
    add_trunk(gateway, phone.address, rtpTimeoutSeconds=60)

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        try:
            await set_status(bob, "ACTIVE")
            phone.start()
            with capture_rtp(phone.media_port) as heard_by_phone:
                created, conversation = await agent_dials(gateway, alice, alice_id, alice_peer, "+15557005")
                await alice.next("call.established", timeout=15)
                await asyncio.sleep(1.0)
                await alice.send({"type": "call.hold", "id": "hold", "callId": created["callId"], "hold": True})
                await alice.next("ack", where=lambda f: f.get("id") == "hold")
                await asyncio.sleep(1.5)
                status, reply = transfer(gateway, conversation, {"agentId": bob_id}, alice_id)
                assert status == 200, reply
                offer = await answer_next_call(bob, bob_peer)
                assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
                await asyncio.sleep(2.0)
                await bob.send({"type": "call.hangup", "callId": offer["callId"]})
                result = await asyncio.to_thread(phone.wait, 15)
            result.assert_ok()
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, HOLD_MUSIC, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard[:2] == [ALICE, HOLD_MUSIC] and heard[-1] == BOB, heard
            assert_one_continuous_stream(heard_by_phone)
        finally:
            phone.stop()
            await close_all(alice_peer, bob_peer, alice, bob)

    asyncio.run(scenario())
