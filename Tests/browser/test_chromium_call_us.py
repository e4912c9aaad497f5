"""Examples/call-us: an operator's own site (another origin) with a "Call us" button that loads
the SDK from the gateway and gets its token from the site's backend. Chromium presses the
button, an aiortc agent answers, each hears the other; the API key never reaches the page."""

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from peers import Peer, Signaling, wait_for
from sip_peers import free_port
from test_chromium_agent import ARTIFACTS, LISTEN, chromium, page_condition, write_tone

EXAMPLE = Path(__file__).resolve().parents[2] / "Examples" / "call-us" / "server.py"


def start_site(gateway):
    port = free_port()
    site = subprocess.Popen([sys.executable, str(EXAMPLE), "--port", str(port)],
                            env=dict(os.environ, CALLGATEWAY_URL=gateway.base, CALLGATEWAY_API_KEY=gateway.key),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = site.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line
    return site, f"http://127.0.0.1:{port}"


def test_the_call_us_example_calls_the_center_from_another_origin(gateway, tmp_path):
    from selenium.webdriver.common.by import By

    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "visitor-440.wav")
    write_tone(tone, 440)
    site, url = start_site(gateway)
    page = chromium(tone)
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        agent_signaling = await Signaling.connect(gateway, alice)
        agent = Peer(660)
        try:
            html = urllib.request.urlopen(url + "/", timeout=5).read().decode()
            assert gateway.key not in html and f"{gateway.base}/sdk/1/callgateway.js" in html
            page.get(url + "/")
            page.find_element(By.ID, "call-us").click()
            incoming = await agent_signaling.next("call.incoming", timeout=15)
            assert incoming["counterpart"]["identity"].startswith("visitor-"), incoming
            await agent_signaling.send(
                {"type": "call.accept", "callId": incoming["callId"], "sdp": await agent.answer(incoming["sdp"])})
            await agent_signaling.next("call.established", timeout=20)
            await page_condition(page, "document.getElementById('status').textContent === 'connected'", "connected")
            assert await wait_for(lambda: agent.frames > 100, timeout=15), agent.frames
            await asyncio.sleep(1.0)
            assert abs(agent.dominant_frequency() - 440) < 20, agent.dominant_frequency()
            page.execute_script(LISTEN + "window.listenTo([...window.callUs._calls.values()][0].remoteStream);")
            await page_condition(page, "Math.abs(window.heard() - 660) < 20", "the visitor hears the agent", timeout=5)
            page.save_screenshot(os.path.join(ARTIFACTS, "call-us-example.png"))
            page.find_element(By.ID, "hang-up").click()
            await agent_signaling.next("call.hangup", timeout=10)
            await page_condition(page, "document.getElementById('status').textContent === 'call ended'", "ended")
            assert page.find_element(By.ID, "problem").text == ""
        finally:
            await agent.close()
            await agent_signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        page.quit()
        site.terminate()
        site.wait(5)
