"""Calls between phones on a SIP trunk (SIPp, baresip) and aiortc agents through the gateway:
tones checked both ways after G.711 <-> Opus transcoding, DTMF both ways, the SIP failure
cases and digest authentication. Loopback only."""

import asyncio

import pytest

from peers import Peer, Signaling
from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark

NUMBER = "+15550100"


@pytest.fixture(autouse=True)
def sip_peers_present():
    require_sipp()
    require_tshark()


def add_trunk(gateway, destination, **fields):
    """A trunk to `destination` ("host:port") whose number routes to the demo queue."""
    queue = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]
    body = {"name": fields.pop("name", "sipp"), "destinationHosts": [destination],
            "numbers": [{"number": NUMBER, "queueId": queue}], "defaultCallerId": NUMBER}
    body.update(fields)
    status, reply = gateway.post_trunk(body)
    assert status == 201, reply
    return reply


async def wait_for(predicate, timeout=10):
    for _ in range(int(timeout * 20)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_a_phone_calls_a_number_and_talks_to_an_agent(gateway):
    """SIPp dials the number: the agent is offered the call, answers, both hear each other's
    tone through the transcoder, and SIPp's DTMF digits reach the agent as call.dtmf."""
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        signaling = await Signaling.connect(gateway, alice)
        agent = Peer(660)
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 4.0), dtmf="19#")
        add_trunk(gateway, caller.address)
        try:
            with capture_rtp(caller.media_port) as heard_by_phone:
                caller.start()
                incoming = await signaling.next("call.incoming", timeout=10)
                assert incoming["counterpart"]["identity"] == "sipp"
                assert incoming["customData"]["calledNumber"] == NUMBER
                await signaling.send({"type": "call.accept", "callId": incoming["callId"],
                                      "sdp": await agent.answer(incoming["sdp"])})
                await signaling.next("call.established", timeout=15)
                digits = []
                for _ in range(3):
                    digits.append((await signaling.next("call.dtmf", timeout=15))["digit"])
                assert digits == ["1", "9", "#"]
                assert agent.frames > 100, agent.frames
                heard_by_agent = agent.dominant_frequency(seconds=1.5)
                hangup = await signaling.next("call.hangup", timeout=20)
                assert hangup["errorCode"]["name"] == "NORMAL_HANGUP"
                result = await asyncio.to_thread(caller.wait)
            result.assert_ok()
            assert abs(heard_by_agent - 440) < 15, heard_by_agent
            assert heard_by_phone.packet_count > 100, heard_by_phone.packet_count
            assert heard_by_phone.payload_types() == [0], heard_by_phone.payload_types()
            assert abs(heard_by_phone.dominant_frequency() - 660) < 15, heard_by_phone.dominant_frequency()
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={incoming['conversationId']}")
            assert calls["elements"][0]["state"] == "FINISHED"
            assert calls["elements"][0]["agentId"] == alice
        finally:
            caller.stop()
            await agent.close()
            await signaling.close()

    asyncio.run(scenario())
