"""Calls between phones on a SIP trunk (SIPp, baresip) and aiortc agents through the gateway:
tones checked both ways after G.711 <-> Opus transcoding, DTMF both ways, the SIP failure
cases and digest authentication. Loopback only."""

import asyncio
import time

import pytest

from audio_files import add_hold_music, runs
from peers import Peer, Signaling, answer_next_call, wait_for
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
            "numbers": fields.pop("numbers", [{"number": NUMBER, "queueId": queue}]), "defaultCallerId": NUMBER}
    body.update(fields)
    status, reply = gateway.post_trunk(body)
    assert status == 201, reply
    return reply


def test_a_phone_calls_a_number_and_talks_to_an_agent(gateway):
    """SIPp dials the number: the agent is offered the call, answers, both hear each other's
    tone through the transcoder, and SIPp's DTMF digits reach the agent as call.dtmf."""
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        signaling = await Signaling.connect(gateway, alice)
        agent = Peer(660)
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 4.0), dtmf="19#")
        add_trunk(gateway, caller.address, rtpPortRange="47000-47099")
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
            answer = next(m for m in result.received() if m.status == 200 and "m=audio" in m.text)
            port = int(answer.text.split("m=audio ")[1].split()[0])
            assert 47000 <= port <= 47098 and port % 2 == 0, f"the trunk's RTP range: {port}"
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


def retarget(gateway, trunk, destination, **fields):
    """Replaces `trunk` so that it points at `destination`, keeping its numbers and caller id."""
    body = {"name": trunk["name"], "destinationHosts": [destination], "numbers": trunk["numbers"],
            "defaultCallerId": NUMBER}
    body.update(fields)
    status, reply = gateway.put_trunk(trunk["id"], body)
    assert status == 200, reply


async def agent_dials(gateway, signaling, agent_id, peer, number, **extra):
    """The agent's outbound call to `number` through the trunk: (call.created frame, conversation id)."""
    outbound = gateway.request("POST", "/ccaas/voice/2/outbound-call-conversation",
                               {"from": NUMBER, "to": number, "agentId": agent_id, "voiceClientType": "PSTN"},
                               agent=agent_id)
    custom = {"isOutbound": True, "outboundTo": number, "outboundFrom": NUMBER, "outboundAgentId": agent_id,
              "conversationId": outbound["conversationId"], "calleeClientType": "PSTN"}
    custom.update(extra)
    await signaling.send({"type": "call.start", "sdp": await peer.offer(), "customData": custom})
    created = await signaling.next("call.created")
    await peer.accept_answer(created["sdp"])
    return created, outbound["conversationId"]


def test_an_agent_dials_a_phone_number(gateway):
    """The agent calls +15557000 with calleeClientType PSTN: SIPp answers after ringing, both
    hear each other's tone, and the agent's digits (call.dtmf) reach SIPp as RFC 4733 events."""
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        signaling = await Signaling.connect(gateway, alice)
        agent = Peer(523)
        callee = Sipp("uas_answer", tone=(784, 6.0), variables={"ring_ms": 500})
        add_trunk(gateway, callee.address)
        try:
            callee.start()
            with capture_rtp(callee.media_port) as heard_by_phone:
                created, conversation = await agent_dials(gateway, signaling, alice, agent, "+15557000")
                await signaling.next("call.ringing", timeout=10)
                await signaling.next("call.established", timeout=15)
                await signaling.send({"type": "call.dtmf", "id": "d1", "callId": created["callId"], "digits": "4*7"})
                ack = await signaling.next("ack", where=lambda f: f.get("id") == "d1")
                assert ack["id"] == "d1"
                assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
                heard_by_agent = agent.dominant_frequency(seconds=1.5)
                await asyncio.sleep(1.0)
                await signaling.send({"type": "call.hangup", "callId": created["callId"]})
                result = await asyncio.to_thread(callee.wait, 15)
            result.assert_ok()
            assert abs(heard_by_agent - 784) < 15, heard_by_agent
            assert heard_by_phone.packet_count > 100
            assert abs(heard_by_phone.dominant_frequency() - 523) < 15, heard_by_phone.dominant_frequency()
            assert heard_by_phone.digits() == "4*7", heard_by_phone.events()
            invite = next(m for m in result.received() if m.method == "INVITE")
            assert "sip:+15557000@" in invite.first_line and NUMBER in invite.text.split("From:")[1].split("\n")[0]
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation}")
            assert calls["elements"][0]["state"] == "FINISHED" and calls["elements"][0]["direction"] == "OUTBOUND"
        finally:
            callee.stop()
            await agent.close()
            await signaling.close()

    asyncio.run(scenario())


