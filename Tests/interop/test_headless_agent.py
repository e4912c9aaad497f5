"""The headless agent (a Swift WebRTC client on the project's own ICE, DTLS, SRTP and Opus)
against aiortc directly, through the gateway, and as a load generator. Audio is checked by
frequency both ways."""

import asyncio
import json
import os
import time
import urllib.request

from headless import HEADLESS, dominant_frequency, figures, lines_of, run, start
from peers import Peer, Signaling, answer_next_call, start_customer_call, wait_for


def test_binary_exists():
    assert os.path.exists(HEADLESS), f"{HEADLESS} is missing: swift build --product headless-agent"


def exchange_with_aiortc(tmp_path, offer_from_agent):
    """A direct call between the headless agent (440 Hz) and aiortc (660 Hz)."""
    record = str(tmp_path / "heard.wav")

    async def scenario():
        agent = start(["peer", "--tone", "440", "--record", record, "--duration", "3"]
                      + (["--offer"] if offer_from_agent else []))
        peer = Peer(660)
        loop = asyncio.get_running_loop()
        try:
            if offer_from_agent:
                offer = json.loads(await loop.run_in_executor(None, agent.stdout.readline))
                assert offer["type"] == "offer" and "a=ice-lite" not in offer["sdp"]
                assert "a=setup:actpass" in offer["sdp"]
                answer = await peer.answer(offer["sdp"])
                agent.stdin.write(json.dumps({"type": "answer", "sdp": answer}) + "\n")
            else:
                agent.stdin.write(json.dumps({"type": "offer", "sdp": await peer.offer()}) + "\n")
                answer = json.loads(await loop.run_in_executor(None, agent.stdout.readline))
                assert answer["type"] == "answer"
                # The agent answers as DTLS client, like a browser.
                assert "a=setup:active" in answer["sdp"]
                await peer.accept_answer(answer["sdp"])
            agent.stdin.flush()
            result = await loop.run_in_executor(None, agent.stdout.readline)
            code = await loop.run_in_executor(None, agent.wait)
            assert code == 0, agent.stderr.read()
            assert await wait_for(lambda: peer.frames > 100, timeout=5), peer.frames
            return json.loads(result), peer.dominant_frequency()
        finally:
            if agent.poll() is None:
                agent.kill()
            await peer.close()

    result, heard_by_aiortc = asyncio.run(scenario())
    # 3 s at 50 packets/s, both ways.
    assert result["packetsSent"] >= 140, result
    assert result["packetsReceived"] >= 120, result
    assert result["lossPercent"] < 2, result
    assert abs(heard_by_aiortc - 440) < 15, heard_by_aiortc
    assert abs(dominant_frequency(record) - 660) < 15
    return result


def test_agent_offers_to_aiortc_as_ice_controlling(tmp_path):
    """aiortc answers actpass with active: the agent is ICE controlling and DTLS server."""
    exchange_with_aiortc(tmp_path, offer_from_agent=True)


def test_agent_answers_aiortc_as_ice_controlled_and_dtls_client(tmp_path):
    """aiortc offers as a full ICE agent: the agent is ICE controlled and DTLS client."""
    exchange_with_aiortc(tmp_path, offer_from_agent=False)


def headless_agent_answers(gateway, record, extra_args=(), base=None):
    """The headless agent signs in as Alice (at `base`, default the gateway's), goes ACTIVE and
    answers one call of an aiortc customer (440 Hz) with 660 Hz, recording what it hears; the
    customer hangs up once it has heard the agent. (heard by the customer, the agent's call
    figures, its exit code, its stderr)."""
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        agent = start(["agent", "--gateway", base or gateway.base, "--api-key", gateway.key, "--agent-id", alice,
                       "--tone", "660", "--record", record, "--calls", "1", "--json", *extra_args])
        try:
            assert await wait_for(lambda: gateway.request("GET", f"/ccaas/1/agents/{alice}")["availability"] == "ACTIVE",
                                  timeout=15), agent.stderr.read() if agent.poll() is not None else "not ACTIVE"
            signaling, customer, created = await start_customer_call(gateway)
            await signaling.next("call.established", timeout=15)
            assert await wait_for(lambda: customer.frames > 150, timeout=10), customer.frames
            heard = customer.dominant_frequency()
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            loop = asyncio.get_running_loop()
            line = await loop.run_in_executor(None, agent.stdout.readline)
            code = await loop.run_in_executor(None, agent.wait)
            await customer.close()
            await signaling.close()
            return heard, json.loads(line), code, agent.stderr.read()
        finally:
            if agent.poll() is None:
                agent.kill()

    return asyncio.run(scenario())


