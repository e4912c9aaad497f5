"""Blind transfers with real media: an aiortc customer talks to Alice (an aiortc agent); Alice
transfers the call over REST to Bob; while Bob rings the customer hears the transfer strategy's
music; Bob answers: the customer and Bob hear each other's tones,
the customer's stream goes on without a gap, Alice leaves into wrap-up and the conversation is
Bob's. When Bob declines instead, the customer is back with Alice. Every error of Infobip's
transfer route is checked on the way. Loopback only."""

import asyncio

import numpy as np

from audio_files import runs, upload, wav_bytes
from peers import Peer, Signaling, answer_next_call, start_customer_call, wait_for

CUSTOMER, ALICE, BOB, TRANSFER_MUSIC = 440, 660, 880, 1000


def transfer(gateway, conversation, body, agent=None):
    return gateway.request_raw("PATCH", f"/ccaas/voice/2/conversation/{conversation}/transfer/agent", body,
                               agent=agent)


async def set_status(signaling, status):
    await signaling.send({"type": "agent.setStatus", "status": status, "id": f"status-{status}"})
    await signaling.next("ack", where=lambda f: f.get("id") == f"status-{status}")


async def alice_answers(gateway, alice, alice_peer, bob):
    """Bob is BUSY, so the customer's call rings Alice, who answers."""
    await set_status(bob, "BUSY")
    signaling, customer, created = await start_customer_call(gateway, "customer-transferred")
    incoming = await alice.next("call.incoming", timeout=10)
    offer = incoming["offer"]
    assert (offer["caller"], offer["callerType"], offer["queueName"]) == ("customer-transferred", "WEBRTC", "Support")
    assert 0 <= offer["waitedSeconds"] <= 5 and "transferredFrom" not in offer, offer
    await alice.send({"type": "call.accept", "callId": incoming["callId"],
                      "sdp": await alice_peer.answer(incoming["sdp"])})
    await signaling.next("call.established", timeout=15)
    assert await wait_for(lambda: customer.frames > 100, timeout=10)
    assert abs(customer.dominant_frequency() - ALICE) < 15
    alice.call_id = incoming["callId"]
    return signaling, customer, created["conversationId"]


def test_alice_transfers_the_customer_to_bob(gateway):
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        signaling, customer = None, None
        try:
            signaling, customer, conversation = await alice_answers(gateway, alice, alice_peer, bob)

            status, reply = transfer(gateway, conversation, {"agentId": "nobody"})
            assert (status, reply["message"]) == (404, "Destination for given transfer is not found."), reply
            status, reply = transfer(gateway, conversation, {"agentId": bob_id})
            assert status == 409, reply
            assert reply["message"] == "Given destination for transfer is currently not available.", reply
            status, reply = transfer(gateway, conversation, {})
            assert status == 400 and reply["status"] == "ERROR" and "agentId" in reply["message"], reply
            other = gateway.request("POST", "/ccaas/1/conversations", {"topic": "no call"})["id"]
            status, reply = transfer(gateway, other, {"agentId": bob_id})
            assert (status, reply["message"]) == (412, "Conference is missing for given conversationId."), reply
            status, reply = transfer(gateway, conversation, {"agentId": bob_id}, agent=bob_id)
            assert status == 403, reply

            # The transfer strategy's music (a 1 kHz file) plays while Bob rings.
            music = upload(gateway, "transfer-music", wav_bytes(TRANSFER_MUSIC, 1.0, 16000))
            gateway.request("PUT", "/ccaas/voice/2/transfer-configs/transfer-strategy", {
                "musicOnHold": {"enabled": True, "useDefault": False, "fileAudioSource": {"fileDescriptor": music}}})
            await set_status(bob, "ACTIVE")
            before = customer.frames
            # Two requests at once: one transfers, the other is refused.
            first, second = await asyncio.gather(
                asyncio.to_thread(transfer, gateway, conversation, {"agentId": bob_id}, alice_id),
                asyncio.to_thread(transfer, gateway, conversation, {"agentId": bob_id}, alice_id))
            (status, reply), (other_status, other) = sorted([first, second], key=lambda r: r[0])
            assert (status, reply) == (200, {"status": "SUCCESS", "message": "Call transferred successfully."})
            assert other_status == 409, other
            transferring = await alice.next("call.transfer", timeout=5)
            assert transferring["state"] == "TRANSFERRING", transferring
            incoming = await bob.next("call.incoming", timeout=10)
            assert incoming["customData"]["transferredFrom"] == alice_id, incoming
            assert incoming["offer"]["transferredFrom"] == {"agentId": alice_id, "displayName": "Alice Agent"}, incoming
            assert incoming["conversationId"] == conversation and incoming["counterpart"]["identity"] == \
                "customer-transferred"
            assert await wait_for(lambda: customer.frames > before + 100, timeout=10), "two seconds of ringing"
            await bob.send({"type": "call.accept", "callId": incoming["callId"],
                            "sdp": await bob_peer.answer(incoming["sdp"])})
            await bob.next("call.established", timeout=15)
            done = await alice.next("call.transfer", timeout=5)
            assert done["state"] == "TRANSFERRED", done
            hangup = await alice.next("call.hangup", timeout=5)
            assert hangup["errorCode"]["name"] == "TRANSFERRED", hangup

            assert await wait_for(lambda: bob_peer.frames > 100, timeout=10)
            answered_at = customer.frames
            assert await wait_for(lambda: customer.frames > answered_at + 75, timeout=10)
            assert abs(customer.dominant_frequency(seconds=1.0) - BOB) < 15, customer.dominant_frequency()
            assert abs(bob_peer.dominant_frequency() - CUSTOMER) < 15, bob_peer.dominant_frequency()
            rate = customer.heard[0][0]
            heard = [tone for tone, seconds in runs(np.concatenate([s for _, s in customer.heard[before:]]), rate,
                                                    [ALICE, TRANSFER_MUSIC, BOB]) if tone != "-" and seconds >= 0.5]
            assert heard[-2:] == [TRANSFER_MUSIC, BOB], f"the transfer strategy's music, then Bob: {heard}"
            assert customer.frames > before and await customer.audio_packets_lost() == [0], \
                "Alice, the transfer music and Bob are one stream to the customer"
            assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == bob_id
            alice_state = gateway.request("GET", f"/ccaas/1/agents/{alice_id}")
            assert alice_state["availability"] == "BUSY" and alice_state.get("wrapUpSecondsLeft", 0) > 0, alice_state
        finally:
            for closable in (customer, alice_peer, bob_peer):
                if closable:
                    await closable.close()
            for connection in (signaling, alice, bob):
                if connection:
                    await connection.close()

    asyncio.run(scenario())