def test_busy_and_cancel_reach_the_agent_with_infobip_codes(gateway):
    """486 from the phone ends the agent's call as BUSY; the agent hanging up while the phone
    rings sends CANCEL (SIPp sees it and answers 487)."""
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        signaling = await Signaling.connect(gateway, alice)
        busy = Sipp("uas_busy")
        trunk = add_trunk(gateway, busy.address)
        try:
            busy.start()
            agent = Peer(440)
            created, conversation = await agent_dials(gateway, signaling, alice, agent, "+15557001")
            hangup = await signaling.next("call.hangup", timeout=10)
            assert hangup["errorCode"]["id"] == 10201 and hangup["errorCode"]["name"] == "BUSY", hangup
            assert "486" in hangup["errorCode"]["description"]
            (await asyncio.to_thread(busy.wait, 10)).assert_ok()
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation}")
            assert calls["elements"][0]["state"] == "BUSY"
            await agent.close()

            ringing = Sipp("uas_ring_forever")
            retarget(gateway, trunk, ringing.address)
            ringing.start()
            agent = Peer(440)
            created, _ = await agent_dials(gateway, signaling, alice, agent, "+15557002")
            await signaling.next("call.ringing", timeout=10)
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            result = await asyncio.to_thread(ringing.wait, 15)
            result.assert_ok()
            assert "CANCEL" in [m.method for m in result.received()]
            await agent.close()
        finally:
            for sipp in ("busy", "ringing"):
                if sipp in locals():
                    locals()[sipp].stop()
            await signaling.close()

    asyncio.run(scenario())


def refused(gateway, number=NUMBER, status=None, **sipp_args):
    """Runs a SIPp caller that expects `status` for its INVITE."""
    caller = Sipp("uac_reject", remote=f"127.0.0.1:{gateway.sip_port}", service=number,
                  variables={"expect_status": status}, **sipp_args)
    return caller


def test_inbound_refusals_unknown_number_source_codec_and_limit(gateway):
    """404 for a number no trunk has, 403 for a source no trunk allows, 488 without a common
    codec, 503 over the trunk's channel limit. Each is what SIPp receives."""
    async def scenario():
        probe = refused(gateway, "+15559999", 404)
        trunk = add_trunk(gateway, probe.address, channelLimit=1)
        probe.run().assert_ok()
        refused(gateway, NUMBER, 488, keys={"offer_formats": "18"}).run().assert_ok()

        # A call in progress (an agent rings) fills the trunk's one channel: the next gets 503.
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        first = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 1.0))
        try:
            first.start()
            await alice.next("call.incoming", timeout=10)
            status = gateway.request("GET", f"/calls/1/sip-trunks/{trunk['id']}/status")
            assert status["activeCalls"] == 1 and status["registration"] == "NOT_REQUIRED", status
            result = await asyncio.to_thread(refused(gateway, NUMBER, 503).run)
            result.assert_ok()
        finally:
            first.stop()
            await alice.close()

        retarget(gateway, trunk, probe.address, sourceHosts=["10.1.2.3"])
        refused(gateway, NUMBER, 403).run().assert_ok()

    asyncio.run(scenario())


