"""Recording from the pages in headless Chromium: Alice answers an aiortc customer (440 Hz) in
the softphone (a 660 Hz fake microphone), sees the call is recorded and pauses and resumes the
recording by clicking; Sam's supervisor page then lists the call's recordings and plays the
composed file, seeking into it (the browser fetches it in ranges through its signed link): the
player's audio is measured in the page. Runs inside a network namespace with only `lo`."""

import asyncio
import os
import re
import urllib.request

from peers import wait_for
from test_chromium_agent import ARTIFACTS, chromium, page_condition, softphone_answers, write_tone

CONFIG = {"inbound": True, "outbound": True, "autoCompose": True, "mediaType": "AUDIO", "enabled": True}

# `window.playerLevels(frequencies)`: the level (dB) of each frequency the player plays now.
PLAYER_LEVELS = r"""
const player = document.getElementById('player');
const context = new AudioContext();
const analyser = context.createAnalyser();
analyser.fftSize = 8192;
const source = context.createMediaElementSource(player);
source.connect(analyser);
analyser.connect(context.destination);
window.playerLevels = (frequencies) => {
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  return frequencies.map((f) => {
    const index = Math.round(f * analyser.fftSize / context.sampleRate);
    return Math.max(...bins.slice(index - 2, index + 3));
  });
};
"""


def partial_downloads(gateway):
    """206 answers the download route gave so far, from the gateway's metrics."""
    with urllib.request.urlopen(f"{gateway.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        if "recording/download" in line and 'status="206"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def test_the_softphone_pauses_a_recording_and_the_supervisor_page_plays_and_seeks(gateway, tmp_path):
    from selenium.webdriver.common.by import By

    gateway.request("PUT", "/ccaas/voice/2/account-recording-config", CONFIG)
    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "alice-660.wav")
    write_tone(tone, 660)
    page = chromium(tone)
    alice, sam = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]

    async def wait(condition, what, timeout=20):
        await page_condition(page, condition, what, timeout)

    async def scenario():
        signaling, customer, created = await softphone_answers(page, gateway, alice, "customer-recorded-page")
        try:
            await wait("document.getElementById('recording-state').textContent.includes('recording')",
                       "the softphone shows the call is recorded")
            await asyncio.sleep(3)
            page.find_element(By.ID, "recording-pause").click()
            await wait("document.getElementById('recording-state').textContent.includes('paused')", "paused")
            page.save_screenshot(os.path.join(ARTIFACTS, "softphone-recording-paused.png"))
            await asyncio.sleep(1)
            page.find_element(By.ID, "recording-pause").click()
            await wait("document.getElementById('recording-pause').textContent === 'Pause recording'", "resumed")
            await asyncio.sleep(3)
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            await signaling.next("call.hangup", timeout=5)
            conversation = created["conversationId"]
            listed = lambda: gateway.request(  # noqa: E731
                "GET", f"/ccaas/voice/2/recording/metadata?conversationId={conversation}")["elements"]
            assert await wait_for(lambda: len(listed()) == 3 and all(
                f["recordingStatus"] == "SUCCESSFUL" for f in listed()), timeout=10), listed()
            paused = listed()[0]["pausedSpans"]
            assert len(paused) == 1 and paused[0]["resumedAt"] - paused[0]["pausedAt"] >= 900, paused

            page.get(f"{gateway.base}/supervisor?token={gateway.token(sam)}")
            await wait("!document.getElementById('board').hidden", "Sam signed in")
            page.find_element(By.ID, "filter-conversation").send_keys(conversation)
            page.find_element(By.ID, "recordings-search").click()
            await wait("document.querySelectorAll('#recordings tbody tr').length === 3", "three recordings listed")
            rows = page.find_element(By.ID, "recordings").text
            assert "Alice Agent" in rows and "customer-recorded-page" in rows and "COMPOSED" in rows, rows
            composed = next(f for f in listed() if f["composed"])
            before = partial_downloads(gateway)
            page.execute_script(PLAYER_LEVELS)
            page.execute_script(
                f"document.querySelector(\"#recordings button[data-recording='{composed['recordingId']}']\").click();")
            await wait("document.getElementById('player').readyState >= 1", "the player loaded the file")
            duration = page.execute_script("return document.getElementById('player').duration;")
            assert abs(duration - composed["durationMilliseconds"] / 1000) < 0.1, (duration, composed)
            # Seek past the pause: both voices are there.
            page.execute_script("document.getElementById('player').currentTime = arguments[0];", duration - 2)
            await wait(f"document.getElementById('player').currentTime > {duration - 1.6}", "playing after the seek")
            customer_level, alice_level, silent = page.execute_script(
                "return window.playerLevels(arguments[0]);", [440, 660, 1500])
            assert customer_level > silent + 20 and alice_level > silent + 20, (customer_level, alice_level, silent)
            page.save_screenshot(os.path.join(ARTIFACTS, "supervisor-recordings.png"))
            assert partial_downloads(gateway) > before, "the player fetched ranges"
            url = page.execute_script("return document.getElementById('player').src;")
            assert re.search(r"expires=\d+&signature=", url), url
            assert page.find_element(By.ID, "error").text == ""
        finally:
            await customer.close()
            await signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        page.quit()
