"""A second browser: Firefox ESR (driven over Marionette) with the SDK, the softphone and the
contact page, inside the loopback-only namespace. Firefox's fake microphone is a 1 kHz tone; the
peers are aiortc and SIPp. Each test checks the tones both ways by frequency, and saves
screenshots in test-artifacts/."""

import asyncio
import os

import pytest

from audio_files import add_hold_music
from firefox import FAKE_TONE_HZ, By, FirefoxPage, host_route, require_firefox
from peers import Gateway, Peer, Signaling, patch_aioice_loopback, require_aiortc, start_customer_call, wait_for
from test_chromium_agent import ARTIFACTS, page_condition

# What the first call of the SDK client `window.<name>` receives.
REMOTE_STREAM = "[...window.%s._calls.values()][0].remoteStream"


@pytest.fixture
def firefox_and_gateway():
    """Firefox, and a gateway whose media is on the namespace's own non-loopback address."""
    require_aiortc()
    require_firefox()
    patch_aioice_loopback()
    os.makedirs(ARTIFACTS, exist_ok=True)
    with host_route() as address:
        if address is None:
            message = "Firefox tests run in the loopback-only namespace (scripts/in-loopback-namespace, as root)"
            if os.environ.get("CI") == "true":
                raise RuntimeError(message)
            pytest.skip(message)
        # Beats every second: a page that beat when it should not would show the refusal at once.
        gateway = Gateway({"GATEWAY_HEARTBEAT_INTERVAL": "1", "GATEWAY_HEARTBEAT_TIMEOUT": "60",
                           "GATEWAY_MEDIA_ADDRESS": address})
        try:
            page = FirefoxPage()
            try:
                yield page, gateway
            finally:
                page.quit()
        finally:
            gateway.stop()


def assert_page_hears(page, client, frequency):
    heard = page.heard(REMOTE_STREAM % client)
    assert abs(heard - frequency) < 20, f"Firefox heard {heard} Hz, not {frequency}"


def test_firefox_softphone_answers_holds_and_resumes(firefox_and_gateway):
    """The softphone in Firefox answers an aiortc customer (440 Hz): each hears the other; Hold
    gives the customer the queue's hold music (900 Hz), Resume gives them Firefox's tone back."""
    firefox, gateway = firefox_and_gateway
    add_hold_music(gateway, 900)
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        released_before = gateway.counter("gateway_media_dtls_released_total")
        firefox.get(f"{gateway.base}/softphone?token={gateway.token(alice)}")
        await page_condition(firefox, "!document.getElementById('agent').hidden", "the agent signed in in Firefox")
        signaling, customer, created = await start_customer_call(gateway, "firefox-caller")
        try:
            await page_condition(firefox, "!document.getElementById('incoming').hidden", "the call rings in Firefox")
            firefox.find_element(By.ID, "accept").click()
            await signaling.next("call.established", timeout=20)
            assert await wait_for(lambda: customer.frames > 100, timeout=15), customer.frames
            await asyncio.sleep(1.0)
            assert abs(customer.dominant_frequency() - FAKE_TONE_HZ) < 20, customer.dominant_frequency()
            assert_page_hears(firefox, "softphone", 440)
            # NSS chose AES-GCM too: both legs released their DTLS sessions once media flowed.
            assert gateway.counter("gateway_media_dtls_released_total") >= released_before + 2

            firefox.find_element(By.ID, "hold").click()
            assert (await signaling.next("call.held"))["held"] is True
            await page_condition(firefox, "document.getElementById('hold').textContent === 'Resume'", "held")
            await asyncio.sleep(1.5)
            assert abs(customer.dominant_frequency() - 900) < 20, customer.dominant_frequency()
            firefox.save_screenshot(os.path.join(ARTIFACTS, "firefox-softphone-hold.png"))

            firefox.find_element(By.ID, "hold").click()
            assert (await signaling.next("call.held"))["held"] is False
            await page_condition(firefox, "document.getElementById('call-status').textContent === 'established'",
                                 "resumed")
            await asyncio.sleep(1.5)
            assert abs(customer.dominant_frequency() - FAKE_TONE_HZ) < 20, customer.dominant_frequency()
            lost = await customer.audio_packets_lost()
            assert lost and max(lost) <= 2, f"the customer counted {lost} lost packets across the hold"

            firefox.find_element(By.ID, "hangup").click()
            hangup = await signaling.next("call.hangup", timeout=10)
            assert hangup["errorCode"]["name"] == "NORMAL_HANGUP", hangup
            assert firefox.find_element(By.ID, "error").text == ""
        finally:
            await customer.close()
            await signaling.close()

    asyncio.run(scenario())