def test_digest_authentication_both_ways(gateway):
    """A trunk with inboundCredentials gets 401 without them and its call through with them;
    the gateway answers SIPp's 401 with outboundCredentials (SIPp's verifyauth checks it)."""
    async def scenario():
        probe = refused(gateway, NUMBER, 401)
        trunk = add_trunk(gateway, probe.address, inboundCredentials={"username": "carrier", "password": "in-pass"})
        result = probe.run()
        result.assert_ok()
        challenge = next(m for m in result.received() if m.status == 401)
        assert 'WWW-Authenticate: Digest realm="callgateway"' in challenge.text, challenge.text

        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        agent = Peer(660)
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 1.5),
                      auth=("carrier", "in-pass"))
        callee = Sipp("uas_auth", keys={"auth_user": "gw", "auth_pass": "out-pass", "auth_realm": "carrier.example"})
        try:
            caller.start()
            await answer_next_call(alice, agent)
            (await asyncio.to_thread(caller.wait, 20)).assert_ok()
            await alice.next("call.hangup", timeout=10)
            await agent.close()

            retarget(gateway, trunk, callee.address, outboundCredentials={"username": "gw", "password": "out-pass"})
            callee.start()
            agent = Peer(440)
            created, _ = await agent_dials(gateway, alice, gateway.agents["Alice Agent"], agent, "+15557003")
            await alice.next("call.established", timeout=15)
            await alice.send({"type": "call.hangup", "callId": created["callId"]})
            result = await asyncio.to_thread(callee.wait, 15)
            result.assert_ok()
            invites = [m for m in result.received() if m.method == "INVITE"]
            assert len(invites) == 2 and "Authorization: Digest" in invites[1].text
        finally:
            caller.stop()
            callee.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def sip_exchange(port, text, wait=1.0, expect=1):
    """Sends `text` (LF line ends become CRLF) from a fresh UDP socket; returns the responses."""
    import socket
    import time
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    local = sock.getsockname()[1]
    data = text.replace("\n", "\r\n").replace("LOCALPORT", str(local)).encode()
    sock.sendto(data, ("127.0.0.1", port))
    sock.settimeout(0.2)
    replies = []
    deadline = time.time() + wait
    while time.time() < deadline and len(replies) < expect:
        try:
            replies.append(sock.recv(65536).decode(errors="replace"))
        except socket.timeout:
            pass
    sock.close()
    return replies


REQUEST = """{method} sip:+15550100@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bK{branch}
From: <sip:raw@127.0.0.1>;tag=1
To: <sip:+15550100@127.0.0.1>{to_tag}
Call-ID: {call_id}
CSeq: 1 {method}
Max-Forwards: 70
Content-Length: {length}

{body}"""


def test_bad_sip_gets_the_right_answer_or_is_dropped(gateway):
    """Malformed requests get 400 naming the problem, out-of-dialog BYE 481, stray ACK nothing,
    garbage nothing; a retransmitted INVITE is one call, and the gateway keeps serving."""
    async def scenario():
        probe = refused(gateway, "+15559999", 404)
        add_trunk(gateway, probe.address)
        port = gateway.sip_port
        missing_call_id = REQUEST.format(method="OPTIONS", branch="a1", to_tag="", call_id="x", length=0, body="")
        missing_call_id = missing_call_id.replace("Call-ID: x\n", "")
        replies = sip_exchange(port, missing_call_id)
        assert replies and replies[0].startswith("SIP/2.0 400"), replies
        assert "Call-ID" in replies[0].split("\r\n")[0], replies[0].split("\r\n")[0]

        long_body = REQUEST.format(method="OPTIONS", branch="a2", to_tag="", call_id="cl", length=500, body="v=0\n")
        replies = sip_exchange(port, long_body)
        assert not replies or replies[0].startswith("SIP/2.0 400"), replies

        bye = REQUEST.format(method="BYE", branch="a3", to_tag=";tag=nope", call_id="no-such-dialog", length=0, body="")
        replies = sip_exchange(port, bye)
        assert replies and replies[0].startswith("SIP/2.0 481"), replies

        ack = REQUEST.format(method="ACK", branch="a4", to_tag=";tag=nope", call_id="no-such", length=0, body="")
        assert sip_exchange(port, ack, wait=0.5) == []
        assert sip_exchange(port, "\x16\x03\x01garbage that is not SIP\n\n", wait=0.5) == []

        options = REQUEST.format(method="OPTIONS", branch="a5", to_tag="", call_id="ping", length=0, body="")
        replies = sip_exchange(port, options)
        assert replies and replies[0].startswith("SIP/2.0 200"), replies

        # The same INVITE three times (a UDP retransmission): one conversation, one call.
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        sdp = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 49170 RTP/AVP 0\n"
        invite = REQUEST.format(method="INVITE", branch="dup1", to_tag="", call_id="dup-invite",
                                length=len(sdp.replace("\n", "\r\n")), body=sdp)
        invite = invite.replace("Max-Forwards: 70\n", "Max-Forwards: 70\nContent-Type: application/sdp\n")
        replies = sip_exchange(port, invite.replace("branch=z9hG4bKdup1", "branch=z9hG4bKnocontact"))
        assert replies and replies[0].startswith("SIP/2.0 400 Missing header Contact"), replies
        invite = invite.replace("Max-Forwards: 70\n", "Max-Forwards: 70\nContact: <sip:raw@127.0.0.1:LOCALPORT>\n")
        import socket
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        data = invite.replace("\n", "\r\n").replace("LOCALPORT", str(sock.getsockname()[1])).encode()
        for _ in range(3):
            sock.sendto(data, ("127.0.0.1", port))
            await asyncio.sleep(0.2)
        incoming = await alice.next("call.incoming", timeout=5)
        await asyncio.sleep(1.0)
        assert not [f for f in alice.frames if f.get("type") == "call.incoming"], "one INVITE, one call"
        calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={incoming['conversationId']}")
        assert len(calls["elements"]) == 1
        sock.close()
        await alice.close()
        # Still serving real callers.
        probe.run().assert_ok()

    asyncio.run(scenario())


