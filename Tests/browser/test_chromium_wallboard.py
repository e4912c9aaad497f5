"""The supervisor's wallboard against a scripted run: ten aiortc callers into Support, Alice (an
aiortc agent) answers seven after known delays (five within the 2 s service-level threshold, two
after it) and lets three ring until the caller hangs up. The figures over REST, in `/metrics` and on
the page in headless Chromium must be those of the run; the charts must draw."""

import asyncio
import os
import time
import urllib.request

from peers import Peer, Signaling, start_customer_call
from test_chromium_agent import ARTIFACTS, chromium, write_tone
from test_chromium_desktop import unnamed_controls

# (answer after seconds, or None: the caller hangs up after 1.5 s of ringing)
SCRIPT = [0.2, 0.2, None, 0.2, 2.6, 0.2, None, 0.2, 2.6, None]
THRESHOLD = 2


async def scripted_run(gateway, alice_id):
    """Places the script's calls one after the other; the waits the callers saw (call.start to
    call.established) of the answered ones."""
    alice = await Signaling.connect(gateway, alice_id)
    waits = []
    try:
        for i, delay in enumerate(SCRIPT):
            started = time.monotonic()
            signaling, customer, _ = await start_customer_call(gateway, f"caller-{i}")
            agent_peer = Peer(660)
            try:
                incoming = await alice.next("call.incoming", timeout=10)
                if delay is None:
                    await asyncio.sleep(1.5)
                    await signaling.send({"type": "call.hangup", "callId": incoming["callId"]})
                    await alice.next("call.hangup", timeout=10)
                    continue
                await asyncio.sleep(delay)
                await alice.send({"type": "call.accept", "callId": incoming["callId"],
                                  "sdp": await agent_peer.answer(incoming["sdp"])})
                await signaling.next("call.established", timeout=15)
                waits.append(time.monotonic() - started)
                await asyncio.sleep(0.5)
                await signaling.send({"type": "call.hangup", "callId": incoming["callId"]})
                await alice.next("call.hangup", timeout=10)
                await alice.send({"type": "wrapup.clear", "id": f"clear-{i}"})
                await alice.next("ack", where=lambda f, i=i: f.get("id") == f"clear-{i}")
            finally:
                await customer.close()
                await agent_peer.close()
                await signaling.close()
    finally:
        await alice.close()
    return waits


def test_the_wallboard_shows_a_scripted_runs_figures_and_draws_its_charts(tmp_path):
    from conftest import Gateway, patch_aioice_loopback, require_aiortc, require_chromium
    from selenium.webdriver.common.by import By

    require_aiortc()
    require_chromium()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_SERVICE_LEVEL_SECONDS": str(THRESHOLD),
                       "GATEWAY_MAX_MISSED_OFFERS": "0"})
    page = None
    try:
        alice, sam = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]
        waits = asyncio.run(scripted_run(gateway, alice))
        assert len(waits) == 7

        support = next(q for q in gateway.request("GET", "/ccaas/1/queues/statistics")["queues"]
                       if q["queueName"] == "Support")
        assert (support["offered"], support["answered"], support["abandoned"]) == (10, 7, 3), support
        assert support["serviceLevel"] == 0.5 and support["serviceLevelSeconds"] == THRESHOLD, support
        assert support["abandonedShare"] == 0.3, support
        seen = sum(waits) / len(waits)
        assert abs(support["averageSpeedOfAnswerSeconds"] - seen) < 0.3, (support, waits)
        assert 0.4 <= support["averageTalkTimeSeconds"] <= 1.0, support
        assert support["averageAfterCallWorkSeconds"] < 0.5, "Alice clears each wrap-up at once"
        assert abs(support["averageHandleTimeSeconds"] - support["averageTalkTimeSeconds"]
                   - support["averageAfterCallWorkSeconds"]) < 1e-6, support
        assert sum(m["offered"] for m in support["minutes"]) == 10 and len(support["minutes"]) == 60
        assert max(m["waitingMax"] for m in support["minutes"]) >= 1, "a ringing caller counts as waiting"

        with urllib.request.urlopen(gateway.base + "/metrics", timeout=10) as response:
            metrics = response.read().decode()
        labels = f'queue_id="{support["queueId"]}",queue="Support"'
        assert f"gateway_queue_offered_last_hour{{{labels}}} 10.0" in metrics
        assert f"gateway_queue_service_level_ratio{{{labels}}} 0.5" in metrics
        assert f'gateway_queue_agents{{{labels},state="available"}} ' in metrics

        tone = str(tmp_path / "tone.wav")
        write_tone(tone, 440)
        page = chromium(tone)
        page.set_window_size(1000, 1400)
        page.get(f"{gateway.base}/supervisor?token={gateway.token(sam)}")

        def value(expression):
            return page.execute_script(f"return {expression};")

        for _ in range(200):
            if value("document.querySelector('#queues tbody tr') !== null && document.getElementById('chart-calls').dataset.points"):
                break
            time.sleep(0.1)
        row = value("[...document.querySelectorAll('#queues tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))"
                    ".find((cells) => cells[0] === 'Support')")
        assert row[3:7] == ["10", "7", "3 (30 %)", "50 %"], row
        assert abs(float(row[7]) - support["averageSpeedOfAnswerSeconds"]) < 0.06, row
        assert value("document.getElementById('chart-calls').dataset.points") == "60,60"
        assert value("document.getElementById('chart-service').querySelectorAll('polyline').length") == 1
        offered_line = page.find_element(By.CSS_SELECTOR, "#chart-calls polyline").get_attribute("points")
        assert len(offered_line.split()) == 60
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.save_screenshot(os.path.join(ARTIFACTS, "wallboard.png"))
        assert not unnamed_controls(page), unnamed_controls(page)
        assert page.find_element(By.ID, "error").text == ""
    finally:
        if page:
            page.quit()
        gateway.stop()
