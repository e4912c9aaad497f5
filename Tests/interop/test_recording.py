"""Call recording with real peers: an aiortc customer (440 Hz) talks to a headless agent (660 Hz)
while the account's configuration records inbound calls, composed. The files are downloaded over
REST and analysed: each participant's file holds only their own tone, the composed file has the
customer on the left and the agent on the right, a paused span is silence and listed, durations
match the call. Ranges, filters, deletion and the signaling events are checked on the way; a
gateway killed mid-call leaves files that are repaired at the next start. Loopback only."""

import asyncio
import io
import os
import signal
import time
import urllib.error
import urllib.request
import wave

import numpy as np

from headless import start
from peers import Gateway, Signaling, close_all, start_customer_call, wait_for

CUSTOMER, AGENT = 440, 660
CONFIG = {"inbound": True, "outbound": True, "autoCompose": True, "mediaType": "AUDIO", "enabled": True}


def download(gateway, recording_id, range_header=None, query=None):
    """(status, headers, body) of a download: with the API key, or with `query` (a signed link)."""
    req = urllib.request.Request(f"{gateway.base}/ccaas/voice/2/recording/download/{recording_id}"
                                 + (f"?{query}" if query else ""))
    if query is None:
        req.add_header("Authorization", f"App {gateway.key}")
    if range_header:
        req.add_header("Range", range_header)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def channels(body):
    """(rate, [samples per channel]) of a WAV file's bytes."""
    with wave.open(io.BytesIO(body)) as f:
        rate, count = f.getframerate(), f.getnchannels()
        data = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16).astype(np.float64)
    return rate, [data[c::count] for c in range(count)]