def test_a_send_the_kernel_refuses_does_not_stop_sip_over_udp(gateway):
    """NIO closes a UDP socket when the kernel refuses a send. A request whose Via carries a
    `received` of the sender's choosing (a broadcast address) is answered at its source, not
    there; a trunk the gateway's address cannot reach (its OPTIONS ping to 192.0.2.1 from
    127.0.0.1 fails at once) closes the SIP socket, which is bound again and goes on answering."""
    port = gateway.sip_port
    options = REQUEST.format(method="OPTIONS", branch="forged", to_tag="", call_id="forged", length=0, body="")
    forged = options.replace(";branch=z9hG4bKforged", ";branch=z9hG4bKforged;received=255.255.255.255")
    replies = sip_exchange(port, forged)
    assert replies and replies[0].startswith("SIP/2.0 200"), replies
    assert "255.255.255.255" not in replies[0]

    add_trunk(gateway, "192.0.2.1:5060", name="unreachable", sipOptions={"enabled": True, "intervalSeconds": 30},
              numbers=[])
    deadline = time.time() + 15
    while "bound again" not in open(gateway.log_path).read():
        assert time.time() < deadline, "the ping's refused send did not close and rebind the SIP socket"
        time.sleep(0.1)
    for attempt in range(3):
        ping = REQUEST.format(method="OPTIONS", branch=f"after{attempt}", to_tag="", call_id=f"after{attempt}",
                              length=0, body="")
        replies = sip_exchange(port, ping)
        assert replies and replies[0].startswith("SIP/2.0 200"), (attempt, replies)


def test_rtp_timeout_hangs_up_with_a_clear_reason(gateway):
    """The phone stops sending media: after the trunk's rtpTimeoutSeconds the gateway sends BYE
    and the agent's call ends with MEDIA_FAILURE saying why."""
    async def scenario():
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        agent = Peer(660)
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 1.0),
                      variables={"wait_bye": True}, timeout=30)
        add_trunk(gateway, caller.address, rtpTimeoutSeconds=5)
        try:
            caller.start()
            await answer_next_call(alice, agent)
            hangup = await alice.next("call.hangup", timeout=15)
            assert hangup["errorCode"]["name"] == "MEDIA_FAILURE", hangup
            assert "RTP timeout" in hangup["errorCode"]["description"] and "5 s" in hangup["errorCode"]["description"]
            result = await asyncio.to_thread(caller.wait, 15)
            result.assert_ok()
            assert "BYE" in [m.method for m in result.received()]
        finally:
            caller.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def test_tcp_trunks_both_ways(gateway):
    """The same calls over TCP: SIPp calls in over a TCP connection and the gateway dials a
    TCP trunk; no retransmissions are needed, the calls are set up and torn down."""
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        agent = Peer(660)
        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 2.0),
                      transport="tcp")
        callee = Sipp("uas_answer", tone=(784, 4.0), transport="tcp")
        trunk = add_trunk(gateway, caller.address, transport="TCP")
        try:
            caller.start()
            await answer_next_call(alice, agent)
            assert await wait_for(lambda: agent.frames > 50, timeout=10)
            assert abs(agent.dominant_frequency(seconds=0.8) - 440) < 15
            (await asyncio.to_thread(caller.wait, 20)).assert_ok()
            await alice.next("call.hangup", timeout=10)
            await agent.close()

            retarget(gateway, trunk, callee.address, transport="TCP")
            callee.start()
            agent = Peer(523)
            created, _ = await agent_dials(gateway, alice, alice_id, agent, "+15557004")
            await alice.next("call.established", timeout=15)
            assert await wait_for(lambda: agent.frames > 50, timeout=10)
            assert abs(agent.dominant_frequency(seconds=0.8) - 784) < 15
            await alice.send({"type": "call.hangup", "callId": created["callId"]})
            result = await asyncio.to_thread(callee.wait, 15)
            result.assert_ok()
            invite = next(m for m in result.received() if m.method == "INVITE")
            assert "SIP/2.0/TCP" in invite.text and ";transport=tcp" in invite.first_line
        finally:
            caller.stop()
            callee.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def longest_gap(capture):
    """The longest silence (seconds) between packets that reached a captured port."""
    times = [p.time for p in capture.packets]
    return max((b - a for a, b in zip(times, times[1:])), default=0)