def test_firefox_contact_page_calls_an_agent(firefox_and_gateway):
    """The contact page in Firefox presses Call us; an aiortc agent (660 Hz) answers; each hears
    the other; the agent hangs up and the page says so."""
    firefox, gateway = firefox_and_gateway
    alice = gateway.agents["Alice Agent"]

    async def scenario():
        agent_signaling = await Signaling.connect(gateway, alice)
        agent = Peer(660)
        try:
            firefox.get(f"{gateway.base}/contact?token={gateway.token('firefox-contact')}")
            await page_condition(firefox, "!document.getElementById('contact').hidden", "the contact page started")
            firefox.find_element(By.ID, "call").click()
            incoming = await agent_signaling.next("call.incoming", timeout=15)
            await agent_signaling.send(
                {"type": "call.accept", "callId": incoming["callId"], "sdp": await agent.answer(incoming["sdp"])})
            await agent_signaling.next("call.established", timeout=20)
            await page_condition(firefox, "document.getElementById('call-status').textContent === 'connected'",
                                 "the page is connected")
            assert await wait_for(lambda: agent.frames > 100, timeout=15), agent.frames
            await asyncio.sleep(1.0)
            assert abs(agent.dominant_frequency() - FAKE_TONE_HZ) < 20, agent.dominant_frequency()
            assert_page_hears(firefox, "customer", 660)
            firefox.save_screenshot(os.path.join(ARTIFACTS, "firefox-contact-in-call.png"))
            await agent_signaling.send({"type": "call.hangup", "callId": incoming["callId"]})
            await page_condition(firefox, "document.getElementById('call-status').textContent.startsWith('ended')",
                                 "the page shows the end")
            # A customer sends no heartbeats (only agents do): nothing was refused in 5 s of beats.
            assert firefox.find_element(By.ID, "error").text == ""
        finally:
            await agent.close()
            await agent_signaling.close()

    asyncio.run(scenario())


def test_firefox_takes_a_phone_call_and_sends_dtmf(firefox_and_gateway):
    """SIPp dials the trunk's number; the softphone in Firefox answers; it hears SIPp's 440 Hz
    through the transcoder and SIPp receives Firefox's tone as PCMU; the keypad's 3 and * reach
    SIPp as RFC 4733 events."""
    firefox, gateway = firefox_and_gateway
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    alice = gateway.agents["Alice Agent"]
    caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 8.0), timeout=40)
    add_trunk(gateway, caller.address)

    async def scenario():
        firefox.get(f"{gateway.base}/softphone?token={gateway.token(alice)}")
        await page_condition(firefox, "!document.getElementById('agent').hidden", "the agent signed in in Firefox")
        with capture_rtp(caller.media_port) as heard_by_phone:
            caller.start()
            await page_condition(firefox, "!document.getElementById('incoming').hidden", "the phone call rings")
            firefox.find_element(By.ID, "accept").click()
            await page_condition(firefox, "document.getElementById('call-status').textContent === 'established'",
                                 "established")
            assert_page_hears(firefox, "softphone", 440)
            for digit in ("3", "*"):
                firefox.execute_script(f"document.querySelector('[data-digit=\"{digit}\"]').click();")
                await asyncio.sleep(0.4)
            await asyncio.sleep(1.5)
            firefox.save_screenshot(os.path.join(ARTIFACTS, "firefox-phone-call.png"))
            result = await asyncio.to_thread(caller.wait, 30)
        assert heard_by_phone.packet_count > 150, heard_by_phone.packet_count
        assert abs(heard_by_phone.dominant_frequency() - FAKE_TONE_HZ) < 20, heard_by_phone.dominant_frequency()
        events = heard_by_phone.events()
        assert "".join(e.digit for e in events) == "3*", events
        result.assert_ok()

    asyncio.run(scenario())