def level(samples, rate, frequency):
    """Share of the strongest spectral peak at `frequency`."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[:5] = 0
    index = int(round(frequency * len(samples) / rate))
    return float(spectrum[index - 3:index + 4].max() / max(spectrum.max(), 1e-9))


def start_agent(gateway, agent_id, calls=1):
    return start(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", agent_id,
                  "--tone", str(AGENT), "--answer-after", "0.3", "--calls", str(calls), "--json"])


async def agent_ready(gateway, agent_id, process):
    assert await wait_for(
        lambda: gateway.request("GET", f"/ccaas/1/agents/{agent_id}")["availability"] == "ACTIVE", timeout=15), (
        process.stderr.read() if process.poll() is not None else "not ACTIVE")


def metadata(gateway, query=""):
    return gateway.request("GET", f"/ccaas/voice/2/recording/metadata?{query}")


def test_a_call_is_recorded_per_participant_composed_paused_and_served(gateway):
    alice = gateway.agents["Alice Agent"]
    sam = gateway.agents["Sam Supervisor"]
    status, reply = gateway.request_raw("PUT", "/ccaas/voice/2/account-recording-config",
                                        dict(CONFIG, inbound=False, outbound=False))
    assert (status, reply["message"]) == (400, "inbound: Either inbound or outbound should be selected"), reply
    gateway.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)

    async def scenario():
        agent = start_agent(gateway, alice)
        supervisor = await Signaling.connect(gateway, sam)
        signaling, customer = None, None
        try:
            await agent_ready(gateway, alice, agent)
            signaling, customer, created = await start_customer_call(gateway, "customer-recorded")
            conversation = created["conversationId"]
            await signaling.next("call.established", timeout=15)
            established = time.monotonic()
            started = await supervisor.next("call.recording", timeout=10)
            assert started["event"] == "CALL_RECORDING_STARTED", started
            assert {r["participantType"] for r in started["recordings"]} == {"CUSTOMER", "AGENT", None}, started
            # A customer may neither pause the recording nor list recordings.
            await signaling.send({"type": "call.record", "callId": created["callId"], "action": "PAUSE", "id": "p1"})
            refused = await signaling.next("error", where=lambda f: f.get("id") == "p1")
            assert refused["code"] == "FORBIDDEN", refused
            await signaling.send({"type": "recordings.list", "id": "l1"})
            refused = await signaling.next("error", where=lambda f: f.get("id") == "l1")
            assert refused["code"] == "FORBIDDEN", refused
            await asyncio.sleep(2)
            path = f"/ccaas/voice/2/conversation/{conversation}/recording"
            assert gateway.request("PATCH", f"{path}/pause")["message"] == "Recording paused."
            paused_at = time.monotonic() - established
            await asyncio.sleep(1.5)
            assert gateway.request("PATCH", f"{path}/resume")["message"] == "Recording resumed."
            resumed_at = time.monotonic() - established
            status, reply = gateway.request_raw("PATCH", f"{path}/resume", agent=gateway.agents["Bob Agent"])
            assert status == 403, reply
            await asyncio.sleep(2)
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            call_seconds = time.monotonic() - established
            events = [started]
            while len([e for e in events if e["event"] == "CALL_RECORDING_READY"]) < 3:
                events.append(await supervisor.next("call.recording", timeout=10))
            status, reply = gateway.request_raw("PATCH", f"{path}/pause")
            assert (status, reply["message"]) == (412, f"No call for conversation {conversation}."), reply
            await asyncio.get_running_loop().run_in_executor(None, agent.wait)
            return conversation, created["callId"], call_seconds, paused_at, resumed_at, events
        finally:
            if agent.poll() is None:
                agent.kill()
            await close_all(customer, signaling, supervisor)

    conversation, call_id, call_seconds, paused_at, resumed_at, events = asyncio.run(scenario())
    assert [e["event"] for e in events[:2]] == ["CALL_RECORDING_STARTED", "CALL_RECORDING_STOPPED"], events

    listed = metadata(gateway, f"conversationId={conversation}&sortBy=participantType&sortDirection=ASC")
    assert listed["total"] == 3 and listed["totalPages"] == 1, listed
    files = {f["participantType"]: f for f in listed["elements"]}
    for f in files.values():
        assert f["recordingStatus"] == "SUCCESSFUL" and f["callId"] == call_id and f["direction"] == "INBOUND", f
        # The recording starts before the parties are told the call is established and ends at
        # the hang-up the gateway receives after the customer sent it (signaling latency only).
        assert -0.05 < f["durationMilliseconds"] / 1000 - call_seconds < 0.5, (f, call_seconds)
        assert len(f["pausedSpans"]) == 1 and f["pausedSpans"][0]["resumedAt"] is not None, f
        assert f["filename"].startswith(f"{conversation}_") and f["filename"].endswith(f"-{f['recordingId']}.wav")
    assert files["AGENT"]["participantIdentity"] == alice and files["AGENT"]["participantName"] == "Alice Agent"
    assert files["CUSTOMER"]["participantIdentity"] == "customer-recorded"
    assert files[None]["composed"] and not files["AGENT"]["composed"]

    spans = {}
    for kind, f in files.items():
        status, headers, body = download(gateway, f["recordingId"])
        assert status == 200 and headers["Content-Type"] == "audio/wav" and headers["Accept-Ranges"] == "bytes"
        assert int(headers["Content-Length"]) == len(body) == f["size"], (headers, len(body), f)
        spans[kind] = channels(body)
        rate, tracks = spans[kind]
        assert abs(len(tracks[0]) / rate * 1000 - f["durationMilliseconds"]) < 1, (f, len(tracks[0]))
    rate, (customer_track,) = spans["CUSTOMER"]
    _, (agent_track,) = spans["AGENT"]
    _, (left, right) = spans[None]

    def talk(samples):
        """What was said before the pause (less the first half second, media coming up)."""
        return samples[int(rate * 0.5):int(rate * (paused_at - 0.1))]

    assert level(talk(customer_track), rate, CUSTOMER) > 0.5 and level(talk(customer_track), rate, AGENT) < 0.02
    assert level(talk(agent_track), rate, AGENT) > 0.5 and level(talk(agent_track), rate, CUSTOMER) < 0.02
    assert np.array_equal(left, customer_track) and np.array_equal(right, agent_track), "composed: customer left"
    quiet = slice(int(rate * (paused_at + 0.15)), int(rate * (resumed_at - 0.15)))
    for track in (customer_track, agent_track):
        assert np.abs(track[quiet]).max() == 0, "the paused span is silence"
        after = track[int(rate * (resumed_at + 0.3)):int(rate * (call_seconds - 0.2))]
        assert np.abs(after).max() > 1000, "recording goes on after the resume"

    # Ranges.
    composed = files[None]
    size = composed["size"]
    _, _, whole = download(gateway, composed["recordingId"])
    status, headers, body = download(gateway, composed["recordingId"], "bytes=0-43")
    assert status == 206 and body == whole[:44] and body[:4] == b"RIFF", (status, headers)
    assert headers["Content-Range"] == f"bytes 0-43/{size}"
    status, headers, body = download(gateway, composed["recordingId"], "bytes=-100")
    assert status == 206 and body == whole[-100:] and headers["Content-Range"] == f"bytes {size - 100}-{size - 1}/{size}"
    status, headers, body = download(gateway, composed["recordingId"], "bytes=1000-1999")
    assert status == 206 and body == whole[1000:2000] and headers["Content-Length"] == "1000"
    status, headers, body = download(gateway, composed["recordingId"], "bytes=abc")
    assert status == 400 and b"Invalid range header format" in body, body
    status, headers, body = download(gateway, composed["recordingId"], f"bytes={size}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}", (status, headers)

    # Without a key, only a valid signed link opens a file (the supervisor page gets those).
    status, _, _ = download(gateway, composed["recordingId"], query="")
    assert status == 401
    status, _, _ = download(gateway, composed["recordingId"], query="expires=99999999999&signature=forged")
    assert status == 401

    # Filters and paging.
    assert metadata(gateway, f"conversationId={conversation}&participantType=AGENT")["total"] == 1
    assert metadata(gateway, f"conversationId={conversation}&durationFrom=3600")["total"] == 0
    assert metadata(gateway, f"callId={call_id}&durationTo=3600&startedAtFrom=1")["total"] == 3
    page = metadata(gateway, f"conversationId={conversation}&size=2&page=1")
    assert len(page["elements"]) == 1 and page["totalPages"] == 2, page
    for query, field in (("size=0", "size"), ("sortBy=color", "sortBy"), ("durationFrom=-1", "durationFrom"),
                         ("sortDirection=UP", "sortDirection")):
        status, reply = gateway.request_raw("GET", f"/ccaas/voice/2/recording/metadata?{query}")
        assert status == 400 and reply["message"].startswith(f"{field}:"), (query, reply)

    # Every text filter finds the file whose field it names, and only files that match.
    import urllib.parse
    agent_meta = files["AGENT"]
    for field in ("recordingId", "conversationId", "conferenceId", "callId", "direction", "filename", "participantId",
                  "participantIdentity", "participantName", "participantType", "mediaType"):
        found = metadata(gateway, f"{field}={urllib.parse.quote(str(agent_meta[field]))}&size=999")["elements"]
        assert agent_meta["recordingId"] in [f["recordingId"] for f in found], field
        assert all(f[field] == agent_meta[field] for f in found), field
    started = agent_meta["startedAt"]
    assert metadata(gateway, f"callId={call_id}&startedAtFrom={started}&startedAtTo={started}")["total"] == 3
    assert metadata(gateway, f"callId={call_id}&startedAtFrom={started + 1}")["total"] == 0
    seconds = agent_meta["duration"]
    assert metadata(gateway, f"callId={call_id}&durationFrom={seconds}&durationTo={seconds}")["total"] == 3

    # Deletion: the file goes, its metadata stays.
    agent_file = files["AGENT"]["recordingId"]
    deleted = gateway.request("DELETE", f"/calls/1/recordings/files/{agent_file}")
    assert deleted["deletedBy"] == "API" and deleted["deletedAt"] > 0, deleted
    status, _, body = download(gateway, agent_file)
    assert status == 404 and f"Recording file {agent_file} not found!".encode() in body, body
    assert metadata(gateway, f"conversationId={conversation}&deletedBy=API")["total"] == 1
    at = deleted["deletedAt"]
    assert metadata(gateway, f"conversationId={conversation}&deletedAtFrom={at}&deletedAtTo={at}")["total"] == 1
    assert metadata(gateway, f"conversationId={conversation}&deletedAtTo={at - 1}")["total"] == 0
    rest = gateway.request("DELETE", f"/calls/1/recordings/calls/{call_id}")
    assert len(rest["files"]) == 2, rest
    status, reply = gateway.request_raw("DELETE", f"/calls/1/recordings/calls/{call_id}")
    assert status == 404, reply
    assert not [n for n in os.listdir(os.path.join(gateway.data, "recordings")) if conversation in n]


def test_a_gateway_killed_mid_call_leaves_files_repaired_at_the_next_start():
    first = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    second = None
    try:
        first.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)
        alice = first.agents["Alice Agent"]

        async def scenario():
            agent = start_agent(first, alice)
            signaling, customer = None, None
            try:
                await agent_ready(first, alice, agent)
                signaling, customer, created = await start_customer_call(first, "customer-killed")
                await signaling.next("call.established", timeout=15)
                await asyncio.sleep(3)
                first.proc.send_signal(signal.SIGKILL)
                first.proc.wait()
                return created["conversationId"]
            finally:
                if agent.poll() is None:
                    agent.kill()
                await close_all(customer, signaling)

        conversation = asyncio.run(scenario())
        second = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"}, data_dir=first.data, key=first.key)
        files = metadata(second, f"conversationId={conversation}")["elements"]
        assert len(files) == 3, files
        for f in files:
            assert f["recordingStatus"] == "SUCCESSFUL", f
            # Written as it grew: about the last second is lost (a tap's chunk, the timeline's window).
            assert 1800 < f["durationMilliseconds"] < 3500, f
            status, _, body = download(second, f["recordingId"])
            assert status == 200
            rate, tracks = channels(body)
            assert abs(len(tracks[0]) - f["durationMilliseconds"] * rate / 1000) <= rate / 1000, "the header is true"
        agent_file = next(f for f in files if f["participantType"] == "AGENT")
        _, _, body = download(second, agent_file["recordingId"])
        rate, (track,) = channels(body)
        assert level(track[int(rate * 0.5):], rate, AGENT) > 0.5
    finally:
        if second:
            second.stop()
        if first.proc.poll() is None:
            first.stop()


def silent_run(samples, rate, at_least=0.3):
    """(start, end) in seconds of the first run of exact silence lasting `at_least`, after the
    first half second."""
    quiet = np.concatenate([[False], samples == 0, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    for start, end in zip(edges[::2], edges[1::2]):
        if start > rate * 0.5 and end - start >= rate * at_least:
            return start / rate, end / rate
    raise AssertionError("no silent span")


def test_a_phone_call_with_loss_is_recorded_aligned_and_a_transfer_starts_a_new_recording(gateway):
    """A SIPp caller (PCMA, 440 Hz) with 5% of its packets dropped talks to Alice (aiortc, 660 Hz),
    whose recording is paused and resumed; Alice transfers it to Bob (880 Hz), whose recording is a
    new one naming Alice. The phone's track has the losses as short silences, yet its duration is
    the call's and both channels fall silent and resume together at the pause."""
    from netfilter import drop_udp_from, require_nft
    from peers import Peer, answer_next_call
    from sip_peers import Sipp, require_sipp
    from test_sip_trunks import NUMBER, add_trunk
    from test_transfer import set_status

    require_sipp()
    require_nft()
    alice_id, bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    gateway.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)
    phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                 tone=(CUSTOMER, 20.0), keys={"offer_formats": "8 101"}, variables={"wait_bye": True}, timeout=40)
    add_trunk(gateway, phone.address, codecs=["PCMA"])

    async def scenario():
        alice, bob = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, bob_id)
        alice_peer, bob_peer = Peer(660), Peer(880)
        try:
            await set_status(bob, "BUSY")
            with drop_udp_from(phone.media_port, 5) as dropped:
                phone.start()
                incoming = await answer_next_call(alice, alice_peer)
                established = time.monotonic()
                conversation = incoming["conversationId"]
                await asyncio.sleep(2.5)
                path = f"/ccaas/voice/2/conversation/{conversation}/recording"
                gateway.request("PATCH", f"{path}/pause")
                await asyncio.sleep(1)
                gateway.request("PATCH", f"{path}/resume")
                await asyncio.sleep(2.5)
                await set_status(bob, "ACTIVE")
                status, reply = gateway.request_raw(
                    "PATCH", f"/ccaas/voice/2/conversation/{conversation}/transfer/agent", {"agentId": bob_id})
                assert status == 200, reply
                # Alice's recording ends as the call moves to Bob, when she is told she left.
                async def left():
                    await alice.next("call.hangup", timeout=10)
                    return time.monotonic()

                alice_left = asyncio.create_task(left())
                offered = await answer_next_call(bob, bob_peer)
                first_seconds = await alice_left - established
                await asyncio.sleep(2)
                await bob.send({"type": "call.hangup", "callId": offered["callId"]})
                result = await asyncio.to_thread(phone.wait)
                lost = dropped()
            result.assert_ok()
            return conversation, first_seconds, lost
        finally:
            phone.stop()
            await close_all(alice_peer, bob_peer, alice, bob)

    conversation, first_seconds, lost = asyncio.run(scenario())
    assert lost >= 5, f"only {lost} packets dropped"

    def ready():
        files = metadata(gateway, f"conversationId={conversation}")["elements"]
        return files if len(files) == 6 and all(f["recordingStatus"] == "SUCCESSFUL" for f in files) else None

    assert asyncio.run(wait_for(ready, timeout=10)), metadata(gateway, f"conversationId={conversation}")
    files = ready()
    alices = [f for f in files if f["transferredTo"] is None]
    bobs = [f for f in files if f["transferredTo"] == bob_id]
    assert len(alices) == 3 and len(bobs) == 3, files
    for f in bobs:
        assert (f["transferredFrom"], f["transferredFromQueue"]) == (alice_id, f["transferredToQueue"]), f
        assert f["transferredToQueue"] is not None and f["direction"] == "INBOUND", f
    assert {f["participantIdentity"] for f in bobs if f["participantType"] == "AGENT"} == {bob_id}
    for field in ("transferredFrom", "transferredTo", "transferredFromQueue", "transferredToQueue"):
        found = metadata(gateway, f"conversationId={conversation}&{field}={bobs[0][field]}")["elements"]
        assert sorted(f["recordingId"] for f in found) == sorted(f["recordingId"] for f in bobs), field
    assert {f["participantIdentity"] for f in alices if f["participantType"] == "AGENT"} == {alice_id}

    composed = next(f for f in alices if f["composed"])
    # Alice's recording lasts from her answer to the transfer: the dropped packets take nothing off.
    assert abs(composed["durationMilliseconds"] / 1000 - first_seconds) < 0.15, (composed, first_seconds)
    _, _, body = download(gateway, composed["recordingId"])
    rate, (phone_track, alice_track) = channels(body)
    assert level(phone_track[rate:int(rate * 2.4)], rate, CUSTOMER) > 0.5
    assert level(alice_track[rate:int(rate * 2.4)], rate, 660) > 0.5
    phone_pause = silent_run(phone_track, rate)
    alice_pause = silent_run(alice_track, rate)
    # The dropped packets are short silences in the phone's track (outside the pause): over about
    # 5 s of talk some 13 are expected, so seeing fewer than 3 would mean no loss reached it.
    frame = rate // 50
    talk = np.concatenate([phone_track[int(rate * 0.5):int(rate * (phone_pause[0] - 0.1))],
                           phone_track[int(rate * (phone_pause[1] + 0.1)):int(rate * (first_seconds - 0.3))]])
    holes = sum(1 for i in range(0, len(talk) - frame, frame // 2) if not talk[i:i + frame // 2].any())
    assert holes >= 3, f"the dropped packets left {holes} gaps"
    assert not any(not alice_track[i:i + frame // 2].any()
                   for i in range(int(rate * 0.5), int(rate * (alice_pause[0] - 0.1)), frame // 2)), "Alice lost nothing"
    # Both channels fall silent and resume together: each edge is a packet boundary of its own
    # stream (up to 20 ms apart), one more if the phone's packet at the edge was dropped (20 ms),
    # plus the anchoring's tolerance and jitter: within 65 ms, where misaligned tracks would be off
    # by the clocks' offset.
    assert abs(phone_pause[0] - alice_pause[0]) < 0.065, (phone_pause, alice_pause)
    assert abs(phone_pause[1] - alice_pause[1]) < 0.065, (phone_pause, alice_pause)
    assert 0.8 < phone_pause[1] - phone_pause[0] < 1.3, phone_pause

    bob_file = next(f for f in bobs if f["participantType"] == "AGENT")
    _, _, body = download(gateway, bob_file["recordingId"])
    rate, (bob_track,) = channels(body)
    assert level(bob_track[int(rate * 0.5):], rate, 880) > 0.5


class WebhookReceiver:
    """A local HTTP server collecting the JSON bodies POSTed to it."""

    def __init__(self):
        import http.server
        import json
        import threading
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_a_full_disk_fails_the_recording_and_the_call_goes_on(tmp_path):
    """The recordings folder is a 16 KB tmpfs: it fills within seconds of a call. The files
    become FAILED with a CALL_RECORDING_FAILED event (on signaling and at the call event
    webhook), and both parties still hear each other."""
    from netfilter import require_nft  # root is what this needs too
    from peers import Peer, answer_next_call, assert_hears, listen_a_while
    import subprocess

    require_nft()
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], check=True)
    gateway = None
    webhook = WebhookReceiver()
    try:
        gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_RECORDINGS_DIR": str(folder),
                           "GATEWAY_CALL_EVENT_WEBHOOK_URL": webhook.url})
        gateway.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)
        alice_id, sam_id = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]

        async def scenario():
            alice, sam = await Signaling.connect(gateway, alice_id), await Signaling.connect(gateway, sam_id)
            alice_peer = Peer(660)
            signaling, customer = None, None
            try:
                signaling, customer, created = await start_customer_call(gateway, "customer-disk-full")
                await answer_next_call(alice, alice_peer)
                started = await sam.next("call.recording", timeout=10)
                assert started["event"] == "CALL_RECORDING_STARTED", started
                failed = await sam.next("call.recording", timeout=15,
                                        where=lambda f: f["event"] == "CALL_RECORDING_FAILED")
                # Pausing afterwards changes the spans only: a failed file stays FAILED.
                path = f"/ccaas/voice/2/conversation/{created['conversationId']}/recording"
                gateway.request("PATCH", f"{path}/pause")
                gateway.request("PATCH", f"{path}/resume")
                since = await listen_a_while(customer, alice_peer)
                assert_hears(customer, since[0], [660], [])
                assert_hears(alice_peer, since[1], [CUSTOMER], [])
                await signaling.send({"type": "call.hangup", "callId": created["callId"]})
                await signaling.next("call.hangup", timeout=5)
                return failed
            finally:
                await close_all(customer, signaling, alice_peer, alice, sam)

        failed = asyncio.run(scenario())
        assert "No space left on device" in failed["recordings"][0]["failureReason"], failed
        failed_id = failed["recordings"][0]["recordingId"]

        def settled():
            files = metadata(gateway, "participantType=CUSTOMER")["elements"]
            return files and all(f["recordingStatus"] != "IN_PROGRESS" for f in files)

        assert asyncio.run(wait_for(settled, timeout=10))
        statuses = {f["recordingStatus"] for f in metadata(gateway, "size=10")["elements"]}
        assert "FAILED" in statuses and "IN_PROGRESS" not in statuses, statuses
        failed_file = metadata(gateway, f"recordingId={failed_id}")["elements"][0]
        assert failed_file["recordingStatus"] == "FAILED" and len(failed_file["pausedSpans"]) == 1, failed_file
        assert asyncio.run(wait_for(lambda: "CALL_RECORDING_FAILED" in [e["type"] for e in webhook.received]))
        types = [e["type"] for e in webhook.received]
        assert types[:2] == ["CALL_RECORDING_STARTED", "CALL_RECORDING_FAILED"], types
        first = webhook.received[0]
        assert first["callId"] and first["timestamp"] and first["properties"]["agentId"] == alice_id, first
        assert len(first["properties"]["recordings"]) == 3, first
        code, log = gateway.stop()
        assert code == 0, log[-2000:]
        gateway = None
    finally:
        webhook.close()
        if gateway:
            gateway.stop()
        subprocess.run(["umount", str(folder)], check=False)


