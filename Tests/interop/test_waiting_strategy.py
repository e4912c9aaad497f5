"""What a waiting caller hears: the waiting strategy played by the gateway, checked by frequency
and timing in what an aiortc customer and a SIPp phone (PCMA) receive. Greeting, music and
announcement are uploaded WAV files of one tone each, at different rates and encodings (16 kHz,
44.1 kHz resampled, 8-bit 8 kHz, 48 kHz stereo). Loopback only."""

import asyncio

import numpy as np
import pytest

from audio_files import runs, upload, wav_bytes
from peers import Peer, Signaling, start_customer_call, wait_for
from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
from test_sip_trunks import NUMBER, add_trunk

GREETING, MUSIC, ANNOUNCEMENT, FAREWELL, AGENT = 500, 800, 1200, 300, 660
TONES = [GREETING, MUSIC, ANNOUNCEMENT, FAREWELL, AGENT]


def heard_runs(samples, rate):
    return runs(samples, rate, TONES)


async def busy_agent(gateway):
    """Alice signed in but BUSY: callers of her queue wait instead of being refused."""
    alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
    await alice.send({"type": "agent.setStatus", "status": "BUSY", "id": "busy"})
    await alice.next("ack")
    return alice


def file_option(descriptor):
    return {"enabled": True, "audioSourceType": "FILE", "fileAudioSource": {"fileDescriptor": descriptor}}


def add_strategy(gateway, maximum_wait_seconds):
    """A strategy for every queue: greeting 1 s, music (a 1 s loop), announcement 0.6 s every
    2 s, and a 0.8 s message at the maximum wait."""
    greeting = upload(gateway, "greeting", wav_bytes(GREETING, 1.0, 16000))
    music = upload(gateway, "music", wav_bytes(MUSIC, 1.0, 44100))
    announcement = upload(gateway, "announcement", wav_bytes(ANNOUNCEMENT, 0.6, 8000, bits=8))
    farewell = upload(gateway, "farewell", wav_bytes(FAREWELL, 0.8, 48000, channels=2))
    body = {
        "name": "interop wait", "conditionType": "QUEUE", "condition": {"queues": ["default"]},
        "maximumWaitTime": {"unit": "SECONDS", "value": maximum_wait_seconds},
        "greetingMessage": file_option(greeting),
        "musicOnHold": {"enabled": True, "fileAudioSource": {"fileDescriptor": music}},
        "announcementMessage": dict(file_option(announcement), repeatInterval={"unit": "SECONDS", "value": 2}),
        "maximumWaitTimeMessage": file_option(farewell),
    }
    return gateway.request("POST", "/ccaas/voice/2/waiting-strategies", body)


def assert_strategy_heard(heard):
    """Greeting once, then music interrupted every 2 s by the announcement, then the message
    (followed by silence until the call ends)."""
    while heard and heard[-1][0] == "-":
        heard = heard[:-1]
    tones = [tone for tone, _ in heard]
    assert tones[:5] == [GREETING, MUSIC, ANNOUNCEMENT, MUSIC, ANNOUNCEMENT], heard
    greeting, music, announcement, music_again = (seconds for _, seconds in heard[:4])
    assert abs(greeting - 1.0) <= 0.2 and abs(music - 2.0) <= 0.2, heard
    assert abs(announcement - 0.6) <= 0.2 and abs(music_again - 2.0) <= 0.2, heard
    assert heard[-1][0] == FAREWELL and abs(heard[-1][1] - 0.8) <= 0.25, heard


@pytest.fixture
def strategy(gateway):
    return add_strategy(gateway, maximum_wait_seconds=7)


