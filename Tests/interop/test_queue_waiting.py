"""Callers wait in the queue while every signed-in agent is busy, and are answered in order of
arrival as agents free up: an aiortc customer and a SIPp phone (PCMA), tones checked both ways
after each answer. Loopback only."""

import asyncio

import pytest

from peers import Peer, Signaling, start_customer_call, wait_for
from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
from test_sip_trunks import NUMBER, add_trunk


@pytest.fixture(autouse=True)
def sip_peers_present():
    require_sipp()
    require_tshark()


def call_state(gateway, conversation_id):
    return gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation_id}")["elements"][0]["state"]


async def answer(signaling, peer, incoming):
    await signaling.send({"type": "call.accept", "callId": incoming["callId"], "sdp": await peer.answer(incoming["sdp"])})
    await signaling.next("call.established", timeout=15)


def test_callers_wait_while_agents_are_busy_and_are_answered_in_order(gateway):
    async def scenario():
        alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        alice_peers = [Peer(660), Peer(660)]
        bob_peer = Peer(550)
        first = second = bob = None
        phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                     tone=(440, 6.0), keys={"offer_formats": "8 101"}, timeout=90)
        add_trunk(gateway, phone.address, codecs=["PCMA"])
        try:
            # Alice takes the first customer's call.
            first = await start_customer_call(gateway, "customer-first")
            await answer(alice, alice_peers[0], await alice.next("call.incoming"))

            # Alice is busy: the second customer, then the phone, wait instead of being refused.
            second = await start_customer_call(gateway, "customer-second")
            await asyncio.sleep(1.5)
            assert not [f for f in second[0].frames if f["type"] == "call.hangup"], second[0].frames
            assert call_state(gateway, second[2]["conversationId"]) == "CALLING"
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                await asyncio.sleep(1.5)
                if not phone.running():
                    pytest.fail("the phone left instead of waiting:\n" + phone.wait().report())
                assert not [f for f in alice.frames if f["type"] == "call.incoming"], "nobody is offered a waiting call"

                # Alice hangs up and clears her wrap-up: the customer who waited longest is offered to her.
                await first[0].send({"type": "call.hangup", "callId": first[2]["callId"]})
                await alice.next("call.hangup")
                await alice.next("wrapup.started")
                await alice.send({"type": "wrapup.clear", "id": "w1"})
                incoming = await alice.next("call.incoming", timeout=10)
                assert incoming["callId"] == second[2]["callId"], "arrival order: the earlier caller first"
                await answer(alice, alice_peers[1], incoming)
                await second[0].next("call.established", timeout=15)
                assert await wait_for(lambda: second[1].frames > 100 and alice_peers[1].frames > 100, timeout=15)
                assert abs(second[1].dominant_frequency() - 660) < 15, second[1].dominant_frequency()
                assert abs(alice_peers[1].dominant_frequency() - 440) < 15, alice_peers[1].dominant_frequency()

                # Bob signs in: the phone, still waiting, is offered to him and both hear each other.
                bob = await Signaling.connect(gateway, bob_id)
                offered = await bob.next("call.incoming", timeout=10)
                assert offered["customData"]["calledNumber"] == NUMBER
                await answer(bob, bob_peer, offered)
                assert await wait_for(lambda: bob_peer.frames > 100, timeout=15)
                heard_by_bob = bob_peer.dominant_frequency(seconds=1.5)
                await bob.next("call.hangup", timeout=20)
                result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert abs(heard_by_bob - 440) < 15, heard_by_bob
            assert heard_by_phone.payload_types() == [8], heard_by_phone.payload_types()
            assert abs(heard_by_phone.dominant_frequency() - 550) < 15, heard_by_phone.dominant_frequency()
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={offered['conversationId']}")
            assert calls["elements"][0]["agentId"] == bob_id and calls["elements"][0]["state"] == "FINISHED"
        finally:
            phone.stop()
            for peer in alice_peers + [bob_peer] + [c[1] for c in (first, second) if c]:
                await peer.close()
            for s in [alice, bob] + [c[0] for c in (first, second) if c]:
                if s:
                    await s.close()

    asyncio.run(scenario())