def test_agent_answers_an_aiortc_customer_through_the_gateway(gateway, tmp_path):
    """The headless agent signs in as Alice, goes ACTIVE, auto-answers after a delay and hears the
    customer's 440 Hz; the customer hears its 660 Hz."""
    record = str(tmp_path / "alice.wav")
    heard, call, code, stderr = headless_agent_answers(gateway, record, ["--answer-after", "0.5"])
    assert code == 0, stderr
    assert abs(heard - 660) < 15, heard
    assert call["role"] == "agent" and call["hangup"] == "NORMAL_HANGUP" and call.get("failure") is None, call
    assert call["setupSeconds"] >= 0.5, "answered after the ring delay"
    assert call["packetsReceived"] > 100 and call["lossPercent"] < 2, call
    assert abs(dominant_frequency(record) - 440) < 15


def test_headless_customer_calls_an_aiortc_agent(gateway, tmp_path):
    """The customer side of the headless agent: call.start with an offer, the gateway's answer,
    hang-up after the duration; the aiortc agent hears 660 Hz and the customer records 440 Hz."""
    record = str(tmp_path / "customer.wav")
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        signaling = await Signaling.connect(gateway, alice)
        agent = Peer(440)
        customer = start(["customer", "--gateway", gateway.base, "--api-key", gateway.key, "--identity",
                          "headless-7", "--duration", "3", "--record", record, "--json"])
        try:
            await answer_next_call(signaling, agent, timeout=15)
            hangup = await signaling.next("call.hangup", timeout=15)
            loop = asyncio.get_running_loop()
            line = await loop.run_in_executor(None, customer.stdout.readline)
            code = await loop.run_in_executor(None, customer.wait)
            assert line, customer.stderr.read()
            return agent.dominant_frequency(), hangup, json.loads(line), code, customer.stderr.read()
        finally:
            if customer.poll() is None:
                customer.kill()
            await agent.close()
            await signaling.close()

    heard, hangup, call, code, stderr = asyncio.run(scenario())
    assert code == 0, stderr
    assert hangup["errorCode"]["name"] == "NORMAL_HANGUP"
    assert abs(heard - 660) < 15, heard
    assert call["role"] == "customer" and call.get("failure") is None and call["packetsReceived"] > 100, call
    assert abs(dominant_frequency(record) - 440) < 15


def test_bad_token_refused_call_and_bad_input_exit_with_one_line(gateway, tmp_path):
    code, out, err = run(["customer", "--gateway", gateway.base, "--token", "not-a-token"], timeout=30)
    assert code == 1 and err.strip() == "headless-agent: unauthorized: token is malformed", err

    # Nobody is signed in: the center has no available agent.
    code, out, err = run(["customer", "--gateway", gateway.base, "--api-key", gateway.key, "--identity", "lonely-1",
                          "--json"], timeout=60)
    assert code == 1, err
    assert len(err.strip().splitlines()) == 1 and "NO_AVAILABLE_AGENT" in err, err
    assert figures(out)[0]["failure"].startswith("ended with NO_AVAILABLE_AGENT")

    # A customer identity cannot sign in as an agent.
    code, out, err = run(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", "someone-else"],
                         timeout=30)
    assert code == 1 and "not as an agent" in err, err

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    code, out, err = run(["customer", "--gateway", gateway.base, "--token", "x", "--wav", str(bad)], timeout=30)
    assert code == 1 and "bad.wav" in err and len(err.strip().splitlines()) == 1, err

    code, out, err = run(["customer", "--gateway", "http://127.0.0.1:9", "--token", "x"], timeout=30)
    assert code == 1 and "cannot connect" in err, err

    # Options out of range are refused before anything connects.
    for args, words in [(["customer", "--duration=-1"], "--duration must be positive"),
                        (["agent", "--calls", "0"], "--calls must be at least 1"),
                        (["load", "--count", "0"], "--count"),
                        (["peer", "--duration", "0"], "--duration")]:
        code, out, err = run(args + (["--token", "x"] if args[0] in ("customer", "agent", "load") else []), timeout=30)
        assert code != 0 and words in err, (args, err)


