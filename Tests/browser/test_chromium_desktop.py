"""The agent desktop in headless Chromium as an agent uses it: device pickers and the input meter
on Chromium's fake devices, a call from an aiortc customer that rings (the ring's tones measured
in the page), raises a notification while the tab is in the background and shows the caller, the
queue and the wait; answered, muted and hung up from the keyboard; a wrap-up note saved to the
conversation; today's calls listed; usable 400 px wide; every control named in the
accessibility tree."""

import asyncio
import os

from peers import start_customer_call, wait_for
from test_chromium_agent import ARTIFACTS, chromium, page_condition, write_tone

# The tab "in the background", and Notification recorded rather than shown (headless Chromium has
# no notification centre): what the page does when an offer comes while the agent is elsewhere.
BACKGROUND = r"""
Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
window.notifications = [];
window.Notification = class {
  static permission = 'granted';
  static requestPermission() { return Promise.resolve('granted'); }
  constructor(title, options) { window.notifications.push({ title, ...options }); }
  close() { window.notifications.closed = (window.notifications.closed ?? 0) + 1; }
};
"""

RING_HZ = (523.25, 659.25)


def unnamed_controls(driver):
    """Buttons, fields, pickers and meters shown on the page whose accessible name is empty."""
    tree = driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    roles = {"button", "textbox", "combobox", "checkbox", "meter", "slider", "spinbutton", "link"}
    missing = []
    for node in tree:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in roles:
            continue
        if not (node.get("name", {}).get("value") or "").strip():
            missing.append(role)
    return missing


def test_the_desktop_rings_notifies_and_is_worked_from_the_keyboard(gateway, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "agent-660.wav")
    write_tone(tone, 660)
    page = chromium(tone)
    page.set_window_size(400, 900)
    alice = gateway.agents["Alice Agent"]

    def value(expression):
        return page.execute_script(f"return {expression};")

    async def wait(condition, what, timeout=20):
        await page_condition(page, condition, what, timeout)

    def press(key):
        ActionChains(page).send_keys(key).perform()

    async def scenario():
        page.get(f"{gateway.base}/softphone?token={gateway.token(alice)}")
        await wait("!document.getElementById('agent').hidden", "Alice signed in")
        assert value("document.getElementById('identity').textContent") == "Alice Agent"
        await wait("document.getElementById('availability').textContent === 'ACTIVE'", "Alice is available")
        await wait("/^0:0[0-9]$/.test(document.getElementById('in-state').textContent)", "time in state counts")

        await wait("document.getElementById('microphone').options.length > 1", "microphones listed")
        microphones = value("[...document.getElementById('microphone').options].map((o) => o.textContent)")
        speakers = value("[...document.getElementById('speaker').options].map((o) => o.textContent)")
        assert any("Fake" in label for label in microphones), microphones
        assert speakers[0] == "Default speaker" and len(speakers) > 1, speakers
        await wait("document.getElementById('mic-level').value > 0.05", "the meter moves with the fake tone")
        # Picking a speaker routes the call's audio and the ring to it.
        page.execute_script("const s = document.getElementById('speaker'); s.value = s.options[1].value;"
                            "s.dispatchEvent(new Event('change'));")
        speaker = value("document.getElementById('speaker').value")
        await wait(f"document.getElementById('remote').sinkId === {speaker!r}", "the call audio follows the speaker")
        await wait(f"window.ringtone.context.sinkId === {speaker!r}", "the ring follows the speaker")
        assert value("document.getElementById('mic-warning').hidden"), "no warning for a working microphone"

        page.execute_script(BACKGROUND)
        signaling, customer, created = await start_customer_call(gateway, "customer-desk")
        try:
            await wait("!document.getElementById('incoming').hidden", "the call is offered")
            assert value("document.getElementById('incoming-from').textContent") == "customer-desk"
            assert value("document.getElementById('incoming-queue').textContent") == "Support"
            assert 0 <= int(value("document.getElementById('incoming-waited').textContent")) <= 10
            assert value("window.ringtone.playing")
            heard = []
            for _ in range(40):
                heard.append(value("window.ringtone.loudestFrequency()"))
                if any(abs(heard[-1] - hz) < 15 for hz in RING_HZ):
                    break
                await asyncio.sleep(0.1)
            assert any(abs(heard[-1] - hz) < 15 for hz in RING_HZ), heard
            notifications = value("window.notifications")
            assert len(notifications) == 1, notifications
            assert notifications[0]["title"] == "Incoming call"
            assert notifications[0]["body"] == "customer-desk in Support", notifications
            page.save_screenshot(os.path.join(ARTIFACTS, "desktop-ringing-400px.png"))
            assert value("document.documentElement.scrollWidth") <= value("window.innerWidth"), "no sideways scroll"
            missing = unnamed_controls(page)
            assert not missing, f"controls without an accessible name: {missing}"

            page.find_element(By.TAG_NAME, "h1").click()
            press("a")
            await signaling.next("call.established", timeout=20)
            await wait("document.getElementById('call-status').textContent === 'established'", "answered by key")
            assert not value("window.ringtone.playing"), "the ring stops"
            assert value("window.notifications.closed") == 1, "the notification is withdrawn"
            assert await wait_for(lambda: customer.frames > 50, timeout=10)
            assert abs(customer.dominant_frequency() - 660) < 15, "the customer hears the agent's microphone"

            press("m")
            await wait("document.getElementById('mute').textContent === 'Unmute'", "muted by key")
            press("m")
            await wait("document.getElementById('mute').textContent === 'Mute'", "unmuted by key")
            page.save_screenshot(os.path.join(ARTIFACTS, "desktop-in-call-400px.png"))
            assert not unnamed_controls(page)
            press("e")
            hangup = await signaling.next("call.hangup", timeout=10)
            assert hangup["errorCode"]["name"] == "NORMAL_HANGUP", hangup

            # Wrap-up: the note typed is saved to the conversation (with the agent's own token)
            # when the agent presses Done; today's calls list the call.
            await wait("!document.getElementById('wrapup').hidden", "wrap-up starts")
            assert not value("document.getElementById('notes-panel').hidden"), "the conversation's notes are shown"
            page.find_element(By.ID, "wrapup-note").send_keys("Asked about the invoice.")
            page.find_element(By.ID, "clear").click()
            await wait("document.getElementById('wrapup').hidden", "wrap-up done")
            notes = gateway.request("GET", f"/ccaas/1/conversations/{created['conversationId']}/notes")["notes"]
            assert [(n["content"], n["agentId"]) for n in notes] == [("Asked about the invoice.", alice)], notes
            await wait("document.getElementById('notes').textContent.includes('Asked about the invoice.')",
                       "the note shows in the page")
            await wait("document.querySelectorAll('#history-calls tbody tr').length === 1", "today's call is listed")
            row = value("[...document.querySelector('#history-calls tbody tr').cells].map((c) => c.textContent)")
            assert row[1:3] == ["customer-desk", "inbound"] and row[4] == "NORMAL_HANGUP", row
            page.save_screenshot(os.path.join(ARTIFACTS, "desktop-after-call-400px.png"))
            assert value("document.documentElement.scrollWidth") <= value("window.innerWidth"), "no sideways scroll"
            assert value("document.getElementById('error').textContent") == ""
        finally:
            await customer.close()
            await signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        page.quit()
