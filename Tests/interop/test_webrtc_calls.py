"""WebRTC calls through the gateway between aiortc peers, with audio checked by frequency."""

import asyncio
import re
import socket
import urllib.request

from peers import Peer, Signaling, answer_next_call, close_all, listen_a_while, start_customer_call, talking_call, wait_for


def metric(gateway, name, labels):
    text = urllib.request.urlopen(gateway.base + "/metrics", timeout=5).read().decode()
    match = re.search(re.escape(name + "{" + labels + "}") + r" (\d+)", text)
    return int(match.group(1)) if match else None


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

            # Garbage and spoofed SRTP from an address ICE did not select are dropped and counted.
            port = int(re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", created["sdp"]).group(1))
            before = metric(gateway, "gateway_media_dropped_total", 'reason="unlatched"')
            before_malformed = metric(gateway, "gateway_media_dropped_total", 'reason="malformed"')
            refused_before = metric(gateway, "gateway_media_dropped_total", 'reason="stun_refused"')
            intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            # A binding request whose USERNAME names someone else (and carries no valid integrity).
            username = b"nobody:intruder"
            attribute = b"\x00\x06" + len(username).to_bytes(2, "big") + username + b"\x00" * (-len(username) % 4)
            stun = b"\x00\x01" + len(attribute).to_bytes(2, "big") + b"\x21\x12\xa4\x42" + bytes(12) + attribute
            intruder.sendto(stun, ("127.0.0.1", port))
            for _ in range(5):
                intruder.sendto(bytes([0x80, 111, 0, 1]) + bytes(200), ("127.0.0.1", port))
                intruder.sendto(b"\xff garbage", ("127.0.0.1", port))
            intruder.close()
            assert await wait_for(lambda: metric(gateway, "gateway_media_dropped_total", 'reason="unlatched"') >= before + 5)
            assert metric(gateway, "gateway_media_dropped_total", 'reason="malformed"') >= before_malformed + 5
            assert metric(gateway, "gateway_media_dropped_total", 'reason="stun_refused"') >= refused_before + 1
            assert metric(gateway, "gateway_media_packets_total", 'kind="rtp",direction="sent"') > 300
            # Each leg sends its own sender/receiver reports every second.
            assert await wait_for(lambda: metric(gateway, "gateway_media_packets_total", 'kind="rtcp",direction="sent"') >= 2)

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


async def first_incoming(signalings, timeout=10):
    """The agent offered a call first, and the offer; the others are left untouched."""
    for _ in range(int(timeout * 20)):
        for s in signalings:
            for i, frame in enumerate(s.frames):
                if frame.get("type") == "call.incoming":
                    return s, s.frames.pop(i)
        await asyncio.sleep(0.05)
    raise AssertionError("no agent was offered the call")


def test_declines_pass_the_call_on_and_the_last_one_rejects_it(gateway):
    async def scenario():
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        bob = await Signaling.connect(gateway, gateway.agents["Bob Agent"])
        signaling, peer, created = await start_customer_call(gateway)
        try:
            rung = []
            for _ in range(2):
                ringing, incoming = await first_incoming((alice, bob))
                rung.append(ringing)
                await ringing.send({"type": "call.decline", "callId": incoming["callId"]})
                declined = await ringing.next("call.hangup")
                assert declined["errorCode"]["name"] == "REJECTED"
            assert rung[0] is not rung[1], "each agent is offered the call once"
            hangup = await signaling.next("call.hangup")
            assert hangup["errorCode"] == {"id": 10203, "name": "REJECTED", "description": hangup["errorCode"]["description"]}
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["state"] == "FAILED"
        finally:
            await peer.close()
            for s in (signaling, alice, bob):
                await s.close()

    asyncio.run(scenario())


def test_no_answer_cancel_and_a_lost_agent_socket(gateway):
    async def scenario():
        gateway.request("PUT", "/ccaas/voice/2/call-timeouts", {"inbound": 3, "outbound": 3})
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        # Nobody answers: the only available agent rings for 3 s, then the caller hears NO_ANSWER.
        signaling, peer, created = await start_customer_call(gateway, "customer-noanswer")
        incoming = await alice.next("call.incoming")
        withdrawn = await alice.next("call.hangup", timeout=10)
        assert withdrawn["errorCode"]["name"] == "NO_ANSWER" and withdrawn["callId"] == incoming["callId"]
        hangup = await signaling.next("call.hangup", timeout=10)
        assert hangup["errorCode"]["id"] == 10200
        await peer.close()
        await signaling.close()

        # The caller hangs up while the agent rings: the agent's offer is withdrawn as CANCELLED.
        signaling, peer, created = await start_customer_call(gateway, "customer-cancel")
        incoming = await alice.next("call.incoming")
        await signaling.send({"type": "call.hangup", "callId": created["callId"]})
        cancelled = await alice.next("call.hangup")
        assert cancelled["errorCode"]["name"] == "CANCELLED" and cancelled["callId"] == incoming["callId"]
        await peer.close()

        # The ringing agent's socket dies: the next agent rings.
        gateway.request("PUT", "/ccaas/voice/2/call-timeouts", {"inbound": 30, "outbound": 30})
        bob = await Signaling.connect(gateway, gateway.agents["Bob Agent"])
        signaling2, peer2, created2 = await start_customer_call(gateway, "customer-lost")
        first, _ = await first_incoming((alice, bob))
        second = bob if first is alice else alice
        await first.close()
        moved = await second.next("call.incoming", timeout=10)
        assert moved["callId"] == created2["callId"]
        await peer2.close()
        for s in (signaling, signaling2, second):
            await s.close()

    asyncio.run(scenario())


def test_agent_calls_a_webrtc_identity(gateway):
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        callee_signaling = await Signaling.connect(gateway, "customer-out")
        caller = Peer(523)
        callee = Peer(784)
        try:
            outbound = gateway.request("POST", "/ccaas/voice/2/outbound-call-conversation",
                                       {"from": "center", "to": "customer-out", "agentId": alice_id, "voiceClientType": "WEBRTC"},
                                       agent=alice_id)
            custom = {"isOutbound": True, "outboundTo": "customer-out", "outboundFrom": "center", "outboundAgentId": alice_id,
                      "conversationId": outbound["conversationId"], "calleeClientType": "WebRTC"}

            # Refused: PSTN needs a phone number and a trunk (none here), and an agent may not call for another agent.
            await alice.send({"type": "call.start", "id": "p", "sdp": await caller.offer(), "customData": dict(custom, calleeClientType="PSTN")})
            refused = await alice.next("error")
            assert refused["code"] == "INVALID_REQUEST" and refused["id"] == "p" and "phone number" in refused["message"]
            await alice.send({"type": "call.start", "id": "t", "sdp": caller.pc.localDescription.sdp,
                              "customData": dict(custom, calleeClientType="PSTN", outboundTo="+15551234")})
            refused = await alice.next("error")
            assert refused["code"] == "SERVICE_UNAVAILABLE" and "no SIP trunk" in refused["message"], refused
            await alice.send({"type": "call.start", "id": "x", "sdp": caller.pc.localDescription.sdp,
                              "customData": dict(custom, outboundAgentId=gateway.agents["Bob Agent"])})
            assert (await alice.next("error"))["code"] == "FORBIDDEN"
            await alice.send({"type": "call.start", "id": "s", "sdp": "v=0\r\nm=audio\r\n", "customData": custom})
            assert (await alice.next("error"))["code"] == "INVALID_REQUEST"

            # The callee declines the first attempt: the agent hears REJECTED.
            await alice.send({"type": "call.start", "sdp": caller.pc.localDescription.sdp, "customData": custom})
            first = await alice.next("call.created")
            offer = await callee_signaling.next("call.incoming")
            await callee_signaling.send({"type": "call.decline", "callId": offer["callId"]})
            assert (await alice.next("call.hangup"))["errorCode"]["name"] == "REJECTED"
            await caller.close()

            # The second attempt is answered and bridged.
            caller = Peer(523)
            await alice.send({"type": "call.start", "sdp": await caller.offer(), "customData": custom})
            created = await alice.next("call.created")
            assert created["callId"] != first["callId"]
            await caller.accept_answer(created["sdp"])
            offer = await callee_signaling.next("call.incoming")
            assert offer["customData"]["outboundAgentId"] == alice_id
            await callee_signaling.send({"type": "call.accept", "callId": offer["callId"], "sdp": await callee.answer(offer["sdp"])})
            await alice.next("call.established", timeout=15)
            assert await wait_for(lambda: caller.frames > 100 and callee.frames > 100, timeout=15)
            assert abs(caller.dominant_frequency() - 784) < 15
            assert abs(callee.dominant_frequency() - 523) < 15
            await callee_signaling.send({"type": "call.hangup", "callId": offer["callId"]})
            assert (await alice.next("call.hangup"))["errorCode"]["name"] == "NORMAL_HANGUP"
        finally:
            await caller.close()
            await callee.close()
            await alice.close()
            await callee_signaling.close()

    asyncio.run(scenario())


def test_a_peer_that_closes_its_media_ends_the_call_with_the_reason(gateway):
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        signaling, customer, created = await start_customer_call(gateway, "customer-vanishes")
        agent = Peer(660)
        try:
            await answer_next_call(alice, agent)
            # The customer's peer connection goes away without a word on signaling.
            await customer.close()
            hangup = await alice.next("call.hangup", timeout=15)
            assert hangup["errorCode"]["name"] == "MEDIA_FAILURE", hangup
            assert "closed its media" in hangup["errorCode"]["description"], hangup
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["state"] == "FINISHED"
        finally:
            await agent.close()
            await alice.close()
            await signaling.close()

    asyncio.run(scenario())


def test_dtls_sessions_are_released_once_media_flows_and_close_notify_still_goes_both_ways(gateway):
    """Once a peer's SRTP arrives the gateway releases OpenSSL's DTLS session and keeps only the
    record keys (docs/performance.md: about 40 KiB a leg). aiortc (OpenSSL, AES-128-GCM) closing its
    media must still end the call at once by close_notify, and the gateway's own close_notify,
    sealed with the kept keys, must shut the agent's DTLS down."""
    import logging

    shutdowns = []

    class Shutdowns(logging.Handler):
        def emit(self, record):
            if "DTLS shutdown by remote party" in record.getMessage():
                shutdowns.append(record.getMessage())

    dtls_logger = logging.getLogger("aiortc.rtcdtlstransport")
    handler, level = Shutdowns(), dtls_logger.level
    dtls_logger.addHandler(handler)
    dtls_logger.setLevel(logging.DEBUG)

    def released():
        return gateway.counter("gateway_media_dtls_released_total")

    async def scenario():
        before = released()
        alice, agent, signaling, customer, created = await talking_call(gateway, "customer-releases")
        try:
            await listen_a_while(customer, agent, frames=50)
            assert await wait_for(lambda: released() >= before + 2, timeout=5), (before, released())
            # Both legs still carry audio after the release.
            await listen_a_while(customer, agent, frames=50)
            transport = agent.pc.getTransceivers()[0].sender.transport
            assert transport.state == "connected"
            loop = asyncio.get_running_loop()
            closed_at = loop.time()
            await customer.close()
            hangup = await alice.next("call.hangup", timeout=15)
            assert "DTLS close_notify" in hangup["errorCode"]["description"], hangup
            assert loop.time() - closed_at < 3, "ended by close_notify, not by a media timeout"
            assert await wait_for(lambda: transport.state == "closed", timeout=5), transport.state
            assert shutdowns, "the agent's DTLS read the gateway's close_notify"
        finally:
            await close_all(agent, alice, signaling)

    try:
        asyncio.run(scenario())
    finally:
        dtls_logger.removeHandler(handler)
        dtls_logger.setLevel(level)


def relay_delay(gateway):
    """{le: cumulative count} of the relay's delay histogram, and its sum in seconds."""
    text = gateway.metrics()
    buckets = {m.group(1): int(m.group(2))
               for m in re.finditer(r'gateway_media_relay_delay_seconds_bucket\{le="([^"]+)"\} (\d+)', text)}
    total = float(re.search(r"gateway_media_relay_delay_seconds_sum (\S+)", text).group(1))
    return buckets, total


def test_the_relays_own_delay_is_counted_for_each_datagram_of_a_call(gateway):
    """Each media datagram from aiortc is timed from its arrival in the kernel until the gateway
    had relayed it (`gateway_media_relay_delay_seconds`): the counts grow with the call's audio,
    the buckets are cumulative, and a test gateway relays most of them within 50 ms."""
    async def scenario():
        before, total_before = relay_delay(gateway)
        alice, agent, signaling, customer, created = await talking_call(gateway, "customer-timed")
        try:
            await listen_a_while(customer, agent, frames=50)
        finally:
            await close_all(agent, alice, signaling, customer)
        after, total_after = relay_delay(gateway)
        counted = after["+Inf"] - before.get("+Inf", 0)
        assert counted >= 100, (before, after)  # 50 frames each way, and ICE and DTLS
        values = list(after.values())
        assert values == sorted(values), after
        # A debug gateway beside other tests' peers on two cores: loose, but stamps from another
        # clock, or taken after the send, would put nearly all of them past 50 ms or at zero.
        within_50ms = after["0.05"] - before.get("0.05", 0)
        assert within_50ms >= 0.8 * counted, (before, after)
        assert total_after > total_before, "delays measured, not all zero"

    asyncio.run(scenario())


def test_an_agent_whose_heartbeat_stops_while_ringing_passes_the_call_on():
    from peers import Gateway, patch_aioice_loopback, require_aiortc
    require_aiortc()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_INTERVAL": "1", "GATEWAY_HEARTBEAT_TIMEOUT": "2"})

    async def heartbeats(signaling):
        while True:
            await signaling.send({"type": "heartbeat"})
            await asyncio.sleep(0.5)

    async def scenario():
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        signaling, peer, created = await start_customer_call(gateway, "customer-stale")
        offered = await alice.next("call.incoming")
        # Bob is present and beating; Alice's only beat was her connect, 2 s ago soon.
        bob = await Signaling.connect(gateway, gateway.agents["Bob Agent"])
        beating = asyncio.ensure_future(heartbeats(bob))
        try:
            withdrawn = await alice.next("call.hangup", timeout=10)
            assert withdrawn["callId"] == offered["callId"]
            assert "unavailable" in withdrawn["errorCode"]["description"]
            moved = await bob.next("call.incoming", timeout=10)
            assert moved["callId"] == created["callId"]
        finally:
            beating.cancel()
            await peer.close()
            for s in (signaling, alice, bob):
                await s.close()

    try:
        asyncio.run(scenario())
    finally:
        gateway.stop()


def test_a_call_survives_a_short_signaling_drop_and_ends_after_a_long_one():
    """The agent's WebSocket drops during a call: back within signalingGraceSeconds, the call
    goes on (the welcome lists it, media never stopped); away longer, both sides get
    SIGNALING_LOST, the agent when it reconnects."""
    from peers import Gateway, patch_aioice_loopback, require_aiortc
    require_aiortc()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_SIGNALING_GRACE": "2"})

    async def answered_call(agent_id, identity):
        agent_signaling = await Signaling.connect(gateway, agent_id)
        customer_signaling, customer, created = await start_customer_call(gateway, identity)
        agent = Peer(660)
        incoming = await agent_signaling.next("call.incoming")
        await agent_signaling.send({"type": "call.accept", "callId": incoming["callId"],
                                    "sdp": await agent.answer(incoming["sdp"])})
        await customer_signaling.next("call.established", timeout=15)
        await agent_signaling.next("call.established", timeout=15)
        return agent_signaling, agent, customer_signaling, customer, created

    async def scenario():
        alice = gateway.agents["Alice Agent"]
        agent_signaling, agent, customer_signaling, customer, created = await answered_call(alice, "customer-drop")
        try:
            await agent_signaling.close()
            frames_before = customer.frames
            await asyncio.sleep(1.0)
            back = await Signaling.connect(gateway, alice)  # within the 2 s grace
            welcome_calls = back.welcome["calls"]
            assert [c["callId"] for c in welcome_calls] == [created["callId"]], welcome_calls
            await asyncio.sleep(2.5)  # past the grace: the call must still be up
            assert customer.frames > frames_before + 100, (frames_before, customer.frames)
            assert not [f for f in customer_signaling.frames if f.get("type") == "call.hangup"]
            await customer_signaling.send({"type": "call.hangup", "callId": created["callId"]})
            assert (await back.next("call.hangup"))["errorCode"]["name"] == "NORMAL_HANGUP"
            await back.close()
        finally:
            await agent.close()
            await customer.close()
            await customer_signaling.close()

        bob = gateway.agents["Bob Agent"]
        agent_signaling, agent, customer_signaling, customer, created = await answered_call(bob, "customer-gone")
        try:
            await agent_signaling.close()
            hangup = await customer_signaling.next("call.hangup", timeout=6)
            assert hangup["errorCode"]["name"] == "SIGNALING_LOST" and "2 s" in hangup["errorCode"]["description"]
            back = await Signaling.connect(gateway, bob)
            assert back.welcome["calls"] == []
            missed = await back.next("call.hangup", timeout=3)
            assert missed["callId"] == created["callId"] and missed["errorCode"]["name"] == "SIGNALING_LOST"
            await back.close()
        finally:
            await agent.close()
            await customer.close()
            await customer_signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        gateway.stop()
