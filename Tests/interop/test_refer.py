"""SIP REFER from a trunk (RFC 3515) with SIPp as the phone: a caller talking to Alice asks the
gateway to move it into the Sales queue (Refer-To: the queue's id); it gets 202, a NOTIFY with
100 Trying and a final one with 200 OK, and is answered by Bob, who hears its tone while it hears
Alice, then Bob. A Refer-To naming nothing here gets 404 and the call goes on. Loopback only."""

import asyncio

from audio_files import runs
from peers import Peer, Signaling

CUSTOMER, ALICE, BOB = 440, 660, 880


def phone_and_queue(gateway, refer_to=None):
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
    add_trunk(gateway, phone.address, codecs=["PCMA"], numbers=[{"number": NUMBER, "queueId": support}])
    return phone, sales


async def alice_answers(alice, alice_peer):
    incoming = await alice.next("call.incoming", timeout=10)
    await alice.send({"type": "call.accept", "callId": incoming["callId"],
                      "sdp": await alice_peer.answer(incoming["sdp"])})
    await alice.next("call.established", timeout=15)
    return incoming


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
                incoming = await alice_answers(alice, alice_peer)
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
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, BOB], heard
            assert len({p.ssrc for p in heard_by_phone.audio_packets()}) == 1, "one stream throughout"
            conversation = gateway.request("GET", f"/ccaas/1/conversations/{incoming['conversationId']}")
            assert conversation["agentId"] == bob_id and conversation["queueId"] == sales, conversation
        finally:
            phone.stop()
            for closable in (alice_peer, bob_peer, alice, bob):
                await closable.close()

    asyncio.run(scenario())


def test_a_refer_to_nothing_known_gets_404_and_the_call_goes_on(gateway):
    alice_id = gateway.agents["Alice Agent"]
    phone, _ = phone_and_queue(gateway, refer_to="no-such-queue")

    async def scenario():
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        try:
            phone.start()
            incoming = await alice_answers(alice, alice_peer)
            await asyncio.sleep(3.5)
            frames = alice_peer.frames
            await asyncio.sleep(1)
            assert alice_peer.frames > frames + 25, "the phone is still heard after its refused REFER"
            assert not [f for f in alice.frames if f.get("type") == "call.transfer"], alice.frames
            await alice.send({"type": "call.hangup", "callId": incoming["callId"]})
            result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert 404 in result.statuses_received(), result.statuses_received()
        finally:
            phone.stop()
            await alice_peer.close()
            await alice.close()

    asyncio.run(scenario())