def assert_one_continuous_stream(capture):
    """What a phone heard is one RTP stream across pauses: one SSRC, sequence numbers going on by
    one, and over the longest pause a timestamp that moved as far as the time did."""
    audio = [p for p in capture.packets if p.payload_type in (0, 8)]
    assert len({p.ssrc for p in audio}) == 1, {p.ssrc for p in audio}
    steps = [(b.seq - a.seq) % 65536 for a, b in zip(audio, audio[1:])]
    assert all(step == 1 for step in steps), [s for s in steps if s != 1]
    i = max(range(1, len(audio)), key=lambda k: audio[k].time - audio[k - 1].time)
    waited = audio[i].time - audio[i - 1].time
    moved = ((audio[i].timestamp - audio[i - 1].timestamp) % 2**32) / 8000
    assert abs(moved - waited) < 0.25, (moved, waited)


def test_hold_from_either_side(gateway):
    """The phone holds the agent (re-INVITE sendonly, answered recvonly; the agent gets
    call.held and the gateway stops sending to the phone), then resumes; the agent holds the
    phone with call.hold (SIPp checks the re-INVITEs say sendonly, then sendrecv): while held
    the phone hears the hold music (a 900 Hz tone here) instead of the agent, in the same RTP
    stream, and the agent again after."""
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        agent = Peer(660)
        caller = Sipp("uac_hold", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER,
                      variables={"hold_ms": 1500})
        callee = Sipp("uas_hold")
        trunk = add_trunk(gateway, caller.address, rtpTimeoutSeconds=60)
        try:
            with capture_rtp(caller.media_port) as heard_by_caller:
                caller.start()
                incoming = await answer_next_call(alice, agent)
                held = await alice.next("call.held", timeout=10)
                assert held["held"] is True and held["callId"] == incoming["callId"]
                resumed = await alice.next("call.held", timeout=10)
                assert resumed["held"] is False
                (await asyncio.to_thread(caller.wait, 20)).assert_ok()
            assert heard_by_caller.packet_count > 20 and longest_gap(heard_by_caller) > 1.0, \
                (heard_by_caller.packet_count, longest_gap(heard_by_caller))
            await alice.next("call.hangup", timeout=10)
            await agent.close()

            add_hold_music(gateway, 900)
            retarget(gateway, trunk, callee.address)
            callee.start()
            agent = Peer(523)
            with capture_rtp(callee.media_port) as heard_by_callee:
                created, _ = await agent_dials(gateway, alice, alice_id, agent, "+15557005")
                await alice.next("call.established", timeout=15)
                await asyncio.sleep(1.0)
                for hold in (True, False):
                    await alice.send({"type": "call.hold", "id": f"h{hold}", "callId": created["callId"], "hold": hold})
                    await alice.next("ack", where=lambda f, hold=hold: f.get("id") == f"h{hold}")
                    await asyncio.sleep(2.0)
                await alice.send({"type": "call.hangup", "callId": created["callId"]})
                (await asyncio.to_thread(callee.wait, 15)).assert_ok()
            # The agent's voice, the hold music for the hold (about 2 s), the agent again; no gap.
            heard = [tone for tone in runs(heard_by_callee.samples(), 8000, [523, 900]) if tone[0] != "-"]
            assert [tone for tone, _ in heard] == [523, 900, 523], heard
            assert abs(heard[1][1] - 2.0) <= 0.3, heard
            assert longest_gap(heard_by_callee) < 0.2, longest_gap(heard_by_callee)
            assert_one_continuous_stream(heard_by_callee)
        finally:
            caller.stop()
            callee.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def test_twenty_concurrent_phone_calls(gateway):
    """SIPp places 20 calls at 10 calls/s to the number; 20 aiortc agents answer each with
    their own tone, every call carries audio both ways and ends cleanly: SIPp counts 20
    successful calls and no failure."""
    count = 20

    async def scenario():
        queue = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]
        agents = []
        for i in range(count):
            status, agent = gateway.request_raw("POST", "/ccaas/1/agents",
                                                {"displayName": f"Load Agent {i:02}", "status": "ACTIVE", "role": "AGENT"})
            assert status in (200, 201), agent
            status, _ = gateway.request_raw("POST", f"/ccaas/1/agents/{agent['id']}/queues", {"queueId": queue})
            assert status in (200, 201)
            agents.append(agent["id"])
        signalings = [await Signaling.connect(gateway, agent_id) for agent_id in agents]
        peers = []
        answered = []

        async def answer_calls(signaling):
            incoming = await signaling.next("call.incoming", timeout=30)
            peer = Peer(300 + 20 * len(peers))
            peers.append(peer)
            await signaling.send({"type": "call.accept", "callId": incoming["callId"], "sdp": await peer.answer(incoming["sdp"])})
            await signaling.next("call.established", timeout=20)
            answered.append(incoming["callId"])
            await signaling.next("call.hangup", timeout=30)

        caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 5.0),
                      calls=count, rate=10, limit=count, timeout=60)
        add_trunk(gateway, caller.address, channelLimit=count)
        try:
            with capture_rtp(caller.media_port) as heard_by_phones:
                caller.start()
                await asyncio.gather(*(answer_calls(s) for s in signalings))
                result = await asyncio.to_thread(caller.wait, 60)
            result.assert_ok(calls=count)
            assert result.successful == count and result.failed == 0, (result.successful, result.failed)
            assert len(set(answered)) == count
            # At least half a second of audio each way on every call (20 aiortc peers in one
            # Python process send unevenly on 2 busy cores; the tones below prove what arrived).
            assert all(peer.frames > 25 for peer in peers), sorted(peer.frames for peer in peers)
            # Every call's audio reached SIPp: one RTP stream (SSRC) per call, each with packets.
            streams = {}
            for packet in heard_by_phones.packets:
                streams[packet.ssrc] = streams.get(packet.ssrc, 0) + 1
            assert len(streams) == count and min(streams.values()) > 25, sorted(streams.values())
            heard = [p.dominant_frequency(seconds=1.0) for p in peers]
            assert all(abs(f - 440) < 20 for f in heard), heard
        finally:
            caller.stop()
            for peer in peers:
                await peer.close()
            for s in signalings:
                await s.close()

    asyncio.run(scenario())