def test_load_generator_carries_concurrent_calls(gateway):
    count = int(os.environ.get("HEADLESS_LOAD_CALLS", "20"))
    code, out, err = run(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", str(count),
                          "--rate", "10", "--duration", "4", "--json"], timeout=180)
    assert code == 0, err + "\n".join(out[-5:])
    results = figures(out)
    summary = results[-1]
    calls = [r for r in results[:-1] if r.get("role") == "customer"]
    assert summary["calls"] == count and summary["failedCalls"] == 0, summary
    assert len(calls) == count
    assert summary["peakConcurrentCalls"] >= count // 2, summary
    assert summary["lossPercent"]["max"] < 1 and summary["setupMilliseconds"]["p99"] < 5000, summary
    assert all(c["packetsReceived"] > 150 for c in results[:-1]), "every leg heard about 4 s of audio"


def phone_load(gateway, *options):
    """A `load --callers phone` run of 4 calls through the gateway's SIP port: (summary, phones, agents)."""
    code, out, err = run(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", "4",
                          "--rate", "10", "--duration", "3", "--callers", "phone",
                          "--sip", f"127.0.0.1:{gateway.sip_port}", "--json", *options], timeout=120)
    assert code == 0, err + "\n".join(out)  # every call's figures: 4 calls, 8 legs
    results = [r for r in figures(out) if "event" not in r]
    summary = results[-1]
    assert summary["calls"] == 4 and summary["failedCalls"] == 0, summary
    phones = [r for r in results[:-1] if r.get("role") == "customer"]
    agents = [r for r in results[:-1] if r.get("role") == "agent"]
    assert len(phones) == 4 and len(agents) == 4, results
    assert all(r["packetsReceived"] > 100 and r["lossPercent"] < 1 for r in phones + agents), results
    trunks = gateway.request("GET", "/calls/1/sip-trunks")["results"]
    trunk = [t for t in trunks if t["name"] == "Headless load trunk"]
    assert len(trunk) == 1, "the generator's trunk is made anew each run, not added again"
    return summary, phones, agents, trunk[0]


def test_load_generator_calls_from_phones_transcoded(gateway):
    """Phones in PCMU through a SIP trunk, agents in WebRTC Opus: the agents hear the phones' 660 Hz
    through the gateway's transcoding."""
    summary, phones, agents, trunk = phone_load(gateway, "--phone-codec", "pcmu", "--check-tones")
    assert trunk["codecs"] == ["PCMU"], trunk
    assert all(abs(a["heardFrequency"] - 660) < 15 for a in agents), agents
    assert all(p["identity"].startswith("+1555030") for p in phones), phones


def test_load_generator_calls_from_phones_with_opus_relayed(gateway):
    """Phones in Opus: the gateway relays the payload untouched, so the delay probes at the start of
    every payload arrive both ways (a transcoder would have decoded them as audio)."""
    summary, phones, agents, trunk = phone_load(gateway, "--phone-codec", "opus", "--probe-delay")
    assert trunk["codecs"] == ["OPUS"], trunk
    received = sum(r["packetsReceived"] for r in phones + agents)
    assert summary["delayMilliseconds"]["count"] >= received * 0.99, (summary, received)
    assert all(p.get("delay") for p in phones) and all(a.get("delay") for a in agents)


def test_load_generator_transfers_phones_to_numbers(gateway):
    """--transfer-to-numbers (capacity scenario d): each agent transfers its phone caller to a number
    the generator's trunk answers, so the two phones talk through the gateway, RTP to RTP. Every
    number is dialled once, for its own caller, and hears the caller's probes untouched to the end;
    "established" comes once every number hears audio; the agents end with TRANSFERRED."""
    legs = gateway.counter('gateway_media_legs_total{outcome="opened"}')
    load = start(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", "4", "--rate", "10",
                  "--duration", "4", "--callers", "phone", "--sip", f"127.0.0.1:{gateway.sip_port}",
                  "--phone-codec", "opus", "--probe-delay", "--transfer-to-numbers", "--json"])
    try:
        events = [event for line in lines_of(load, 90) for event in figures([line])]
        assert load.wait(timeout=5) == 0, load.stderr.read() + str(events[-3:])
    finally:
        if load.poll() is None:
            load.kill()
    assert [e["event"] for e in events if "event" in e] == ["ready", "established"], events
    established = next(i for i, e in enumerate(events) if e.get("event") == "established")
    results = [r for r in events if "event" not in r]
    summary = results[-1]
    assert summary["calls"] == 4 and summary["failedCalls"] == 0, summary
    phones = [r for r in results[:-1] if r.get("role") == "customer"]
    agents = [r for r in results[:-1] if r.get("role") == "agent"]
    numbers = [r for r in results[:-1] if r.get("role") == "number"]
    assert len(phones) == len(agents) == len(numbers) == 4, results
    assert sorted(n["identity"] for n in numbers) == sorted("+1555040" + p["identity"][-4:] for p in phones)
    assert all(a["hangup"] == "TRANSFERRED" for a in agents), agents
    assert all(r["packetsReceived"] > 100 and r["lossPercent"] < 1 for r in phones + numbers), results
    # Each number heard its caller's probes (RTP relayed untouched) and was set up before "established".
    assert all(n.get("delay") and sum(c for _, c in n["delay"]) > 100 for n in numbers), numbers
    assert all(events.index(n) > established for n in numbers)
    assert gateway.counter('gateway_media_legs_total{outcome="opened"}') == legs + 12, "phone, agent, number"


