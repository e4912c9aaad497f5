"""Supervisor monitoring from the supervisor page in headless Chromium: Sam (Chromium, a 1200 Hz
fake microphone) listens to, whispers to and barges in on a call between an aiortc customer
(440 Hz) and Alice (aiortc, 660 Hz) by clicking, then stops. What Sam hears is measured in the
page (Web Audio on the monitor's stream); what the others hear, by aiortc. Runs inside a network
namespace with only `lo`."""

import asyncio

from peers import Peer, Signaling, assert_hears, listen_a_while, start_customer_call, tone_levels, wait_for
from test_chromium_agent import chromium, page_condition, write_tone

CUSTOMER, ALICE, SAM = 440, 660, 1200

# `window.levels(frequencies)`: the level (dB) of each frequency in what the monitor plays.
LEVELS = r"""
const stream = document.getElementById('monitorAudio').srcObject;
const context = new AudioContext();
const analyser = context.createAnalyser();
analyser.fftSize = 16384;
analyser.smoothingTimeConstant = 0.5;
context.createMediaStreamSource(stream).connect(analyser);
window.levels = (frequencies) => {
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  return frequencies.map((f) => {
    const index = Math.round(f * analyser.fftSize / context.sampleRate);
    return Math.max(...bins.slice(index - 2, index + 3));
  });
};
"""


def test_the_supervisor_page_listens_whispers_and_barges(gateway, tmp_path):
    from selenium.webdriver.common.by import By

    sam_tone = str(tmp_path / "sam-1200.wav")
    write_tone(sam_tone, SAM)
    page = chromium(sam_tone)
    alice_id, sam_id = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]

    async def wait(condition, what, timeout=20):
        await page_condition(page, condition, what, timeout)

    def click(mode):
        # In one script: the page redraws the table every 2 s.
        page.execute_script(f"document.querySelector(\"#calls button[data-monitor='{mode}']\").click();")

    async def scenario():
        page.get(f"{gateway.base}/supervisor?token={gateway.token(sam_id)}")
        await wait("!document.getElementById('board').hidden", "Sam signed in")
        alice = await Signaling.connect(gateway, alice_id)
        alice_peer = Peer(ALICE)
        signaling, customer = None, None
        try:
            signaling, customer, _ = await start_customer_call(gateway, "customer-watched")
            incoming = await alice.next("call.incoming", timeout=10)
            await alice.send({"type": "call.accept", "callId": incoming["callId"],
                              "sdp": await alice_peer.answer(incoming["sdp"])})
            await signaling.next("call.established", timeout=15)
            await wait("!!document.querySelector(\"#calls button[data-monitor='LISTEN']\")",
                       "the call shows Listen", timeout=10)

            click("LISTEN")
            await wait("document.getElementById('monitoring').textContent.includes('LISTEN')", "Sam listens")
            await asyncio.sleep(1.5)
            page.execute_script(LEVELS)
            since = await listen_a_while(customer, alice_peer)
            customer_level, alice_level, sam_level = page.execute_script(
                "return window.levels(arguments[0]);", [CUSTOMER, ALICE, SAM])
            assert customer_level > sam_level + 20 and alice_level > sam_level + 20, \
                (customer_level, alice_level, sam_level)
            assert_hears(alice_peer, since[1], [CUSTOMER], [SAM])
            assert_hears(customer, since[0], [ALICE], [SAM])
            # Chromium's noise suppression turns a steady tone down over time: Sam's tone, where
            # heard, is judged against its level where it must not be (this phase).
            unheard = max(tone_levels(alice_peer, since[1], [SAM])[SAM], tone_levels(customer, since[0], [SAM])[SAM])

            def hears_sam(peer, since):
                level = tone_levels(peer, since, [SAM])[SAM]
                assert level > max(10 * unheard, 0.01), f"Sam's {SAM} Hz: {level}, unheard {unheard}"

            await wait("document.querySelector('#calls tbody').textContent.includes('(LISTEN)')",
                       "the call shows who monitors it")

            click("WHISPER")
            await wait("document.getElementById('monitoring').textContent.includes('WHISPER')", "Sam whispers")
            since = await listen_a_while(customer, alice_peer)
            assert_hears(alice_peer, since[1], [CUSTOMER], [])
            hears_sam(alice_peer, since[1])
            assert_hears(customer, since[0], [ALICE], [SAM])

            click("BARGE")
            await wait("document.getElementById('monitoring').textContent.includes('BARGE')", "Sam barges in")
            since = await listen_a_while(customer, alice_peer)
            assert_hears(customer, since[0], [ALICE], [])
            hears_sam(customer, since[0])

            await wait("!!document.querySelector(\"#calls button[data-monitor='STOP']\")", "Stop is offered")
            click("STOP")
            await wait("document.getElementById('monitoring').textContent === 'not monitoring'", "Sam stopped")
            since = await listen_a_while(customer, alice_peer)
            assert_hears(customer, since[0], [ALICE], [SAM])
            assert page.find_element(By.ID, "error").text == ""
        finally:
            for closable in (customer, alice_peer, signaling, alice):
                if closable:
                    await closable.close()

    try:
        asyncio.run(scenario())
    finally:
        page.quit()
