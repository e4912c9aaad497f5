"""Callbacks with real peers: a SIPp phone caller waits, presses 1 during the announcement (RFC
4733), hears the confirmation and gets a BYE; when the agent frees up, the gateway dials the
customer back through the trunk (a second SIPp, answering), rings the agent once the customer
answered, and the two hear each other's tones. Loopback only."""

import asyncio

from audio_files import runs, upload, wav_bytes
from peers import Peer, wait_for
from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
from test_sip_trunks import NUMBER, add_trunk
from test_waiting_strategy import busy_agent, file_option

MUSIC, ANNOUNCEMENT, CONFIRMATION, CUSTOMER, AGENT = 800, 1200, 300, 440, 660


def add_callback_strategy(gateway):
    """Music (a 1 s loop), a 1 s announcement every 2 s that takes the key 1 (and for 2 s after
    it) for a callback, and a 0.8 s confirmation."""
    music = upload(gateway, "music", wav_bytes(MUSIC, 1.0, 16000))
    announcement = upload(gateway, "press-1", wav_bytes(ANNOUNCEMENT, 1.0, 8000))
    confirmation = upload(gateway, "we-call-you", wav_bytes(CONFIRMATION, 0.8, 16000))
    announcement_option = dict(
        file_option(announcement), repeatInterval={"unit": "SECONDS", "value": 2},
        collectables=[{"code": "1", "action": "CALLBACK", "value": "callback"}],
        collectDuration={"unit": "SECONDS", "value": 2})
    return gateway.request("POST", "/ccaas/voice/2/waiting-strategies", {
        "name": "callback", "conditionType": "QUEUE", "condition": {"queues": ["default"]},
        "maximumWaitTime": {"unit": "SECONDS", "value": 60},
        "musicOnHold": {"enabled": True, "fileAudioSource": {"fileDescriptor": music}},
        "announcementMessage": announcement_option,
        "callbackConfirmationMessage": file_option(confirmation),
    })


def test_a_phone_caller_presses_1_and_is_called_back_when_the_agent_is_free(gateway):
    require_sipp()
    require_tshark()
    add_callback_strategy(gateway)

    async def scenario():
        alice = await busy_agent(gateway)
        customer_phone = Sipp("uas_answer", tone=(CUSTOMER, 8.0), codec="PCMA", variables={"ring_ms": 300},
                              timeout=60)
        # The key goes 2.7 s after the answer: during the first announcement (2-3 s).
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                      tone=(CUSTOMER, 2.6), dtmf="1", keys={"offer_formats": "8 101"},
                      variables={"bye_after_dtmf": True}, timeout=30)
        add_trunk(gateway, customer_phone.address, codecs=["PCMA"])
        agent = Peer(AGENT)
        try:
            customer_phone.start()
            with capture_rtp(caller.media_port) as heard_by_caller:
                caller.start()
                asked = await asyncio.to_thread(caller.wait)
            asked.assert_ok()
            heard = [run for run in runs(heard_by_caller.samples(), 8000, [MUSIC, ANNOUNCEMENT, CONFIRMATION])]
            tones = [tone for tone, _ in heard if tone != "-"]
            assert tones[:2] == [MUSIC, ANNOUNCEMENT], heard
            assert tones[-1] == CONFIRMATION and ANNOUNCEMENT not in tones[tones.index(CONFIRMATION):], heard
            confirmation = [seconds for tone, seconds in heard if tone == CONFIRMATION]
            assert len(confirmation) == 1 and abs(confirmation[0] - 0.8) <= 0.2, heard
            pending = gateway.request("GET", "/ccaas/voice/2/callbacks?status=PENDING")
            assert pending["total"] == 1, pending
            request = pending["elements"][0]
            assert request["customer"] == "sipp" and request["keys"] == "1" and request["callerId"] == NUMBER, request
            first_call = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={request['conversationId']}")
            assert first_call["elements"][0]["hangupCode"]["name"] == "CALLBACK_REQUESTED", first_call

            with capture_rtp(customer_phone.media_port) as heard_by_customer:
                await alice.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "free"})
                incoming = await alice.next("call.incoming", timeout=20)
                assert incoming["customData"]["callback"] is True, incoming
                assert incoming["conversationId"] == request["conversationId"], "the same conversation goes on"
                await alice.send({"type": "call.accept", "callId": incoming["callId"],
                                  "sdp": await agent.answer(incoming["sdp"])})
                await alice.next("call.established", timeout=15)
                assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
                heard_by_agent = agent.dominant_frequency(seconds=1.5)
                await alice.send({"type": "call.hangup", "callId": incoming["callId"]})
                called_back = await asyncio.to_thread(customer_phone.wait, 20)
            called_back.assert_ok()
            assert abs(heard_by_agent - CUSTOMER) < 15, heard_by_agent
            assert heard_by_customer.payload_types() == [8], heard_by_customer.payload_types()
            assert abs(heard_by_customer.dominant_frequency() - AGENT) < 15, heard_by_customer.dominant_frequency()
            invite = next(m for m in called_back.received() if m.method == "INVITE")
            assert "sip:sipp@" in invite.first_line, invite.first_line
            assert NUMBER in invite.text.split("From:")[1].split("\n")[0], "from the number the customer called"
            done = gateway.request("GET", "/ccaas/voice/2/callbacks?status=COMPLETED")
            assert done["total"] == 1 and done["elements"][0]["attempts"] == 1, done
        finally:
            caller.stop()
            customer_phone.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())
