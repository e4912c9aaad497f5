"""What the agent desktop tells an agent when something is wrong, in headless Chromium: a
microphone the browser blocks, a microphone that stays silent, and signaling that drops (the
banner shows while the page reconnects, then goes)."""

import time

from test_chromium_agent import chromium, write_tone


def wait(driver, condition, what, timeout=20, every=0.1):
    for _ in range(int(timeout / every)):
        if driver.execute_script(f"return {condition};"):
            return
        time.sleep(every)
    raise AssertionError(what)


def write_silence(path, seconds=20, rate=48000):
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * rate * seconds)


def test_a_blocked_microphone_is_named(gateway, tmp_path):
    tone = str(tmp_path / "tone.wav")
    write_tone(tone, 440)
    page = chromium(tone, refuse_microphone=True)
    try:
        page.get(f"{gateway.base}/softphone?token={gateway.token(gateway.agents['Alice Agent'])}")
        wait(page, "!document.getElementById('agent').hidden", "Alice signed in")
        wait(page, "!document.getElementById('mic-warning').hidden", "the warning shows")
        assert page.execute_script("return document.getElementById('mic-warning').textContent;") == (
            "The microphone is blocked: allow it in the browser's site settings, then reload.")
    finally:
        page.quit()


def test_a_silent_microphone_is_warned_about_after_five_seconds(gateway, tmp_path):
    silence = str(tmp_path / "silence.wav")
    write_silence(silence)
    page = chromium(silence)
    try:
        page.get(f"{gateway.base}/softphone?token={gateway.token(gateway.agents['Alice Agent'])}")
        wait(page, "!document.getElementById('agent').hidden", "Alice signed in")
        started = time.monotonic()
        wait(page, "!document.getElementById('mic-warning').hidden", "the silence is noticed", timeout=15)
        assert time.monotonic() - started >= 3.5, "not before about five seconds of silence"
        assert page.execute_script("return document.getElementById('mic-warning').textContent;") == (
            "No sound from the microphone: is it muted, or the wrong one?")
        assert page.execute_script("return document.getElementById('mic-level').value;") == 0
    finally:
        page.quit()


def test_the_banner_shows_while_signaling_reconnects(gateway, tmp_path):
    tone = str(tmp_path / "tone.wav")
    write_tone(tone, 440)
    page = chromium(tone)
    try:
        page.get(f"{gateway.base}/softphone?token={gateway.token(gateway.agents['Alice Agent'])}")
        wait(page, "!document.getElementById('agent').hidden", "Alice signed in")
        assert page.execute_script("return document.getElementById('banner').hidden;")
        page.execute_script("window.softphone._ws.close(4000, 'test drop');")
        wait(page, "!document.getElementById('banner').hidden", "the banner shows", timeout=2, every=0.02)
        assert "reconnecting" in page.execute_script("return document.getElementById('banner').textContent;")
        assert page.execute_script("return document.getElementById('connection').textContent;") == "reconnecting…"
        wait(page, "document.getElementById('banner').hidden", "the banner goes once back", timeout=10)
        assert page.execute_script("return document.getElementById('connection').textContent;") == "connected"
    finally:
        page.quit()