def test_when_bob_declines_the_customer_is_back_with_alice(gateway):
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer = Peer(ALICE)
        signaling, customer = None, None
        try:
            signaling, customer, conversation = await alice_answers(gateway, alice, alice_peer, bob)
            await set_status(bob, "ACTIVE")
            status, reply = transfer(gateway, conversation, {"agentId": bob_id})
            assert status == 200, reply
            incoming = await bob.next("call.incoming", timeout=10)
            await bob.send({"type": "call.decline", "callId": incoming["callId"]})
            failed = await alice.next("call.transfer", where=lambda f: f["state"] != "TRANSFERRING", timeout=10)
            assert failed["state"] == "TRANSFER_FAILED" and failed["errorCode"]["name"] == "REJECTED", failed
            back_at = customer.frames
            assert await wait_for(lambda: customer.frames > back_at + 75, timeout=10)
            assert abs(customer.dominant_frequency(seconds=1.0) - ALICE) < 15, customer.dominant_frequency()
            assert abs(alice_peer.dominant_frequency(seconds=1.0) - CUSTOMER) < 15
            assert gateway.request("GET", f"/ccaas/1/conversations/{conversation}")["agentId"] == alice_id
        finally:
            for closable in (customer, alice_peer):
                if closable:
                    await closable.close()
            for connection in (signaling, alice, bob):
                await connection.close() if connection else None

    asyncio.run(scenario())


