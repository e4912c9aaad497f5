"""Supervisor monitoring with real media: an aiortc customer (440 Hz) talks to Alice (an aiortc
agent, 660 Hz); Sam, a supervisor (aiortc, 1200 Hz), listens in over signaling, whispers to
Alice, barges in over REST, then stops. In each mode every party must hear exactly whom the
mode says (tones found or not found in what each one hears), and the customer's stream goes on
without a gap from relay to conference and back. Every error of the monitor route is checked
on the way. Loopback only."""

import asyncio

from peers import (Peer, Signaling, answer_next_call, assert_hears, close_all, listen_a_while, start_customer_call,
                   wait_for)

CUSTOMER, ALICE, SAM = 440, 660, 1200


def hears(peer, since, present, absent):
    assert_hears(peer, since, present, absent)


def monitor(gateway, conversation, body, agent=None):
    return gateway.request_raw("PATCH", f"/ccaas/voice/2/conversation/{conversation}/monitor", body, agent=agent)


async def customer_talks_to_alice(gateway, alice, alice_peer, identity):
    """An aiortc customer's call, answered by Alice: (signaling, customer, conversation, callId)."""
    signaling, customer, created = await start_customer_call(gateway, identity)
    incoming = await answer_next_call(alice, alice_peer)
    return signaling, customer, created["conversationId"], incoming["callId"]


def test_a_supervisor_listens_whispers_barges_and_stops(gateway):
    alice_id, sam_id = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]

    async def scenario():
        alice, sam = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, sam_id)
        alice_peer, sam_peer = Peer(ALICE), Peer(SAM)
        signaling, customer = None, None
        try:
            signaling, customer, conversation, call_id = await customer_talks_to_alice(
                gateway, alice, alice_peer, "customer-monitored")
            assert await wait_for(lambda: customer.frames > 50 and alice_peer.frames > 50, timeout=10)

            # Refusals, each with its reason.
            status, reply = monitor(gateway, conversation, {"supervisorId": alice_id, "mode": "LISTEN"})
            assert (status, reply["message"]) == (403, f"Agent {alice_id} is not a supervisor."), reply
            status, reply = monitor(gateway, conversation, {"supervisorId": "nobody", "mode": "LISTEN"})
            assert (status, reply["message"]) == (404, "Supervisor nobody not found."), reply
            status, reply = monitor(gateway, conversation, {"supervisorId": sam_id, "mode": "SPY"})
            assert status == 400 and "mode" in reply["message"], reply
            status, reply = monitor(gateway, conversation, {"supervisorId": sam_id, "mode": "LISTEN"},
                                    agent=alice_id)
            assert status == 403, reply
            other = gateway.request("POST", "/ccaas/1/conversations", {"topic": "no call"})["id"]
            status, reply = monitor(gateway, other, {"supervisorId": sam_id, "mode": "LISTEN"})
            assert (status, reply["message"]) == (412, "Conference is missing for given conversationId."), reply
            await alice.send({"type": "call.monitor", "callId": call_id, "mode": "LISTEN", "id": "a1"})
            refused = await alice.next("error", where=lambda f: f.get("id") == "a1")
            assert refused["code"] == "FORBIDDEN", refused

            # Sam listens: hears both; heard by nobody.
            await sam.send({"type": "call.monitor", "callId": call_id, "mode": "LISTEN", "id": "m1"})
            offer = await sam.next("call.incoming", timeout=10)
            assert offer["customData"]["monitor"] == {"mode": "LISTEN", "agentId": alice_id}, offer
            await sam.send({"type": "call.accept", "callId": call_id, "sdp": await sam_peer.answer(offer["sdp"])})
            await sam.next("ack", where=lambda f: f.get("id") == "m1")
            await sam.next("call.established", timeout=15)
            assert await wait_for(lambda: sam_peer.frames > 50, timeout=10)
            since = await listen_a_while(customer, alice_peer, sam_peer)
            hears(sam_peer, since[2], [CUSTOMER, ALICE], [SAM])
            hears(customer, since[0], [ALICE], [SAM, CUSTOMER])
            hears(alice_peer, since[1], [CUSTOMER], [SAM, ALICE])

            # Sam whispers: Alice hears Sam, the customer does not.
            await sam.send({"type": "call.monitor", "callId": call_id, "mode": "WHISPER", "id": "m2"})
            await sam.next("ack", where=lambda f: f.get("id") == "m2")
            since = await listen_a_while(customer, alice_peer, sam_peer)
            hears(alice_peer, since[1], [CUSTOMER, SAM], [ALICE])
            hears(customer, since[0], [ALICE], [SAM, CUSTOMER])
            hears(sam_peer, since[2], [CUSTOMER, ALICE], [SAM])

            # Sam barges in (over REST): everyone hears the other two.
            status, reply = monitor(gateway, conversation, {"supervisorId": sam_id, "mode": "BARGE"})
            assert (status, reply) == (200, {"status": "SUCCESS", "message": "Monitoring started."}), reply
            since = await listen_a_while(customer, alice_peer, sam_peer)
            hears(customer, since[0], [ALICE, SAM], [CUSTOMER])
            hears(alice_peer, since[1], [CUSTOMER, SAM], [ALICE])
            hears(sam_peer, since[2], [CUSTOMER, ALICE], [SAM])
            await sam.send({"type": "supervisor.snapshot", "id": "s1"})
            snapshot = await sam.next("supervisor.snapshot", where=lambda f: f.get("id") == "s1")
            call = next(c for c in snapshot["calls"] if c["callId"] == call_id)
            assert call["monitors"] == [{"supervisorId": sam_id, "mode": "BARGE", "joined": True}], call

            # Sam stops: told so, and the two parties are alone again.
            status, reply = gateway.request_raw(
                "DELETE", f"/ccaas/voice/2/conversation/{conversation}/monitor/{sam_id}")
            assert (status, reply["message"]) == (200, "Monitoring stopped."), reply
            hangup = await sam.next("call.hangup", timeout=5)
            assert hangup["callId"] == call_id, hangup
            status, reply = gateway.request_raw(
                "DELETE", f"/ccaas/voice/2/conversation/{conversation}/monitor/{sam_id}")
            assert status == 412, reply
            since = await listen_a_while(customer, alice_peer)
            hears(customer, since[0], [ALICE], [SAM, CUSTOMER])
            hears(alice_peer, since[1], [CUSTOMER], [SAM, ALICE])
            assert await customer.audio_packets_lost() == [0], "relay, conference and relay are one stream"
            assert await alice_peer.audio_packets_lost() == [0]
        finally:
            await close_all(customer, alice_peer, sam_peer, signaling, alice, sam)

    asyncio.run(scenario())


