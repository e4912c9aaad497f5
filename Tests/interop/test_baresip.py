"""baresip, a real SIP phone, calling through the gateway and being called by an agent, with
the tones each side hears checked by frequency. Loopback only."""

import asyncio

import pytest

from peers import Peer, Signaling, wait_for
from sip_peers import Baresip, require_baresip
from test_sip_trunks import NUMBER, add_trunk, agent_dials


@pytest.fixture(autouse=True)
def baresip_present():
    require_baresip()


def test_baresip_calls_the_number_and_dials_back_from_an_agent(gateway):
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        phone = Baresip("15557100", tone_hz=660, tone_seconds=30).start()
        agent = Peer(440)
        try:
            trunk = add_trunk(gateway, f"127.0.0.1:{phone.port}")
            # The phone calls the number; the agent answers; each hears the other.
            phone.dial(f"sip:{NUMBER}@127.0.0.1:{gateway.sip_port}")
            incoming = await alice.next("call.incoming", timeout=10)
            await alice.send({"type": "call.accept", "callId": incoming["callId"], "sdp": await agent.answer(incoming["sdp"])})
            await alice.next("call.established", timeout=15)
            await asyncio.to_thread(phone.wait_event, "CALL_ESTABLISHED", 10)
            assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
            await asyncio.sleep(1.0)
            heard_by_agent = agent.dominant_frequency(seconds=1.5)
            await alice.send({"type": "call.hangup", "callId": incoming["callId"]})
            await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10)
            assert abs(heard_by_agent - 660) < 15, heard_by_agent
            heard_by_phone = phone.heard_frequency()
            assert heard_by_phone and abs(heard_by_phone - 440) < 15, heard_by_phone
            await agent.close()

            # The agent dials the phone (the trunk points at it); baresip answers by itself.
            agent = Peer(523)
            created, _ = await agent_dials(gateway, alice, alice_id, agent, "15557100")
            await alice.next("call.established", timeout=15)
            assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
            await asyncio.sleep(1.0)
            heard_by_agent = agent.dominant_frequency(seconds=1.5)
            await alice.send({"type": "call.hangup", "callId": created["callId"]})
            await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10)
            assert abs(heard_by_agent - 660) < 15, heard_by_agent
            heard_by_phone = phone.heard_frequency()
            assert heard_by_phone and abs(heard_by_phone - 523) < 15, heard_by_phone
            assert trunk["id"]
        finally:
            phone.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def test_an_opus_trunk_carries_opus_without_transcoding(gateway):
    """A trunk whose codecs say OPUS first: baresip answers with Opus, the gateway relays the
    browser's Opus as it is (no transcoding), and each side hears the other's tone."""
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        phone = Baresip("15557300", tone_hz=784, tone_seconds=30, codecs="opus",
                        extra_config="module\t\t\topus.so\n").start()
        agent = Peer(523)
        try:
            add_trunk(gateway, f"127.0.0.1:{phone.port}", codecs=["OPUS", "PCMU"])
            created, _ = await agent_dials(gateway, alice, alice_id, agent, "15557300")
            await alice.next("call.established", timeout=15)
            assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
            await asyncio.sleep(1.0)
            heard_by_agent = agent.dominant_frequency(seconds=1.5)
            await alice.send({"type": "call.hangup", "callId": created["callId"]})
            await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10)
            assert "opus/48000" in phone.log.lower(), "baresip negotiated Opus"
            assert abs(heard_by_agent - 784) < 15, heard_by_agent
            heard_by_phone = phone.heard_frequency()
            assert heard_by_phone and abs(heard_by_phone - 523) < 15, heard_by_phone
        finally:
            phone.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())
