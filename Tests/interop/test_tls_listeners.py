"""HTTPS and WSS served by the gateway itself, with its certificate reloaded on SIGHUP: REST,
the signaling WebSocket and a whole call (the headless agent and an aiortc customer, both over
WSS, tones checked both ways); a clear-text request on the TLS port gets nothing and is counted;
a reload swaps the certificate for new connections without closing open ones, and a broken file
leaves the old one serving. Loopback only."""

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import ssl
import tempfile

import pytest

from gateway_process import make_dev_certificate, tls_env
from headless import dominant_frequency
from peers import Gateway, Signaling, patch_aioice_loopback, require_aiortc, wait_for
from test_headless_agent import headless_agent_answers


@pytest.fixture
def https_gateway():
    require_aiortc()
    patch_aioice_loopback()
    folder = tempfile.mkdtemp(prefix="gw-https-")
    gw = Gateway({**tls_env(folder), "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    gw.folder = folder
    yield gw
    gw.stop()


def served_fingerprint(port):
    """The SHA-256 of the certificate a new TLS connection to `port` is served, as openssl
    writes it (upper-case hex with colons)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_rest_and_a_whole_call_over_https_and_wss(https_gateway, tmp_path):
    gateway = https_gateway
    assert gateway.base.startswith("https://") and any("wss://127.0.0.1" in line for line in gateway.lines)
    links = gateway.sign_in_links()
    assert links and all(url.startswith("https://") for url in links.values()), links
    assert gateway.request("GET", "/health")["status"] == "UP"
    assert served_fingerprint(gateway.port) in "".join(gateway.lines), "the fingerprint printed at start is the one served"

    # Clear text on the TLS port: no HTTP answer at all, and the failed handshake is counted.
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        raw.settimeout(5)
        try:
            reply = raw.recv(100)
        except (ConnectionResetError, socket.timeout):
            reply = b""
    assert not reply.startswith(b"HTTP/"), reply
    assert gateway.counter('gateway_tls_handshake_failures_total{listener="https"}') >= 1

    # A client that does not trust the development certificate is refused by its own check.
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as raw:
            ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")

    # Over TLS the headless agent names the gateway as its certificate does (not by IP).
    record = str(tmp_path / "alice.wav")
    heard, call, code, stderr = headless_agent_answers(
        gateway, record, ["--ca-file", gateway.ssl_cafile], base=gateway.base.replace("127.0.0.1", "localhost"))
    assert code == 0, stderr
    assert abs(heard - 660) < 15, heard
    assert call["hangup"] == "NORMAL_HANGUP" and call["packetsReceived"] > 100, call
    assert abs(dominant_frequency(record) - 440) < 15


def test_sighup_reloads_the_certificate_for_new_connections_only(https_gateway):
    gateway = https_gateway
    before = served_fingerprint(gateway.port)

    async def scenario():
        # A signaling session opened before the reload...
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        try:
            renewed = tempfile.mkdtemp(prefix="renewed-")
            _, _, after = make_dev_certificate(renewed)
            for name in ("dev-cert.pem", "dev-key.pem"):
                shutil.copy(os.path.join(renewed, name), os.path.join(gateway.folder, name))
            gateway.proc.send_signal(signal.SIGHUP)
            assert await wait_for(lambda: served_fingerprint(gateway.port) == after, timeout=10), "not reloaded"
            assert after != before
            # ...is still served after it.
            await alice.send({"type": "heartbeat", "id": "after-reload"})
            ack = await alice.next("heartbeat.ack", timeout=5)
            assert ack["id"] == "after-reload", ack

            # A key that does not load: the renewed certificate stays and the failure is counted.
            with open(os.path.join(gateway.folder, "dev-key.pem"), "w") as f:
                f.write("not a key\n")
            gateway.proc.send_signal(signal.SIGHUP)
            assert await wait_for(
                lambda: gateway.counter('gateway_tls_reloads_total{result="failed"}', trusting(renewed)) == 1,
                timeout=10)
            assert served_fingerprint(gateway.port) == after
            assert gateway.counter('gateway_tls_reloads_total{result="ok"}', trusting(renewed)) == 1
            assert gateway.proc.poll() is None, "a bad reload never stops the gateway"
        finally:
            await alice.close()

    asyncio.run(scenario())


def trusting(folder):
    """A client context that trusts the certificate in `folder` (after a reload)."""
    return ssl.create_default_context(cafile=os.path.join(folder, "dev-cert.pem"))
