"""Signing in as a person would, in headless Chromium: the links a first start prints, a login and
password set over REST, wrong passwords refused then throttled, signing out."""

import asyncio
import os
import re

from test_chromium_agent import ARTIFACTS, chromium, wait, write_tone


def error_line(driver, text, what):
    return wait(driver, f"document.getElementById('error').textContent.includes({text!r})", what)


async def signaling_close(gateway, token):
    """How the gateway closes a signaling socket opened with `token`: (code, reason)."""
    import websockets
    async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token={token}") as ws:
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code, closed.rcvd.reason


def test_the_links_a_first_start_prints_sign_the_supervisor_and_an_agent_in_once(gateway, tmp_path):
    """Each printed link opens its page signed in (the name shown, not the id), the code leaves the
    address bar, a reload stays signed in, and the same link in another browser is refused."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    links = gateway.sign_in_links()
    assert set(links) == {"Sam Supervisor", "Alice Agent", "Bob Agent", "Demo customer"}, links
    assert "/supervisor#signin=" in links["Sam Supervisor"] and "/softphone#signin=" in links["Alice Agent"]
    tone = str(tmp_path / "tone.wav")
    write_tone(tone, 440)
    agent, supervisor, other = chromium(tone), chromium(tone), chromium(tone)
    try:
        agent.get(links["Alice Agent"])
        wait(agent, "!document.getElementById('agent').hidden", "Alice signed in by her link")
        assert wait(agent, "document.getElementById('identity').textContent") == "Alice Agent"
        assert agent.execute_script("return location.hash;") == "", "the code left the address bar"
        agent.save_screenshot(os.path.join(ARTIFACTS, "sign-in-by-link-softphone.png"))
        agent.refresh()
        wait(agent, "!document.getElementById('agent').hidden", "still signed in after a reload")

        supervisor.get(links["Sam Supervisor"])
        wait(supervisor, "!document.getElementById('board').hidden", "the supervisor signed in by his link")
        assert wait(supervisor, "document.getElementById('identity').textContent") == "Sam Supervisor"
        wait(supervisor, "document.querySelectorAll('#agents tbody tr').length >= 3", "the board lists the agents")
        supervisor.save_screenshot(os.path.join(ARTIFACTS, "sign-in-by-link-supervisor.png"))

        other.get(links["Alice Agent"])
        error_line(other, "The sign-in link is not valid or was already used.", "a used link is refused")
        assert not other.execute_script("return document.getElementById('signin').hidden;")
    finally:
        for driver in (agent, supervisor, other):
            driver.quit()


def test_a_password_signs_in_wrong_ones_are_refused_then_throttled_and_sign_out_revokes(gateway, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    os.makedirs(ARTIFACTS, exist_ok=True)
    bob = gateway.agents["Bob Agent"]
    set_ = gateway.request("PUT", f"/ccaas/1/agents/{bob}/credentials", {"login": "bob", "password": "correct horse"})
    assert set_["login"] == "bob"
    tone = str(tmp_path / "tone.wav")
    write_tone(tone, 440)
    page = chromium(tone)

    def sign_in(password):
        page.find_element(By.ID, "login").clear()
        page.find_element(By.ID, "login").send_keys("Bob")
        page.find_element(By.ID, "password").send_keys(password + Keys.ENTER)

    try:
        page.get(gateway.base + "/softphone")
        sign_in("correct horse")
        wait(page, "!document.getElementById('agent').hidden", "Bob signed in by password")
        assert wait(page, "document.getElementById('identity').textContent") == "Bob Agent"
        assert page.find_element(By.ID, "password").get_attribute("value") == "", "the password is not kept"
        token = page.execute_script("return JSON.parse(sessionStorage.getItem('callgateway.session')).token;")

        page.find_element(By.ID, "signout").click()
        wait(page, "!document.getElementById('signin').hidden", "signed out")
        assert page.execute_script("return sessionStorage.getItem('callgateway.session');") is None
        code, reason = asyncio.run(signaling_close(gateway, token))
        assert (code, reason) == (4001, "unauthorized: token has been revoked"), (code, reason)

        for attempt in range(5):
            page.execute_script("document.getElementById('error').textContent = '';")
            sign_in("wrong horse")
            error_line(page, "The login or password is wrong.", f"wrong password {attempt + 1} refused")
        page.execute_script("document.getElementById('error').textContent = '';")
        sign_in("correct horse")
        error_line(page, "Too many sign-in attempts; try again in", "the sixth attempt is throttled")
        wait_seconds = int(re.search(r"try again in (\d+) s\.", page.find_element(By.ID, "error").text).group(1))
        assert 45 <= wait_seconds <= 60, wait_seconds
        assert not page.execute_script("return document.getElementById('signin').hidden;")
        page.save_screenshot(os.path.join(ARTIFACTS, "sign-in-throttled.png"))
    finally:
        page.quit()