def test_an_aiortc_customer_hears_the_strategy_then_the_maximum_wait_message(gateway, strategy):
    async def scenario():
        alice = await busy_agent(gateway)
        signaling, peer, created = await start_customer_call(gateway, "customer-waits")
        try:
            await signaling.next("call.queued", timeout=10)
            hangup = await signaling.next("call.hangup", timeout=20)
            assert hangup["errorCode"]["name"] == "MAXIMUM_WAIT_TIME_REACHED", hangup
            assert hangup["errorCode"]["id"] == 10208
            assert await peer.audio_packets_lost() == [0], "one stream across greeting, music and announcements"
            rate = peer.heard[0][0]
            heard = heard_runs(np.concatenate([s for _, s in peer.heard]), rate)
            assert_strategy_heard(heard)
            assert 6.5 <= sum(seconds for _, seconds in heard) <= 8.5, heard
            call = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert call["elements"][0]["state"] == "NO_ANSWER"
        finally:
            await peer.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())


def test_the_agent_is_heard_as_soon_as_they_answer(gateway):
    add_strategy(gateway, maximum_wait_seconds=60)

    async def scenario():
        alice = await busy_agent(gateway)
        agent_peer = Peer(AGENT)
        signaling, peer, created = await start_customer_call(gateway, "customer-answered")
        try:
            await signaling.next("call.queued", timeout=10)
            assert await wait_for(lambda: peer.frames > 150, timeout=10), "three seconds of the wait"
            await alice.send({"type": "agent.setStatus", "status": "ACTIVE", "id": "active"})
            incoming = await alice.next("call.incoming", timeout=10)
            await alice.send({"type": "call.accept", "callId": incoming["callId"],
                              "sdp": await agent_peer.answer(incoming["sdp"])})
            await signaling.next("call.established", timeout=15)
            answered_at = peer.frames
            assert await wait_for(lambda: peer.frames > answered_at + 100, timeout=10)
            rate = peer.heard[0][0]
            after = heard_runs(np.concatenate([s for _, s in peer.heard[answered_at:]]), rate)
            # The agent's tone from the start (the wait stops with the frame the media connect),
            # nothing of the wait after it.
            assert after[0][0] == AGENT and all(tone == AGENT for tone, _ in after), after
            assert await peer.audio_packets_lost() == [0], "the agent continues the stream of the wait"
            before = heard_runs(np.concatenate([s for _, s in peer.heard[:answered_at]]), rate)
            assert [tone for tone, _ in before][:2] == [GREETING, MUSIC], before
        finally:
            await agent_peer.close()
            await peer.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())


def test_a_phone_caller_is_answered_to_hear_the_strategy_then_gets_a_bye(gateway, strategy):
    require_sipp()
    require_tshark()

    async def scenario():
        alice = await busy_agent(gateway)
        phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, codec="PCMA",
                     tone=(440, 12.0), keys={"offer_formats": "8 101"}, variables={"wait_bye": True}, timeout=40)
        add_trunk(gateway, phone.address, codecs=["PCMA"])
        try:
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                result = await asyncio.to_thread(phone.wait)
            result.assert_ok()
            assert heard_by_phone.payload_types() == [8], heard_by_phone.payload_types()
            assert len({p.ssrc for p in heard_by_phone.audio_packets()}) == 1, "one stream"
            heard = heard_runs(heard_by_phone.samples(), 8000)
            assert_strategy_heard(heard)
        finally:
            phone.stop()
            await alice.close()

    asyncio.run(scenario())


