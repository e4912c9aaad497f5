"""SIP REFER from a trunk (RFC 3515) with SIPp as the phone: a caller talking to Alice asks the
gateway to move it into the Sales queue (Refer-To: the queue's id); it gets 202, a NOTIFY with
100 Trying and a final one with 200 OK, and is answered by Bob, who hears its tone while it hears
Alice, then Bob. A Refer-To naming nothing here gets 404 and the call goes on. Loopback only."""

import asyncio

from audio_files import runs
from peers import Peer, Signaling, answer_next_call, close_all

CUSTOMER, ALICE, BOB = 440, 660, 880


def phone_and_queue(gateway, refer_to=None, trunk_to=None):
    from sip_peers import Sipp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    support = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]  # the demo queue: Alice's
    sales = gateway.request("POST", "/ccaas/1/queues", {"name": "Sales", "isAutoAssignmentEnabled": True})["id"]
    gateway.request("POST", f"/ccaas/1/agents/{gateway.agents['Bob Agent']}/queues", {"queueId": sales})
    phone = Sipp("uac_refer", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                 tone=(CUSTOMER, 20.0), keys={"offer_formats": "8 101", "refer_to": refer_to or sales},
                 variables={"refer_ms": 2000}, timeout=40)
    add_trunk(gateway, trunk_to or phone.address, codecs=["PCMA"], numbers=[{"number": NUMBER, "queueId": support}])
    return phone, sales


def notified(result):
    """Each NOTIFY the phone received: its sipfrag status line and subscription state."""
    return [(m.body.strip().splitlines()[0], (m.header("Subscription-State") or "").split(";")[0])
            for m in result.received() if m.method == "NOTIFY"]


def test_a_phone_refers_itself_into_a_queue_and_bob_answers(gateway):
    from sip_peers import capture_rtp

    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    phone, sales = phone_and_queue(gateway)

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        try:
            await bob.send({"type": "agent.setStatus", "status": "BUSY", "id": "busy"})
            await bob.next("ack", where=lambda f: f.get("id") == "busy")
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                incoming = await answer_next_call(alice, alice_peer)
                await bob.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "active"})
                await bob.next("ack", where=lambda f: f.get("id") == "active")
                # The phone's REFER (2 s after the answer) moves it: Alice leaves, Bob is offered it.
                done = await alice.next("call.transfer", timeout=10)
                assert done["state"] == "TRANSFERRED", done
                assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
                offered = await bob.next("call.incoming", timeout=10)
                assert offered["customData"]["transferredFrom"] == alice_id, offered
                await bob.send({"type": "call.accept", "callId": offered["callId"],
                                "sdp": await bob_peer.answer(offered["sdp"])})
                await bob.next("call.established", timeout=15)
                await asyncio.sleep(2)
                assert abs(bob_peer.dominant_frequency() - CUSTOMER) < 15, bob_peer.dominant_frequency()
                await bob.send({"type": "call.hangup", "callId": offered["callId"]})
                result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert 202 in result.statuses_received(), result.statuses_received()
            assert notified(result) == [("SIP/2.0 100 Trying", "active"), ("SIP/2.0 200 OK", "terminated")]
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, BOB], heard
            assert len({p.ssrc for p in heard_by_phone.audio_packets()}) == 1, "one stream throughout"
            conversation = gateway.request("GET", f"/ccaas/1/conversations/{incoming['conversationId']}")
            assert conversation["agentId"] == bob_id and conversation["queueId"] == sales, conversation
        finally:
            phone.stop()
            await close_all(alice_peer, bob_peer, alice, bob)

    asyncio.run(scenario())


def test_a_refer_to_nothing_known_gets_404_and_the_call_goes_on(gateway):
    alice_id = gateway.agents["Alice Agent"]
    phone, _ = phone_and_queue(gateway, refer_to="no-such-queue")

    async def scenario():
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        try:
            phone.start()
            incoming = await answer_next_call(alice, alice_peer)
            await asyncio.sleep(3.5)
            frames = alice_peer.frames
            await asyncio.sleep(1)
            assert alice_peer.frames > frames + 25, "the phone is still heard after its refused REFER"
            assert not [f for f in alice.frames if f.get("type") == "call.transfer"], alice.frames
            await alice.send({"type": "call.hangup", "callId": incoming["callId"]})
            result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert 404 in result.statuses_received(), result.statuses_received()
            assert notified(result) == []
        finally:
            phone.stop()
            await close_all(alice_peer, alice)

    asyncio.run(scenario())


