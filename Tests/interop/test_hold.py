"""Hold between two WebRTC parties (aiortc both sides) over signaling and Infobip's REST hold:
while held the holder hears nothing and the held party hears the hold music (a 900 Hz tone
configured as the default hold music), the other party's tone comes back after, and the
receivers report no lost packets (one stream across music and pauses). Loopback only."""

import asyncio

import numpy as np

from audio_files import add_hold_music, runs
from peers import Peer, Signaling, answer_next_call, start_customer_call, wait_for


def test_hold_and_resume_between_two_webrtc_parties(gateway):
    add_hold_music(gateway, 900)

    async def scenario():
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        agent = Peer(660)
        signaling, customer, created = await start_customer_call(gateway, "customer-held")
        try:
            await answer_next_call(alice, agent)
            assert await wait_for(lambda: customer.frames > 100 and agent.frames > 100, timeout=15)

            # The agent holds over signaling: the customer is told and hears the hold music; the
            # agent hears nothing.
            await alice.send({"type": "call.hold", "id": "h1", "callId": created["callId"], "hold": True})
            await alice.next("ack", where=lambda f: f.get("id") == "h1")
            assert (await signaling.next("call.held"))["held"] is True
            await asyncio.sleep(0.5)
            heard = (customer.frames, agent.frames)
            await asyncio.sleep(2.5)
            assert agent.frames - heard[1] < 5, (heard, agent.frames)
            assert customer.frames - heard[0] > 100, "the held customer hears the music"
            music = runs(np.concatenate([s for _, s in customer.heard[heard[0]:]]), customer.heard[0][0], [660, 900])
            assert [tone for tone, _ in music] == [900], music
            # The customer cannot resume a hold the agent made.
            await signaling.send({"type": "call.hold", "id": "c1", "callId": created["callId"], "hold": False})
            refused = await signaling.next("error")
            assert refused["id"] == "c1" and "held by the other party" in refused["message"], refused

            # Infobip's REST unhold resumes: the tones come back, and no packet counts as lost.
            status, reply = gateway.request_raw("PATCH", f"/ccaas/voice/2/{created['conversationId']}/unhold")
            assert status == 200 and reply == {"status": "SUCCESS", "message": "Unhold action successful."}, reply
            assert (await signaling.next("call.held"))["held"] is False
            resumed = (customer.frames, agent.frames)
            # Right after the resume the timestamps have moved on by the 3 s held: a receiver's
            # jitter (which a frozen or stale timestamp would throw up by ~9000) stays low.
            assert await wait_for(lambda: customer.frames > resumed[0] + 3 and agent.frames > resumed[1] + 3, timeout=10)
            for jitter in (await customer.audio_jitter()) + (await agent.audio_jitter()):
                assert jitter < 2400, f"jitter {jitter} (48 kHz units) right after the resume"
            assert await wait_for(lambda: customer.frames > resumed[0] + 75 and agent.frames > resumed[1] + 75,
                                  timeout=10)
            assert abs(customer.dominant_frequency() - 660) < 15, customer.dominant_frequency()
            assert abs(agent.dominant_frequency() - 440) < 15, agent.dominant_frequency()
            for lost in (await customer.audio_packets_lost()) + (await agent.audio_packets_lost()):
                assert lost <= 2, f"a sequence jump across the hold counted as {lost} lost packets"

            # REST hold too; a conversation without an established call is 404.
            status, reply = gateway.request_raw("PATCH", f"/ccaas/voice/2/{created['conversationId']}/hold")
            assert status == 200 and reply["message"] == "Hold action successful."
            assert (await signaling.next("call.held"))["held"] is True
            status, reply = gateway.request_raw("PATCH", f"/ccaas/voice/2/{created['conversationId']}/unhold")
            assert status == 200 and (await signaling.next("call.held"))["held"] is False
            # The customer holds; the agent's REST unhold is refused with Infobip's text and why.
            await signaling.send({"type": "call.hold", "id": "c2", "callId": created["callId"], "hold": True})
            await signaling.next("ack", where=lambda f: f.get("id") == "c2")
            status, reply = gateway.request_raw("PATCH", f"/ccaas/voice/2/{created['conversationId']}/unhold")
            assert status == 400 and reply["status"] == "ERROR", (status, reply)
            assert reply["message"].startswith("Unhold action failed.") and "other party" in reply["message"], reply
            other = gateway.request("POST", "/ccaas/1/conversations", {"topic": "no call"})
            status, reply = gateway.request_raw("PATCH", f"/ccaas/voice/2/{other['id']}/hold")
            assert status == 404 and reply == {"status": "ERROR", "message": "Not Found."}, (status, reply)
        finally:
            await customer.close()
            await agent.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())