def test_early_media_is_heard_before_the_answer(gateway):
    """SIPp answers 183 with SDP and plays a tone, then 200 after 3 s: the agent gets
    call.early-media and hears the tone before call.established."""
    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        agent = Peer(523)
        callee = Sipp("uas_early_media", tone=(880, 6.0), variables={"early_ms": 3000})
        add_trunk(gateway, callee.address)
        try:
            callee.start()
            created, _ = await agent_dials(gateway, alice, alice_id, agent, "+15557200")
            early = await alice.next("call.early-media", timeout=10)
            assert early["callId"] == created["callId"]
            assert await wait_for(lambda: agent.frames > 60, timeout=10), agent.frames
            assert not [f for f in alice.frames if f.get("type") == "call.established"], "not answered yet"
            heard_early = agent.dominant_frequency(seconds=0.8)
            await alice.next("call.established", timeout=10)
            await alice.send({"type": "call.hangup", "callId": created["callId"]})
            (await asyncio.to_thread(callee.wait, 15)).assert_ok()
            assert abs(heard_early - 880) < 15, heard_early
        finally:
            callee.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def test_registration_and_keepalive_show_in_the_trunk_status(gateway):
    """A REGISTERED trunk registers with SIPp (digest checked by verifyauth); a trunk with
    sipOptions pings SIPp with OPTIONS; both show in /status."""
    registrar = Sipp("uas_registrar", keys={"auth_user": "acme", "auth_pass": "reg-pass", "auth_realm": "carrier"})
    pinged = Sipp("uas_options", calls=1)
    try:
        registrar.start()
        pinged.start()
        registered = add_trunk(gateway, registrar.address, name="registered", type="REGISTERED",
                               outboundCredentials={"username": "acme", "password": "reg-pass"},
                               numbers=[])
        kept = add_trunk(gateway, pinged.address, name="pinged", sipOptions={"enabled": True, "intervalSeconds": 5},
                         numbers=[])
        registrar.wait(20).assert_ok()
        pinged.wait(20).assert_ok()
        deadline = time.time() + 10
        while time.time() < deadline:
            status = gateway.request("GET", f"/calls/1/sip-trunks/{registered['id']}/status")
            alive = gateway.request("GET", f"/calls/1/sip-trunks/{kept['id']}/status")
            if status["registration"] == "REGISTERED" and alive["reachable"] is True:
                break
            time.sleep(0.2)
        assert status["registration"] == "REGISTERED", status
        assert alive == {"registration": "NOT_REQUIRED", "reachable": True, "activeCalls": 0}, alive
        register = [m for m in registrar.result.received() if m.method == "REGISTER"]
        assert len(register) == 2 and "Authorization: Digest" in register[1].text
        assert "Expires: 300" in registrar.result.sent()[-1].text or "expires=300" in registrar.result.sent()[-1].text
    finally:
        registrar.stop()
        pinged.stop()