def test_a_phone_refers_itself_to_another_number(gateway):
    """The phone's REFER names +15557000: the gateway dials it through the trunk (a second SIPp,
    sending 784 Hz), NOTIFYs 180 then 200, and the two phones hear each other; Alice leaves."""
    from sip_peers import Sipp, capture_rtp

    alice_id = gateway.agents["Alice Agent"]
    target = Sipp("uas_answer", tone=(784, 10.0), codec="PCMA", variables={"ring_ms": 500, "bye_after_ms": 5000},
                  timeout=40)
    phone, _ = phone_and_queue(gateway, refer_to="+15557000", trunk_to=target.address)

    async def scenario():
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        try:
            target.start()
            with capture_rtp(phone.media_port) as heard_by_phone, capture_rtp(target.media_port) as heard_by_target:
                phone.start()
                await answer_next_call(alice, alice_peer)
                assert (await alice.next("call.hangup", timeout=20))["errorCode"]["name"] == "TRANSFERRED"
                answered = await asyncio.to_thread(target.wait, 30)
                result = await asyncio.to_thread(phone.wait, 30)
            answered.assert_ok()
            result.assert_ok()
            assert notified(result) == [
                ("SIP/2.0 100 Trying", "active"), ("SIP/2.0 180 Ringing", "active"), ("SIP/2.0 200 OK", "terminated")]
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, 784])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, 784], heard
            assert abs(heard_by_target.dominant_frequency() - CUSTOMER) < 15, heard_by_target.dominant_frequency()
        finally:
            phone.stop()
            target.stop()
            await close_all(alice_peer, alice)

    asyncio.run(scenario())


def test_a_phone_alice_called_refers_itself_into_a_queue(gateway):
    """Alice dials a SIPp phone (784 Hz) through the trunk; 2 s after answering, the phone sends a
    REFER naming the Sales queue: the call turns round, Alice leaves, Bob answers and hears it,
    and the phone hears Alice, then Bob."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import add_trunk, agent_dials

    require_sipp()
    require_tshark()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    sales = gateway.request("POST", "/ccaas/1/queues", {"name": "Sales", "isAutoAssignmentEnabled": True})["id"]
    gateway.request("POST", f"/ccaas/1/agents/{bob_id}/queues", {"queueId": sales})
    phone = Sipp("uas_refer", tone=(784, 20.0), keys={"refer_to": sales}, variables={"refer_ms": 2000}, timeout=40)
    add_trunk(gateway, phone.address)

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        try:
            phone.start()
            with capture_rtp(phone.media_port) as heard_by_phone:
                created, conversation = await agent_dials(gateway, alice, alice_id, alice_peer, "+15557000")
                await alice.next("call.established", timeout=15)
                done = await alice.next("call.transfer", where=lambda f: f["state"] != "TRANSFERRING", timeout=10)
                assert done["state"] == "TRANSFERRED", done
                assert (await alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
                offered = await bob.next("call.incoming", timeout=10)
                assert offered["offer"]["caller"] == "+15557000" and offered["offer"]["queueId"] == sales, offered
                await bob.send({"type": "call.accept", "callId": offered["callId"],
                                "sdp": await bob_peer.answer(offered["sdp"])})
                await bob.next("call.established", timeout=15)
                await asyncio.sleep(2)
                assert abs(bob_peer.dominant_frequency() - 784) < 15, bob_peer.dominant_frequency()
                await bob.send({"type": "call.hangup", "callId": offered["callId"]})
                result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert notified(result) == [("SIP/2.0 100 Trying", "active"), ("SIP/2.0 200 OK", "terminated")]
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, BOB], heard
            record = gateway.request("GET", f"/ccaas/1/conversations/{conversation}")
            assert (record["agentId"], record["queueId"]) == (bob_id, sales), record
        finally:
            phone.stop()
            await close_all(alice_peer, bob_peer, alice, bob)

    asyncio.run(scenario())