def test_load_generator_signs_customers_in_before_the_first_call(gateway):
    """--sign-in-customers-first: {"event":"customersReady"} comes once every customer is signed in,
    and only then do the calls start, at the rate (0.5 a second: the first 2 s later, the third 6 s
    later), so every leg hears audio ("established") no sooner than 6 s after it; all are heard."""
    legs = gateway.counter('gateway_media_legs_total{outcome="opened"}')
    load = start(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", "3", "--rate", "0.5",
                  "--duration", "2", "--probe-delay", "--sign-in-customers-first", "--json"])
    try:
        events, seen = [], {}
        for line in lines_of(load, 60):
            for event in figures([line]):
                events.append(event)
                seen.setdefault(event.get("event"), time.monotonic())
        assert load.wait(timeout=5) == 0, load.stderr.read()
    finally:
        if load.poll() is None:
            load.kill()
    names = [e["event"] for e in events if "event" in e]
    assert names == ["ready", "customersReady", "established"], events
    assert seen["established"] - seen["customersReady"] >= 5.5, "the calls started before the gate opened"
    summary = events[-1]
    assert summary["calls"] == 3 and summary["failedCalls"] == 0, summary
    assert gateway.counter('gateway_media_legs_total{outcome="opened"}') == legs + 6, "two legs a call"


def test_load_generator_refuses_bad_phone_options(gateway):
    base = ["load", "--gateway", gateway.base, "--api-key", gateway.key, "--callers", "phone"]
    for extra, words in [([], "--callers phone needs --sip"),
                         (["--sip", "gateway.example:5060"], "--callers phone needs --sip"),
                         (["--sip", "127.0.0.1:70000"], "--callers phone needs --sip"),
                         (["--sip", "127.0.0.1:5060", "--probe-delay"], "--probe-delay needs --phone-codec opus"),
                         (["--sip", "127.0.0.1:5060", "--phone-codec", "g729"], "phone-codec")]:
        code, out, err = run(base + extra, timeout=30)
        assert code != 0 and words in err, (extra, err)
    code, out, err = run(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--transfer-to-numbers"],
                         timeout=30)
    assert code != 0 and "--transfer-to-numbers needs --callers phone" in err, err


def test_agent_dials_an_in_app_identity(gateway, tmp_path):
    """`agent --dial`: conversation.outbound, then call.start with isOutbound; the aiortc callee
    hears 523 Hz and the agent records its 784 Hz; the agent hangs up after 3 s."""
    record = str(tmp_path / "dialled.wav")
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        signaling = await Signaling.connect(gateway, "customer-dialled")
        callee = Peer(784)
        agent = start(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", alice,
                       "--dial", "customer-dialled", "--tone", "523", "--record", record, "--hang-up-after", "3",
                       "--json"])
        try:
            incoming = await signaling.next("call.incoming", timeout=15)
            assert incoming["counterpart"]["identity"] == alice
            await signaling.send({"type": "call.accept", "callId": incoming["callId"],
                                  "sdp": await callee.answer(incoming["sdp"])})
            await signaling.next("call.established", timeout=15)
            hangup = await signaling.next("call.hangup", timeout=15)
            loop = asyncio.get_running_loop()
            line = await loop.run_in_executor(None, agent.stdout.readline)
            code = await loop.run_in_executor(None, agent.wait)
            assert line, agent.stderr.read()
            return callee.dominant_frequency(), hangup, json.loads(line), code, agent.stderr.read()
        finally:
            if agent.poll() is None:
                agent.kill()
            await callee.close()
            await signaling.close()

    heard, hangup, call, code, stderr = asyncio.run(scenario())
    assert code == 0, stderr
    assert hangup["errorCode"]["name"] == "NORMAL_HANGUP"
    assert abs(heard - 523) < 15, heard
    assert call["role"] == "agent" and call.get("failure") is None and call["packetsReceived"] > 100, call
    assert abs(dominant_frequency(record) - 784) < 15