def test_a_phone_caller_is_transferred_to_a_queue_and_waits_there_for_bob(gateway):
    """A SIPp caller (PCMA) talks to Alice, who transfers it to the Sales queue: it hears Sales'
    waiting music while Bob (its only other agent) is busy, then Bob answers and is heard."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                 tone=(CUSTOMER, 20.0), keys={"offer_formats": "8 101"}, variables={"wait_bye": True}, timeout=40)
    add_trunk(gateway, phone.address, codecs=["PCMA"])  # its number routes to Support, the demo queue
    sales = gateway.request("POST", "/ccaas/1/queues", {"name": "Sales", "isAutoAssignmentEnabled": True})["id"]
    gateway.request("POST", f"/ccaas/1/agents/{bob_id}/queues", {"queueId": sales})
    music = upload(gateway, "sales-music", wav_bytes(800, 1.0, 16000))
    gateway.request("POST", "/ccaas/voice/2/waiting-strategies", {
        "name": "sales", "conditionType": "QUEUE", "condition": {"queues": [sales]},
        "maximumWaitTime": {"unit": "SECONDS", "value": 60},
        "musicOnHold": {"enabled": True, "fileAudioSource": {"fileDescriptor": music}}})

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(ALICE), Peer(BOB)
        try:
            await set_status(bob, "BUSY")
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                incoming = await answer_next_call(alice, alice_peer)
                await asyncio.sleep(2)
                status, reply = gateway.request_raw(
                    "PATCH", f"/ccaas/voice/2/conversation/{incoming['conversationId']}/transfer/queue",
                    {"queueId": sales})
                assert status == 200, reply
                hangup = await alice.next("call.hangup", timeout=5)
                assert hangup["errorCode"]["name"] == "TRANSFERRED", hangup
                await asyncio.sleep(3)
                await set_status(bob, "ACTIVE")
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
            heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, 800, BOB])
                     if tone != "-" and seconds >= 0.5]
            assert heard == [ALICE, 800, BOB], heard
            assert heard_by_phone.payload_types() == [8], heard_by_phone.payload_types()
            assert len({p.ssrc for p in heard_by_phone.audio_packets()}) == 1, "one stream throughout"
            conversation = gateway.request("GET", f"/ccaas/1/conversations/{incoming['conversationId']}")
            assert conversation["agentId"] == bob_id and conversation["queueId"] == sales, conversation
        finally:
            phone.stop()
            await alice_peer.close()
            await bob_peer.close()
            await alice.close()
            await bob.close()

    asyncio.run(scenario())


def test_alice_transfers_a_phone_caller_to_an_external_number(gateway):
    """A SIPp caller (PCMU) talks to Alice, who transfers it to +15557000: the gateway dials a
    second SIPp through the trunk, `From:` the number given; the two phones hear each other's
    tones, relayed RTP to RTP: each receives PCMU whose bytes are the other's own (no transcoder
    between them). Alice gets TRANSFERRED. Every refusal of the route is checked first."""
    from sip_peers import RtpPacket, Sipp, capture_rtp, read_pcap_udp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    alice_id = gateway.agents["Alice Agent"]
    target = Sipp("uas_answer", tone=(784, 8.0), variables={"ring_ms": 300, "bye_after_ms": 4000}, timeout=40)
    caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(CUSTOMER, 20.0),
                  keys={"offer_formats": "0 101"}, variables={"wait_bye": True}, timeout=40)
    # One channel: the caller's call takes it, so the number cannot be dialled until there are two.
    trunk = add_trunk(gateway, target.address, codecs=["PCMU"], allowedCallerIds=[NUMBER], channelLimit=1)
    support = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]

    def sent_payloads(sipp):
        return {RtpPacket.parse(payload).payload for _, _, _, payload in read_pcap_udp(sipp.keys["tone_pcap"])}

    async def scenario():
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        try:
            target.start()
            with capture_rtp(caller.media_port) as heard_by_caller, capture_rtp(target.media_port) as heard_by_target:
                caller.start()
                incoming = await answer_next_call(alice, alice_peer)
                path = f"/ccaas/voice/2/conversation/{incoming['conversationId']}/transfer/external-number"
                status, reply = gateway.request_raw("PATCH", path, {"externalNumber": "call me"})
                assert status == 400 and "externalNumber: must be an E.164 number" in reply["message"], reply
                status, reply = gateway.request_raw("PATCH", path, {"externalNumber": "+15557000", "from": "+4412345"})
                assert status == 403 and "not a number of SIP trunk" in reply["message"], reply
                gateway.request("PUT", "/ccaas/voice/2/transfer-configs/external-number",
                                {"transferToAnyNumberEnabled": False, "allowedNumbers": ["+15557000"]})
                status, reply = gateway.request_raw("PATCH", path, {"externalNumber": "+15557999"})
                assert status == 403 and "not one of the allowed numbers" in reply["message"], reply
                status, reply = gateway.request_raw("PATCH", path, {"externalNumber": "+15557000", "from": NUMBER})
                assert status == 409, f"the trunk's one channel is the caller's: {reply}"
                status, reply = gateway.put_trunk(trunk["id"], {
                    "name": "sipp", "destinationHosts": [target.address], "defaultCallerId": NUMBER,
                    "numbers": [{"number": NUMBER, "queueId": support}], "codecs": ["PCMU"],
                    "allowedCallerIds": [NUMBER], "channelLimit": 2})
                assert status == 200, reply
                status, reply = gateway.request_raw("PATCH", path, {"externalNumber": "+15557000", "from": NUMBER})
                assert (status, reply["message"]) == (200, "Call transferred successfully."), reply
                assert (await alice.next("call.hangup", timeout=15))["errorCode"]["name"] == "TRANSFERRED"
                answered = await asyncio.to_thread(target.wait, 30)
                finished = await asyncio.to_thread(caller.wait, 30)
            answered.assert_ok()
            finished.assert_ok()
            invite = next(m for m in answered.received() if m.method == "INVITE")
            assert "sip:+15557000@" in invite.first_line and NUMBER in invite.text.split("From:")[1].split("\n")[0]
            assert abs(heard_by_target.dominant_frequency() - CUSTOMER) < 15, heard_by_target.dominant_frequency()
            assert heard_by_target.payload_types() == [0], heard_by_target.payload_types()
            from_caller = sent_payloads(caller)
            relayed = [p for p in heard_by_target.audio_packets() if p.payload in from_caller]
            assert len(relayed) > 100, "the caller's own PCMU bytes reach the number"
            from_target = sent_payloads(target)
            back = [p for p in heard_by_caller.audio_packets() if p.payload in from_target]
            assert len(back) > 100, "and the number's reach the caller"
            assert heard_by_caller.payload_types() == [0], heard_by_caller.payload_types()
        finally:
            caller.stop()
            target.stop()
            await alice_peer.close()
            await alice.close()

    asyncio.run(scenario())


def test_the_caller_hanging_up_ends_the_number_it_was_transferred_to(gateway):
    """The phone caller hangs up after Alice transferred it to a number: the gateway ends the
    number's call with a BYE on the number's own dialog (the SIPp number waits for it, answers 200
    and passes), and the call record is FINISHED."""
    from sip_peers import Sipp, require_sipp
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    alice_id = gateway.agents["Alice Agent"]
    target = Sipp("uas_answer", tone=(784, 8.0), timeout=40)
    caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(CUSTOMER, 20.0),
                  keys={"offer_formats": "0 101"}, variables={"tone_ms": 5000}, timeout=40)
    add_trunk(gateway, target.address, codecs=["PCMU"])

    async def scenario():
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        try:
            target.start()
            caller.start()
            incoming = await answer_next_call(alice, alice_peer)
            await alice.send({"type": "call.transfer", "callId": incoming["callId"], "externalNumber": "+15557001",
                              "id": "transfer"})
            await alice.next("ack", where=lambda f: f.get("id") == "transfer", timeout=5)
            assert (await alice.next("call.hangup", timeout=15))["errorCode"]["name"] == "TRANSFERRED"
            finished = await asyncio.to_thread(caller.wait, 30)
            answered = await asyncio.to_thread(target.wait, 15)
            return incoming["conversationId"], finished, answered
        finally:
            caller.stop()
            target.stop()
            await alice_peer.close()
            await alice.close()

    conversation, finished, answered = asyncio.run(scenario())
    finished.assert_ok()
    answered.assert_ok()
    assert [m.method for m in answered.received() if m.method in ("INVITE", "BYE")] == ["INVITE", "BYE"]
    record = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation}")["elements"][0]
    assert record["state"] == "FINISHED" and record["endedAt"], record


def test_a_busy_number_or_an_agent_who_does_not_answer_gives_the_customer_back_to_alice(gateway):
    """Alice transfers her aiortc customer over signaling to a number answered 486 by SIPp: she
    gets TRANSFER_FAILED BUSY and the customer hears her again. Then to Bob, who lets it ring out
    (inbound ring timeout 3 s): TRANSFER_FAILED NO_ANSWER, and again the customer hears Alice,
    as one stream throughout."""
    from sip_peers import Sipp, require_sipp
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    busy = Sipp("uas_busy", timeout=40)
    add_trunk(gateway, busy.address, codecs=["PCMU"])
    gateway.request("PUT", "/ccaas/voice/2/call-timeouts", {"inbound": 3, "outbound": 10})

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer = Peer(ALICE)
        signaling, customer = None, None
        try:
            busy.start()
            signaling, customer, _ = await alice_answers(gateway, alice, alice_peer, bob)
            call_id = alice.call_id

            async def back_with_alice(reason):
                started = await alice.next("call.transfer", timeout=15)
                failed = await alice.next("call.transfer", timeout=15)
                assert started["state"] == "TRANSFERRING", started
                assert failed["state"] == "TRANSFER_FAILED" and failed["errorCode"]["name"] == reason, failed
                since = customer.frames
                assert await wait_for(lambda: customer.frames > since + 75, timeout=10)
                assert abs(customer.dominant_frequency(seconds=1.0) - ALICE) < 15, customer.dominant_frequency()

            await alice.send({"type": "call.transfer", "callId": call_id, "externalNumber": "+15557000",
                              "id": "to-number"})
            await alice.next("ack", where=lambda f: f.get("id") == "to-number")
            await back_with_alice("BUSY")

            await set_status(bob, "ACTIVE")
            await alice.send({"type": "call.transfer", "callId": call_id, "agentId": bob_id, "id": "to-bob"})
            await alice.next("ack", where=lambda f: f.get("id") == "to-bob")
            offered = await bob.next("call.incoming", timeout=10)
            assert offered["callId"] == call_id
            await back_with_alice("NO_ANSWER")
            assert await customer.audio_packets_lost() == [0], "Alice, music, Alice, music, Alice: one stream"
        finally:
            busy.stop()
            for closable in (customer, alice_peer, signaling, alice, bob):
                if closable:
                    await closable.close()

    asyncio.run(scenario())