def test_replayed_digest_credentials_are_refused(gateway):
    """An INVITE's digest credentials, captured and sent again in a new INVITE, are refused with
    403: the nonce count must grow. The first use and a grown count get through."""
    import hashlib
    import re

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    sdp = ("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 47990 RTP/AVP 0\n"
           "a=rtpmap:0 PCMU/8000\n")

    def invite(call_id, authorization=""):
        text = REQUEST.format(method="INVITE", branch=f"replay{call_id}", to_tag="", call_id=call_id,
                              length=len(sdp.replace("\n", "\r\n")), body=sdp)
        extra = "Contact: <sip:raw@127.0.0.1:LOCALPORT>\nContent-Type: application/sdp\n"
        if authorization:
            extra += f"Authorization: {authorization}\n"
        return text.replace("Max-Forwards: 70\n", "Max-Forwards: 70\n" + extra)

    def final(replies):
        return next((r for r in replies if not r.startswith("SIP/2.0 100")), None)

    async def scenario():
        probe = refused(gateway, NUMBER, 401)
        add_trunk(gateway, probe.address, inboundCredentials={"username": "carrier", "password": "in-pass"})
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        try:
            challenge = final(sip_exchange(gateway.sip_port, invite("replay-0"), expect=2))
            assert challenge and challenge.startswith("SIP/2.0 401"), challenge
            nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)

            def authorization(count):
                nc = f"{count:08x}"
                uri = "sip:+15550100@127.0.0.1"
                response = md5(f"{md5('carrier:callgateway:in-pass')}:{nonce}:{nc}:c{count}:auth:{md5('INVITE:' + uri)}")
                return (f'Digest username="carrier", realm="callgateway", nonce="{nonce}", uri="{uri}", '
                        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="c{count}"')

            first = authorization(1)
            accepted = sip_exchange(gateway.sip_port, invite("replay-1", first), wait=1.0, expect=2)
            assert not any(r.startswith(("SIP/2.0 401", "SIP/2.0 403")) for r in accepted), accepted
            await alice.next("call.incoming", timeout=5)

            replayed = final(sip_exchange(gateway.sip_port, invite("replay-2", first), expect=2))
            assert replayed and replayed.startswith("SIP/2.0 403"), replayed
            assert "replayed credentials" in gateway.log()

            grown = sip_exchange(gateway.sip_port, invite("replay-3", authorization(2)), wait=1.0, expect=2)
            assert not any(r.startswith("SIP/2.0 403") for r in grown), grown
        finally:
            await alice.close()

    asyncio.run(scenario())


def test_an_invite_flood_from_a_stranger_is_dropped_without_growing_memory(gateway):
    """2,000 INVITEs in 2 s from an address no trunk has: after a burst of refusals (403) the
    source is blocked and the rest are dropped unread, counted in /metrics; the gateway's memory
    barely moves and a trunk's caller is still served."""
    import re
    import socket
    import time
    import urllib.request

    def rss_kib():
        with open(f"/proc/{gateway.proc.pid}/status") as status:
            return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])

    def dropped():
        text = urllib.request.urlopen(gateway.base + "/metrics", timeout=5).read().decode()
        match = re.search(r'gateway_sip_dropped_total\{reason="blocked_source"\} (\d+)', text)
        return int(match.group(1)) if match else 0

    probe = refused(gateway, "+15559999", 404)
    add_trunk(gateway, probe.address, sourceHosts=["127.0.0.1"])
    before = rss_kib()
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.0.0.2", 0))
    flood.setblocking(False)
    port = flood.getsockname()[1]
    replies = 0
    started = time.monotonic()
    for i in range(2000):
        text = REQUEST.format(method="INVITE", branch=f"flood{i}", to_tag="", call_id=f"flood-{i}", length=0, body="")
        text = text.replace("Max-Forwards: 70\n", "Max-Forwards: 70\nContact: <sip:flood@127.0.0.2:LOCALPORT>\n")
        text = text.replace("127.0.0.1:LOCALPORT", "127.0.0.2:LOCALPORT").replace("LOCALPORT", str(port))
        flood.sendto(text.replace("\n", "\r\n").encode(), ("127.0.0.1", gateway.sip_port))
        while True:
            try:
                flood.recv(65536)
                replies += 1
            except BlockingIOError:
                break
        time.sleep(max(0.0, started + (i + 1) / 1000 - time.monotonic()))
    time.sleep(0.5)
    flood.close()
    assert dropped() >= 1500, (dropped(), replies)
    assert replies < 600, replies
    assert "SIP source blocked after repeated refusals" in gateway.log()
    assert rss_kib() - before < 32 * 1024, (before, rss_kib())
    probe.run().assert_ok()