def test_agent_dials_a_phone_number_through_a_trunk(gateway, tmp_path):
    """`agent --dial +15557000 --pstn`: SIPp answers after ringing; SIPp hears the agent's
    523 Hz after Opus -> G.711 and the agent records SIPp's 784 Hz after G.711 -> Opus."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    require_sipp()
    require_tshark()
    record = str(tmp_path / "phone.wav")
    alice = gateway.agents["Alice Agent"]
    callee = Sipp("uas_answer", tone=(784, 6.0), variables={"ring_ms": 500})
    queue = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]
    status, reply = gateway.post_trunk({"name": "sipp", "destinationHosts": [callee.address],
                                        "numbers": [{"number": "+15550100", "queueId": queue}],
                                        "defaultCallerId": "+15550100"})
    assert status == 201, reply
    try:
        callee.start()
        with capture_rtp(callee.media_port) as heard_by_phone:
            code, out, err = run(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", alice,
                                  "--dial", "+15557000", "--pstn", "--tone", "523", "--record", record,
                                  "--hang-up-after", "3", "--json"], timeout=60)
        result = callee.wait(15)
    finally:
        callee.stop()
    assert code == 0, err
    result.assert_ok()
    call = figures(out)[0]
    assert call["hangup"] == "NORMAL_HANGUP" and call["packetsReceived"] > 100, call
    assert heard_by_phone.packet_count > 100
    assert abs(heard_by_phone.dominant_frequency() - 523) < 15, heard_by_phone.dominant_frequency()
    assert abs(dominant_frequency(record) - 784) < 15


def test_a_peer_that_sends_nothing_is_lost_media(tmp_path):
    """aiortc answers without a track (recvonly): the agent still sends (aiortc hears 440 Hz) but
    hears nothing, so it exits 1 with one line saying so."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    async def scenario():
        agent = start(["peer", "--offer", "--duration", "2"])
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        frames = []

        @pc.on("track")
        def on_track(track):
            async def read():
                try:
                    while True:
                        frames.append(await track.recv())
                except Exception:
                    pass
            asyncio.ensure_future(read())

        loop = asyncio.get_running_loop()
        try:
            offer = json.loads(await loop.run_in_executor(None, agent.stdout.readline))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            assert "a=recvonly" in pc.localDescription.sdp
            agent.stdin.write(json.dumps({"type": "answer", "sdp": pc.localDescription.sdp}) + "\n")
            agent.stdin.flush()
            code = await loop.run_in_executor(None, agent.wait)
            return code, agent.stderr.read(), len(frames)
        finally:
            if agent.poll() is None:
                agent.kill()
            await pc.close()

    code, stderr, heard_by_aiortc = asyncio.run(scenario())
    assert code == 1 and stderr.strip() == "headless-agent: no audio received", stderr
    assert heard_by_aiortc > 50, heard_by_aiortc


