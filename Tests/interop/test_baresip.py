"""baresip, a real SIP phone, calling through the gateway and being called by an agent, with
the tones each side hears checked by frequency. Loopback only."""

import asyncio

import pytest

from peers import Peer, Signaling, answer_next_call, wait_for
from sip_peers import Baresip, require_baresip
from test_sip_trunks import NUMBER, add_trunk, agent_dials


@pytest.fixture(autouse=True)
def baresip_present():
    require_baresip()


async def phone_calls_agent(signaling, phone, uri, agent_tone=440):
    """`phone` dials `uri`; the agent signed in on `signaling` answers with `agent_tone`; each hears
    the other's tone; the agent hangs up."""
    agent = Peer(agent_tone)
    try:
        phone.dial(uri)
        incoming = await answer_next_call(signaling, agent)
        await asyncio.to_thread(phone.wait_event, "CALL_ESTABLISHED", 10)
        await hear_each_other(signaling, incoming["callId"], agent, agent_tone, phone)
    finally:
        await agent.close()


async def agent_calls_phone(gateway, signaling, agent_id, phone, number, agent_tone=523):
    """The agent dials `number` through the trunk to `phone`, which answers by itself; each hears
    the other's tone; the agent hangs up."""
    agent = Peer(agent_tone)
    try:
        created, _ = await agent_dials(gateway, signaling, agent_id, agent, number)
        await signaling.next("call.established", timeout=15)
        await hear_each_other(signaling, created["callId"], agent, agent_tone, phone)
    finally:
        await agent.close()


async def hear_each_other(signaling, call_id, agent, agent_tone, phone):
    assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
    await asyncio.sleep(1.0)
    heard_by_agent = agent.dominant_frequency(seconds=1.5)
    await signaling.send({"type": "call.hangup", "callId": call_id})
    await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10)
    assert abs(heard_by_agent - phone.tone_hz) < 15, heard_by_agent
    heard_by_phone = phone.heard_frequency()
    assert heard_by_phone and abs(heard_by_phone - agent_tone) < 15, heard_by_phone


def test_baresip_calls_the_number_and_dials_back_from_an_agent(gateway):
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        phone = Baresip("15557100", tone_hz=660, tone_seconds=30).start()
        try:
            trunk = add_trunk(gateway, f"127.0.0.1:{phone.port}")
            # The phone calls the number; the agent answers; each hears the other.
            await phone_calls_agent(alice, phone, f"sip:{NUMBER}@127.0.0.1:{gateway.sip_port}")
            # The agent dials the phone (the trunk points at it); baresip answers by itself.
            await agent_calls_phone(gateway, alice, alice_id, phone, "15557100")
            assert trunk["id"]
        finally:
            phone.stop()
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
        try:
            add_trunk(gateway, f"127.0.0.1:{phone.port}", codecs=["OPUS", "PCMU"])
            await agent_calls_phone(gateway, alice, alice_id, phone, "15557300")
            assert "opus/48000" in phone.log.lower(), "baresip negotiated Opus"
        finally:
            phone.stop()
            await alice.close()

    asyncio.run(scenario())