def test_an_outbound_call_fails_over_to_the_next_trunk_host_and_the_first_comes_back(gateway):
    """The trunk's first host answers 503 (down for maintenance): the agent's call goes to the
    second host and is answered there, audio both ways. Once the first host is back, the next
    call goes to it again."""
    async def scenario():
        alice = gateway.agents["Alice Agent"]
        signaling = await Signaling.connect(gateway, alice)
        down = Sipp("uas_unavailable")
        up = Sipp("uas_answer", tone=(784, 3.0), variables={"ring_ms": 200})
        add_trunk(gateway, down.address, destinationHosts=[down.address, up.address])
        agent = Peer(523)
        back = None
        try:
            down.start()
            up.start()
            created, _ = await agent_dials(gateway, signaling, alice, agent, "+15557010")
            await signaling.next("call.established", timeout=15)
            assert await wait_for(lambda: agent.frames > 75, timeout=10)
            assert abs(agent.dominant_frequency() - 784) < 15, agent.dominant_frequency()
            (await asyncio.to_thread(down.wait, 15)).assert_ok()
            assert "trying the next" in gateway.log()
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            await signaling.next("call.hangup", timeout=10)
            (await asyncio.to_thread(up.wait, 15)).assert_ok()
            await agent.close()

            # The first host is back (on its address): the next call is answered there.
            back = Sipp("uas_answer", port=down.port, tone=(659, 3.0))
            back.start()
            agent = Peer(523)
            created, _ = await agent_dials(gateway, signaling, alice, agent, "+15557011")
            await signaling.next("call.established", timeout=15)
            assert await wait_for(lambda: agent.frames > 75, timeout=10)
            assert abs(agent.dominant_frequency() - 659) < 15, agent.dominant_frequency()
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            (await asyncio.to_thread(back.wait, 15)).assert_ok()
        finally:
            for peer in (down, up, back):
                if peer:
                    peer.stop()
            await agent.close()
            await signaling.close()

    asyncio.run(scenario())