def test_a_signaling_server_that_stays_silent_is_given_up_with_a_reason():
    """A server that accepts the WebSocket and then says nothing (a dead connection): the agent
    gives up after 15 s with one line saying so, instead of hanging."""
    import threading
    import time

    import websockets.sync.server

    def silent(connection):
        for _ in connection:  # until the agent closes it
            pass

    server = websockets.sync.server.serve(silent, "127.0.0.1", 0)
    port = server.socket.getsockname()[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        code, out, err = run(["customer", "--gateway", f"http://127.0.0.1:{port}", "--token", "x"], timeout=40)
        waited = time.monotonic() - started
        assert code == 1 and "the gateway sent nothing for 15 s after the connection opened" in err, err
        assert 14 <= waited <= 25, waited
    finally:
        server.shutdown()


def test_the_load_generator_waits_out_the_gateways_request_rate():
    """With the API key limited to 3 requests a second, `load` (about 20 requests to sign in 5
    agents and 5 customers) is answered 429 along the way, waits as `Retry-After` says and
    carries every call."""
    from peers import Gateway
    limited = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_MAX_REQUESTS_PER_SECOND": "3"})
    try:
        code, out, err = run(["load", "--gateway", limited.base, "--api-key", limited.key, "--count", "5",
                              "--rate", "5", "--duration", "2", "--json"], timeout=180)
        assert code == 0, err + "\n".join(out[-5:])
        summary = figures(out)[-1]
        assert summary["calls"] == 5 and summary["failedCalls"] == 0, summary
        statuses = [limited.request_raw("GET", "/ccaas/1/queues")[0] for _ in range(5)]
        assert 429 in statuses, "the limit is on: a burst is refused"
    finally:
        limited.stop()


def test_the_load_generator_counts_the_calls_a_dead_gateway_never_carried():
    """The gateway is killed while `load` runs: it exits 1 and its summary counts every call that
    did not carry audio as failed (it used to say 0 of N failed while exiting 1)."""
    import signal
    import time

    from peers import Gateway
    doomed = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    generator = start(["load", "--gateway", doomed.base, "--api-key", doomed.key, "--count", "6",
                       "--rate", "1", "--duration", "20", "--json"])
    try:
        time.sleep(3)
        doomed.proc.send_signal(signal.SIGKILL)
        out, err = generator.communicate(timeout=120)
    finally:
        generator.kill()
        doomed.wait_stopped()
    assert generator.returncode == 1, err
    summary = figures(out.splitlines())[-1]
    assert summary["failedCalls"] == 6, summary
    assert "6 of 6 calls failed" in err, err


def open_sessions(gateway):
    """`gateway_websocket_connections` from /metrics."""
    text = urllib.request.urlopen(gateway.base + "/metrics", timeout=10).read().decode()
    return [float(line.split()[-1]) for line in text.splitlines() if line.startswith("gateway_websocket_connections")][0]


def test_storm_signs_agents_in_drops_them_and_signs_them_in_again(gateway, tmp_path):
    """`headless-agent storm` (the generator of Benchmarks/signaling_scale.py --swift-generator):
    every agent signed in and ACTIVE, the gateway holding a session each; all dropped at once, the
    gateway holding none; all back at once, ACTIVE again; bad input refused with a clear line."""
    count = 40
    agents = []
    for index in range(count):
        agent = gateway.request("POST", "/ccaas/1/agents", {"displayName": f"Storm agent {index:02d}", "role": "AGENT",
                                                           "status": "AWAY"})
        agents.append(agent["id"])
    ws = gateway.base.replace("http://", "ws://")
    urls = tmp_path / "urls"
    urls.write_text("".join(f"{ws}/webrtc/1/signaling?token={gateway.token(a)}\n" for a in agents))

    def statuses():
        return {gateway.poll(f"/ccaas/1/agents/{a}")["status"] for a in agents}

    assert statuses() == {"AWAY"}
    # Sessions of this module's earlier tests may still be closing: counted, not assumed gone.
    before = open_sessions(gateway)
    storm = start(["storm", "--urls", str(urls), "--in-flight", "8", "--beat", "1"])
    try:
        def event():
            line = storm.stdout.readline()
            assert line, f"storm ended early: {storm.stderr.read()}"
            return json.loads(line)

        signed_in = event()
        assert signed_in["event"] == "signedIn" and signed_in["failed"] == 0, signed_in
        assert statuses() == {"ACTIVE"}
        assert open_sessions(gateway) >= count

        storm.stdin.write("drop\n")
        assert event() == {"event": "dropped"}
        assert asyncio.run(wait_for(lambda: open_sessions(gateway) <= before, timeout=15)), open_sessions(gateway)

        storm.stdin.write("storm\n")
        again = event()
        assert again["event"] == "storm" and again["failed"] == 0 and again["seconds"] > 0, again
        assert statuses() == {"ACTIVE"}
        assert open_sessions(gateway) >= count

        storm.stdin.write("nonsense\n")
        assert event() == {"event": "error", "message": "unknown command"}
        storm.stdin.write("end\n")
        assert storm.wait(timeout=30) == 0
    finally:
        storm.kill()

    empty = tmp_path / "empty"
    empty.write_text("")
    for args, words in [(["--urls", str(empty)], "names no URL"),
                        (["--urls", str(tmp_path / "missing")], "missing"),
                        (["--urls", str(urls), "--in-flight", "0"], "--in-flight and --beat must be positive")]:
        code, out, err = run(["storm"] + args, timeout=30)
        assert code != 0 and words in err, (args, err)