def test_monitoring_ends_with_the_call(gateway):
    alice_id, sam_id = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]

    async def scenario():
        alice, sam = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, sam_id)
        alice_peer, sam_peer = Peer(ALICE), Peer(SAM)
        signaling, customer = None, None
        try:
            signaling, customer, conversation, call_id = await customer_talks_to_alice(
                gateway, alice, alice_peer, "customer-monitored-2")
            status, reply = monitor(gateway, conversation, {"supervisorId": sam_id, "mode": "BARGE"})
            assert status == 200, reply
            offer = await sam.next("call.incoming", timeout=10)
            await sam.send({"type": "call.accept", "callId": call_id, "sdp": await sam_peer.answer(offer["sdp"])})
            await sam.next("call.established", timeout=15)
            assert await wait_for(lambda: sam_peer.frames > 50, timeout=10)
            await signaling.send({"type": "call.hangup", "callId": call_id})
            hangup = await sam.next("call.hangup", timeout=5)
            assert hangup["errorCode"]["description"] == "The monitored call ended.", hangup
            await alice.next("call.hangup", timeout=5)
        finally:
            await close_all(customer, alice_peer, sam_peer, signaling, alice, sam)

    asyncio.run(scenario())


def test_a_supervisor_barges_in_on_a_phone_call(gateway):
    """A SIPp phone (PCMU, 440 Hz) talks to Alice; Sam barges in: the phone's G.711 is mixed with
    two browsers' Opus. The phone hears Alice, then Alice and Sam; Alice and Sam each hear the
    other two."""
    import numpy as np

    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    alice_id, sam_id = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]
    phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(CUSTOMER, 20.0),
                 keys={"offer_formats": "0 101"}, variables={"wait_bye": True}, timeout=40)
    add_trunk(gateway, phone.address, codecs=["PCMU"])

    def levels(samples):
        x = np.asarray(samples, dtype=np.float64)
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        spectrum[:5] = 0

        def level(f):
            index = int(round(f * len(x) / 8000))
            return float(spectrum[index - 3:index + 4].max()) / float(spectrum.max())

        return {f: level(f) for f in (ALICE, SAM)}

    async def scenario():
        alice, sam = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, sam_id)
        alice_peer, sam_peer = Peer(ALICE), Peer(SAM)
        try:
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                incoming = await answer_next_call(alice, alice_peer)
                await asyncio.sleep(2)
                status, reply = monitor(gateway, incoming["conversationId"], {"supervisorId": sam_id, "mode": "BARGE"})
                assert status == 200, reply
                offer = await sam.next("call.incoming", timeout=10)
                await sam.send({"type": "call.accept", "callId": incoming["callId"],
                                "sdp": await sam_peer.answer(offer["sdp"])})
                await sam.next("call.established", timeout=15)
                since = await listen_a_while(alice_peer, sam_peer, frames=150)
                assert_hears(alice_peer, since[0], [CUSTOMER, SAM], [ALICE])
                assert_hears(sam_peer, since[1], [CUSTOMER, ALICE], [SAM])
                await alice.send({"type": "call.hangup", "callId": incoming["callId"]})
                result = await asyncio.to_thread(phone.wait, 20)
            result.assert_ok()
            audio = heard_by_phone.samples()
            before, after = levels(audio[1600:12800]), levels(audio[-20000:-4000])
            assert before[ALICE] > 0.2 and before[SAM] < 0.02, before
            assert after[ALICE] > 0.2 and after[SAM] > 0.2, after
        finally:
            phone.stop()
            await close_all(alice_peer, sam_peer, alice, sam)

    asyncio.run(scenario())
