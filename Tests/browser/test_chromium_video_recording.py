"""A video call recorded: Chromium (fake camera, 660 Hz fake microphone) answers an aiortc
customer sending video and a 440 Hz tone, with the account recording AUDIO_AND_VIDEO and
preparing downloads. Each participant's file is WebM with their VP8 video and Opus audio as
sent (ffprobe: the codecs, a frame count, a duration near the call's); the composed file is
audio. Runs inside a network namespace with only `lo`."""

import asyncio
import json
import os
import subprocess
import time

from peers import Peer, Signaling, wait_for
from sip_peers import require_binary
from test_chromium_agent import AGENT_PAGE, STATS, chromium, write_tone
from test_recording import download

CONFIG = {"inbound": True, "outbound": True, "autoCompose": True, "mediaType": "AUDIO_AND_VIDEO",
          "videoDownloadPreparation": True, "enabled": True}


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json",
                          path], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_a_video_call_is_recorded_to_webm_per_participant(gateway, tmp_path):
    require_binary("ffprobe")
    gateway.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)
    tone = str(tmp_path / "agent-660.wav")
    write_tone(tone, 660)
    driver = chromium(tone)
    driver.set_script_timeout(30)
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        driver.get(gateway.base + "/")
        url = f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token={gateway.token(alice)}"
        assert driver.execute_async_script(AGENT_PAGE, url) == "ready"
        signaling = await Signaling.connect(gateway, "customer-video-recorded")
        customer = Peer(440, video=True)
        try:
            await signaling.send({"type": "call.start", "sdp": await customer.offer(), "customData": {}})
            created = await signaling.next("call.created")
            await customer.accept_answer(created["sdp"])
            await signaling.next("call.established", timeout=20)
            established = time.monotonic()
            for _ in range(100):
                if driver.execute_async_script(STATS)["framesDecoded"] > 30 and customer.video_frames > 30:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(4)
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            await signaling.next("call.hangup", timeout=5)
            return created["conversationId"], time.monotonic() - established
        finally:
            await customer.close()
            await signaling.close()

    try:
        conversation, seconds = asyncio.run(scenario())
    finally:
        driver.quit()

    def listed():
        files = gateway.request("GET", f"/ccaas/voice/2/recording/metadata?conversationId={conversation}")["elements"]
        return files if len(files) == 3 and all(f["recordingStatus"] == "SUCCESSFUL" for f in files) else None

    assert asyncio.run(wait_for(listed, timeout=15)), gateway.request(
        "GET", f"/ccaas/voice/2/recording/metadata?conversationId={conversation}")
    files = listed()
    composed = next(f for f in files if f["composed"])
    assert composed["mediaType"] == "AUDIO" and composed["filename"].endswith(".wav"), composed
    for kind in ("CUSTOMER", "AGENT"):
        f = next(f for f in files if f["participantType"] == kind)
        assert f["mediaType"] == "AUDIO_AND_VIDEO" and f["filename"].endswith(".webm"), f
        assert f["size"] > 10000, "prepared when the call ended: its size is known"
        status, headers, body = download(gateway, f["recordingId"])
        assert status == 200 and headers["Content-Type"] == "video/webm" and len(body) == f["size"], (status, headers)
        path = str(tmp_path / f"{kind}.webm")
        with open(path, "wb") as out:
            out.write(body)
        info = probe(path)
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert streams["video"]["codec_name"] == "vp8" and streams["audio"]["codec_name"] == "opus", info
        frames = int(streams["video"]["nb_read_frames"])
        assert frames > 10 * (seconds - 2), (kind, frames, seconds)
        duration = float(info["format"]["duration"])
        assert abs(duration - f["durationMilliseconds"] / 1000) < 1.0, (kind, duration, f)
        assert abs(duration - seconds) < 1.0, (kind, duration, seconds)
        assert int(streams["video"]["width"]) > 0, streams["video"]