def test_outside_working_hours_the_caller_hears_the_away_message_then_the_call_ends(gateway):
    closed = {"startTime": 0, "endTime": 0, "enabled": False}
    hours = gateway.request("POST", "/ccaas/1/working-hours", {
        "name": "Closed", "timezone": "Etc/UTC", "message": "We are closed.",
        "workWeek": {day: closed for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
                                             "SUNDAY")}})
    queue = gateway.request("POST", "/ccaas/1/queues", {"name": "Closed desk", "workingHoursId": hours["id"]})
    away = upload(gateway, "away", wav_bytes(FAREWELL, 1.5, 24000))
    path = f"/ccaas/voice/2/away-audio-message/{hours['id']}"
    status, missing = gateway.request_raw("GET", path)
    assert status == 404 and missing["message"].startswith("No record was found"), missing
    status, refused = gateway.request_raw("PUT", path, {
        "audioSource": file_option(away), "collectables": [{"code": "1", "action": "RETURN_TO_IVR", "value": "x"}]})
    assert status == 400 and "RETURN_TO_IVR" in str(refused), refused
    stored = gateway.request("PUT", path, {"audioSource": file_option(away)})
    assert stored["workingHoursConfigId"] == hours["id"] and gateway.request("GET", path) == stored

    async def scenario():
        signaling, peer, created = await start_customer_call(gateway, "customer-late", queue_id=queue["id"])
        try:
            hangup = await signaling.next("call.hangup", timeout=20)
            assert hangup["errorCode"]["name"] == "OUTSIDE_WORKING_HOURS", hangup
            heard = [tone for tone in heard_runs(np.concatenate([s for _, s in peer.heard]), peer.heard[0][0])
                     if tone[0] != "-"]
            assert [tone for tone, _ in heard] == [FAREWELL] and abs(heard[0][1] - 1.5) <= 0.2, heard
        finally:
            await peer.close()
            await signaling.close()

    asyncio.run(scenario())
    status, deleted = gateway.request_raw("DELETE", path)
    assert status == 200 and deleted == {"status": "DELETED", "message": "Away Audio Message deleted."}, deleted


def announcement_spans(audio, rate):
    """Where the music stops and starts again, in seconds: (start, end) of each stretch between
    music, judged every 50 ms (the music's tone holds most of a window's energy, or not)."""
    window = rate // 20
    t = np.arange(window) / rate
    labels = []
    for i in range(0, len(audio) - window, window):
        chunk = audio[i:i + window].astype(np.float64)
        energy = np.sum(chunk ** 2) + 1e-9
        tone = abs(np.dot(chunk, np.exp(-2j * np.pi * MUSIC * t))) ** 2 * 2 / window
        labels.append("music" if tone > 0.5 * energy else "other")
    spans, index = [], 0
    while "other" in labels[index:]:
        first_other = labels.index("other", index)
        if "music" not in labels[first_other:]:
            break
        back = labels.index("music", first_other)
        spans.append((first_other * 0.05, back * 0.05))
        index = back
    return spans


def add_spoken_strategy(gateway, text):
    music = upload(gateway, "music", wav_bytes(MUSIC, 1.0, 16000))
    return gateway.request("POST", "/ccaas/voice/2/waiting-strategies", {
        "name": "spoken", "conditionType": "QUEUE", "condition": {"queues": ["default"]},
        "maximumWaitTime": {"unit": "SECONDS", "value": 60},
        "musicOnHold": {"enabled": True, "fileAudioSource": {"fileDescriptor": music}},
        "announcementMessage": {
            "enabled": True, "audioSourceType": "TTS", "repeatInterval": {"unit": "SECONDS", "value": 2},
            "ttsAudioSource": {"text": text, "language": "en-gb", "voice": {"name": "Anna", "gender": "FEMALE"},
                               "speechRate": 1.0}},
    })


def test_a_spoken_announcement_says_the_callers_place_between_the_music(gateway):
    """espeak-ng speaks the announcement with the caller's position filled in: heard by an aiortc
    customer as speech (loud syllables and short pauses, not the music's tone) every 2 s."""
    add_spoken_strategy(gateway, "You are number {{QUEUE_POSITION_DEFAULT}} in the queue.")

    async def scenario():
        alice = await busy_agent(gateway)
        signaling, peer, _ = await start_customer_call(gateway, "customer-spoken")
        try:
            await signaling.next("call.queued", timeout=10)
            assert await wait_for(lambda: peer.frames > 400, timeout=15), "eight seconds of the wait"
            rate = peer.heard[0][0]
            audio = np.concatenate([s for _, s in peer.heard])
            # Music for 2 s, then the speech until the music comes back.
            (start, end), *_ = announcement_spans(audio, rate)
            assert abs(start - 2.0) <= 0.2, (start, end)
            assert 1.2 <= end - start <= 3.0, (start, end)
            speech = audio[int(start * rate):int(end * rate)].astype(np.float64)
            window = rate // 50
            levels = [np.sqrt(np.mean(speech[i:i + window] ** 2)) for i in range(0, len(speech) - window, window)]
            loud = sum(1 for level in levels if level > 1000)
            quiet = sum(1 for level in levels if level < 300)
            assert loud > 25 and quiet >= 2, (loud, quiet, len(levels))
            spectrum = np.abs(np.fft.rfft(speech))
            peak = np.max(spectrum) / np.mean(spectrum)
            assert peak < 200, f"speech spreads over many frequencies, a tone does not ({peak:.0f})"
        finally:
            await peer.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())


