"""WebRTC calls through the gateway between aiortc peers, with audio checked by frequency."""

import asyncio

from peers import Peer, Signaling


async def wait_for(predicate, timeout=10):
    for _ in range(int(timeout * 20)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_customer_calls_the_center_and_talks_to_an_agent(gateway):
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        agent_signaling = await Signaling.connect(gateway, alice)
        customer_signaling = await Signaling.connect(gateway, "customer-42")
        customer = Peer(440)
        agent = Peer(660)
        try:
            await customer_signaling.send({"type": "call.start", "id": "c1", "sdp": await customer.offer(), "customData": {}})
            created = await customer_signaling.next("call.created")
            await customer.accept_answer(created["sdp"])
            incoming = await agent_signaling.next("call.incoming")
            assert incoming["counterpart"]["identity"] == "customer-42"
            assert incoming["conversationId"] == created["conversationId"]
            await customer_signaling.next("call.ringing")
            await agent_signaling.send({"type": "call.accept", "id": "a1", "callId": incoming["callId"],
                                        "sdp": await agent.answer(incoming["sdp"])})
            await agent_signaling.next("call.established", timeout=15)
            await customer_signaling.next("call.established", timeout=15)

            # Both directions carry audio: each side hears the other's tone.
            assert await wait_for(lambda: customer.frames > 150 and agent.frames > 150, timeout=15), (customer.frames, agent.frames)
            heard_by_customer = customer.dominant_frequency()
            heard_by_agent = agent.dominant_frequency()
            assert abs(heard_by_customer - 660) < 15, heard_by_customer
            assert abs(heard_by_agent - 440) < 15, heard_by_agent

            conversation = gateway.request("GET", f"/ccaas/1/conversations/{created['conversationId']}")
            assert conversation["agentId"] == alice
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["state"] == "ESTABLISHED"

            await customer_signaling.send({"type": "call.hangup", "callId": created["callId"]})
            hangup = await agent_signaling.next("call.hangup")
            assert hangup["errorCode"]["id"] == 10000 and hangup["errorCode"]["name"] == "NORMAL_HANGUP"
            wrapping = gateway.request("GET", f"/ccaas/1/agents/{alice}")
            assert wrapping["availability"] == "BUSY" and wrapping["wrapUpSecondsLeft"] > 0
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["state"] == "FINISHED"
            assert calls["elements"][0]["hangupCode"]["name"] == "NORMAL_HANGUP"
        finally:
            await customer.close()
            await agent.close()
            await customer_signaling.close()
            await agent_signaling.close()

    asyncio.run(scenario())