def test_an_agents_outbound_call_to_a_phone_is_recorded_by_the_agents_own_configuration(gateway):
    """Alice's own configuration records her outbound calls only (the account's records nothing
    outbound): she dials a SIPp phone (784 Hz) with her 523 Hz; the CUSTOMER file is the phone's
    number with its tone, the AGENT file hers, direction OUTBOUND. Bob, on the account's
    configuration, is not recorded when he dials."""
    from peers import Peer
    from sip_peers import Sipp, require_sipp
    from test_sip_trunks import add_trunk, agent_dials, retarget

    require_sipp()
    alice, bob = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    gateway.request("PUT", "/ccaas/voice/2/account-recording-config", dict(CONFIG, outbound=False))
    status, reply = gateway.request_raw("PUT", f"/ccaas/voice/2/agent-recording-configs/{alice}",
                                        {"mediaType": "AUDIO", "outbound": True, "useDefault": False, "enabled": True})
    assert status == 200 and reply["outbound"] is True, reply

    trunks = []

    async def call(agent_id, number, tone):
        signaling = await Signaling.connect(gateway, agent_id)
        peer = Peer(tone)
        phone = Sipp("uas_answer", tone=(784, 6.0), variables={"ring_ms": 200})
        if trunks:
            retarget(gateway, trunks[0], phone.address)
        else:
            trunks.append(add_trunk(gateway, phone.address))
        try:
            phone.start()
            created, conversation = await agent_dials(gateway, signaling, agent_id, peer, number)
            await signaling.next("call.established", timeout=15)
            await asyncio.sleep(3)
            if agent_id == bob:
                status, reply = gateway.request_raw(
                    "PATCH", f"/ccaas/voice/2/conversation/{conversation}/recording/pause")
                assert (status, reply["message"]) == (
                    409, f"The call {created['callId']} is not being recorded."), reply
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            await signaling.next("call.hangup", timeout=5)
            (await asyncio.to_thread(phone.wait, 15)).assert_ok()
            return conversation
        finally:
            phone.stop()
            await close_all(peer, signaling)

    alices_call = asyncio.run(call(alice, "+15557001", 523))
    bobs_call = asyncio.run(call(bob, "+15557002", 587))

    def ready():
        files = metadata(gateway, f"conversationId={alices_call}")["elements"]
        return files if len(files) == 3 and all(f["recordingStatus"] == "SUCCESSFUL" for f in files) else None

    assert asyncio.run(wait_for(ready, timeout=10)), metadata(gateway, f"conversationId={alices_call}")
    files = {f["participantType"]: f for f in ready()}
    assert all(f["direction"] == "OUTBOUND" for f in files.values())
    assert files["CUSTOMER"]["participantIdentity"] == "+15557001" and files["AGENT"]["participantIdentity"] == alice
    for kind, tone, other in (("CUSTOMER", 784, 523), ("AGENT", 523, 784)):
        _, _, body = download(gateway, files[kind]["recordingId"])
        rate, (track,) = channels(body)
        talk = track[int(rate * 0.7):]
        assert level(talk, rate, tone) > 0.5 and level(talk, rate, other) < 0.02, kind
    assert metadata(gateway, f"conversationId={bobs_call}")["total"] == 0, "Bob's call is not recorded"