def test_an_uploaded_mp3_plays_as_the_music(gateway):
    """An MP3 (0.5 s of 660 Hz, stereo 44.1 kHz, made by LAME; the MP3 tests' fixture) is
    uploaded, decoded, resampled and heard by an aiortc customer as the waiting music."""
    from pathlib import Path
    fixture = Path(__file__).resolve().parents[1] / "MP3Tests" / "Fixtures" / "tone-660hz-44k-stereo.mp3"
    music = upload(gateway, "mp3-music", fixture.read_bytes())
    stored = gateway.request("GET", f"/ccaas/voice/2/audio-files/{music}")
    assert stored["encoding"] == "MP3" and stored["sampleRate"] == 44100 and stored["channels"] == 2, stored
    gateway.request("POST", "/ccaas/voice/2/waiting-strategies", {
        "name": "mp3", "conditionType": "QUEUE", "condition": {"queues": ["default"]},
        "maximumWaitTime": {"unit": "SECONDS", "value": 60},
        "musicOnHold": {"enabled": True, "fileAudioSource": {"fileDescriptor": music}},
    })

    async def scenario():
        alice = await busy_agent(gateway)
        signaling, peer, _ = await start_customer_call(gateway, "customer-mp3")
        try:
            await signaling.next("call.queued", timeout=10)
            assert await wait_for(lambda: peer.frames > 100, timeout=15)
            assert abs(peer.dominant_frequency(seconds=1.0) - 660) < 15, peer.dominant_frequency()
        finally:
            await peer.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())


def test_a_spoken_announcement_lasts_as_long_as_the_place_it_says(gateway):
    """The place is said as an ordinal, eight times: a caller second in line hears "second";
    once the caller ahead hangs up during that announcement, the next one says "first" and is
    heard shorter (by about 50 ms a word with espeak-ng's English voice)."""
    place = "{{QUEUE_POSITION_ORDINAL}}"
    add_spoken_strategy(gateway, "You are " + ", ".join([place] * 8) + " in line.")

    async def scenario():
        alice = await busy_agent(gateway)
        ahead_signaling, ahead, ahead_call = await start_customer_call(gateway, "customer-ahead")
        signaling, peer = None, None
        try:
            await ahead_signaling.next("call.queued", timeout=10)
            signaling, peer, _ = await start_customer_call(gateway, "customer-behind")
            await signaling.next("call.queued", timeout=10)
            # Into the first announcement (after 2 s of music): the caller ahead leaves.
            assert await wait_for(lambda: peer.frames > 125, timeout=10)
            await ahead_signaling.send({"type": "call.hangup", "callId": ahead_call["callId"]})
            assert await wait_for(lambda: peer.frames > 1000, timeout=30), "20 s: two announcements and the music"
            rate = peer.heard[0][0]
            spans = announcement_spans(np.concatenate([s for _, s in peer.heard]), rate)
            assert len(spans) >= 2, spans
            second, first = (end - start for start, end in spans[:2])
            assert second - first >= 0.25, f"'second' x8 lasted {second:.2f} s, 'first' x8 {first:.2f} s ({spans})"
        finally:
            if peer:
                await peer.close()
                await signaling.close()
            await ahead.close()
            await ahead_signaling.close()
            await alice.close()

    asyncio.run(scenario())
