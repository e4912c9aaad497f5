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


def download(gateway, recording_id, range_header=None):
    """(status, headers, body) of a download."""
    req = urllib.request.Request(f"{gateway.base}/ccaas/voice/2/recording/download/{recording_id}")
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
        assert abs(f["durationMilliseconds"] / 1000 - call_seconds) < 0.1, (f, call_seconds)
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

    # Deletion: the file goes, its metadata stays.
    agent_file = files["AGENT"]["recordingId"]
    deleted = gateway.request("DELETE", f"/calls/1/recordings/files/{agent_file}")
    assert deleted["deletedBy"] == "API" and deleted["deletedAt"] > 0, deleted
    status, _, body = download(gateway, agent_file)
    assert status == 404 and f"Recording file {agent_file} not found!".encode() in body, body
    assert metadata(gateway, f"conversationId={conversation}&deletedBy=API")["total"] == 1
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
