"""The pages and the SDK over HTTPS and WSS served by the gateway itself: Chromium (trusting the
gateway's self-signed development certificate by its public key, nothing else) signs an agent in
by the printed https link, a second Chromium calls from the contact page, the agent answers, both
hear the other's tone, the agent holds (the customer hears hold music, not the agent) and
resumes, then hangs up. Runs inside the loopback-only namespace."""

import os
import subprocess
import tempfile
import time

import pytest

from audio_files import add_hold_music
from gateway_process import tls_env
from peers import Gateway, patch_aioice_loopback, require_aiortc
from test_chromium_agent import ARTIFACTS, LISTEN, chromium, wait, write_tone
from conftest import require_chromium


def spki_hash(certificate):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium's flag wants it."""
    pem = subprocess.run(["openssl", "x509", "-in", certificate, "-pubkey", "-noout"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem, capture_output=True, check=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, capture_output=True, check=True).stdout
    import base64
    return base64.b64encode(digest).decode()


@pytest.fixture
def https_gateway():
    require_aiortc()
    require_chromium()
    patch_aioice_loopback()
    folder = tempfile.mkdtemp(prefix="gw-https-browser-")
    env = tls_env(folder)
    gw = Gateway({**env, "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    gw.spki = spki_hash(env["GATEWAY_TLS_CERTIFICATE_FILE"])
    yield gw
    gw.stop()


def test_pages_and_sdk_over_https_and_wss(https_gateway, tmp_path):
    from selenium.webdriver.common.by import By

    gateway = https_gateway
    os.makedirs(ARTIFACTS, exist_ok=True)
    add_hold_music(gateway, 880)
    agent_tone, customer_tone = str(tmp_path / "a-660.wav"), str(tmp_path / "c-440.wav")
    write_tone(agent_tone, 660)
    write_tone(customer_tone, 440)
    agent = chromium(agent_tone, trust_spki=gateway.spki)
    customer = chromium(customer_tone, trust_spki=gateway.spki)

    listen = LISTEN + "window.listenTo([...window.%s._calls.values()][0].remoteStream);"
    try:
        link = gateway.sign_in_links()["Alice Agent"]
        assert link.startswith(f"https://127.0.0.1:{gateway.port}/softphone#signin="), link
        agent.get(link)
        customer.get(f"{gateway.base}/contact?token={gateway.token('https-customer')}")
        wait(agent, "!document.getElementById('agent').hidden", "agent signed in by the https link")
        wait(customer, "!document.getElementById('contact').hidden", "customer page started")
        assert agent.execute_script("return location.protocol") == "https:"
        assert agent.execute_script("return window.softphone.url").startswith(f"wss://127.0.0.1:{gateway.port}/")
        assert customer.execute_script("return window.customer.url").startswith("wss://")

        customer.find_element(By.ID, "call").click()
        wait(agent, "!document.getElementById('incoming').hidden", "the call rings at the agent")
        agent.find_element(By.ID, "accept").click()
        wait(agent, "document.getElementById('call-status').textContent === 'established'", "agent established")
        wait(customer, "document.getElementById('call-status').textContent === 'connected'", "customer connected")
        agent.execute_script(listen % "softphone")
        customer.execute_script(listen % "customer")
        time.sleep(1.5)
        heard_by_agent = agent.execute_script("return window.heard();")
        heard_by_customer = customer.execute_script("return window.heard();")
        assert abs(heard_by_agent - 440) < 20 and abs(heard_by_customer - 660) < 20, (heard_by_agent, heard_by_customer)

        # Hold: the customer hears the queue's hold music (880 Hz) instead of the agent.
        agent.find_element(By.ID, "hold").click()
        wait(agent, "document.getElementById('hold').textContent === 'Resume'", "held")
        wait(customer, "Math.abs(window.heard() - 880) < 20", "the held customer hears the hold music", timeout=5)
        agent.find_element(By.ID, "hold").click()
        wait(agent, "document.getElementById('call-status').textContent === 'established'", "resumed")
        # The analyser smooths each reading with the one before: read until the tone changes.
        wait(customer, "Math.abs(window.heard() - 660) < 20", "the customer hears the agent again", timeout=5)
        agent.save_screenshot(os.path.join(ARTIFACTS, "softphone-over-https.png"))

        agent.find_element(By.ID, "hangup").click()
        wait(customer, "document.getElementById('call-status').textContent.startsWith('ended')", "customer told")
        assert agent.find_element(By.ID, "error").text == ""
    finally:
        agent.quit()
        customer.quit()
