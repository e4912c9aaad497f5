"""SIP over TLS against baresip (a real phone; libre's TLS over OpenSSL): the gateway takes SIP
only over TLS (sipPort 0), the phone calls in and an agent calls out, and each side hears the
other's tone. A trunk whose certificate the gateway does not trust is refused at the handshake,
at once and counted. Loopback only."""

import asyncio
import socket
import os
import tempfile
import time

import pytest

from gateway_process import make_dev_certificate, tls_env
from peers import Gateway, Peer, Signaling, patch_aioice_loopback, require_aiortc
from sip_peers import Baresip, capture_rtp, free_port, require_baresip, require_tshark
from test_baresip import agent_calls_phone, phone_calls_agent
from test_sip_trunks import NUMBER, add_trunk, agent_dials


@pytest.fixture
def tls_gateway():
    """A gateway whose SIP is TLS only, on a fresh development certificate that it also trusts
    for trunks (the phones below present the same certificate)."""
    require_aiortc()
    require_baresip()
    patch_aioice_loopback()
    folder = tempfile.mkdtemp(prefix="gw-tls-")
    env = tls_env(folder, sip_tls_port=free_port())
    env.update({"GATEWAY_SIP_PORT": "0", "GATEWAY_HEARTBEAT_TIMEOUT": "60",
                "GATEWAY_SIP_TLS_TRUSTED_CERTIFICATES_FILE": env["GATEWAY_TLS_CERTIFICATE_FILE"]})
    gw = Gateway(env)
    gw.folder = folder
    yield gw
    gw.stop()


def tls_phone(user, tone_hz, certificate_folder, **kwargs):
    """baresip with `certificate_folder`'s certificate and key (one PEM file, as libre wants it),
    trusting the gateway's certificate. libre listens for TLS on its SIP port + 1."""
    cert = open(os.path.join(certificate_folder, "dev-cert.pem")).read()
    key = open(os.path.join(certificate_folder, "dev-key.pem")).read()
    bundle = os.path.join(certificate_folder, f"{user}-bundle.pem")
    with open(bundle, "w") as f:
        f.write(cert + key)
    return Baresip(user, tone_hz=tone_hz, tone_seconds=30,
                   extra_config=f"sip_certificate\t{bundle}\nsip_cafile\t{os.path.join(certificate_folder, 'dev-cert.pem')}\n",
                   **kwargs)


def test_a_phone_calls_in_and_an_agent_calls_out_over_tls(tls_gateway):
    gateway = tls_gateway
    assert gateway.sip_port is None and gateway.sip_tls_port, gateway.lines

    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        phone = tls_phone("15557400", 660, gateway.folder).start()
        try:
            add_trunk(gateway, f"127.0.0.1:{phone.port + 1}", transport="TLS")
            # In: the phone dials the number over TLS; out: the agent dials the phone through the trunk.
            await phone_calls_agent(alice, phone, f"sip:{NUMBER}@127.0.0.1:{gateway.sip_tls_port};transport=tls")
            await agent_calls_phone(gateway, alice, alice_id, phone, "15557400")
            # The SIP both ways went over TLS: baresip's trace shows it, and no clear-text port exists.
            assert "SIP/2.0/TLS" in phone.log, phone.log[-3000:]
            assert gateway.counter("gateway_tls_handshake_failures_total") == 0
        finally:
            phone.stop()
            await alice.close()

    asyncio.run(scenario())


def test_a_trunk_with_an_untrusted_certificate_is_refused_at_the_handshake(tls_gateway):
    """baresip presents a certificate the gateway does not trust: the agent's call through that
    trunk fails within seconds (not after SIP's 32 s timer), and the failed handshake is counted."""
    gateway = tls_gateway

    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        stranger = tempfile.mkdtemp(prefix="untrusted-")
        make_dev_certificate(stranger)
        phone = tls_phone("15557500", 660, stranger).start()
        agent = Peer(523)
        try:
            add_trunk(gateway, f"127.0.0.1:{phone.port + 1}", transport="TLS")
            started = time.monotonic()
            created, _ = await agent_dials(gateway, alice, alice_id, agent, "15557500")
            hangup = await alice.next("call.hangup", timeout=15)
            took = time.monotonic() - started
            print("untrusted trunk: call.hangup after", round(took, 2), "s:", hangup)
            assert took < 8, took
            assert hangup["callId"] == created["callId"], hangup
            assert gateway.counter('gateway_tls_handshake_failures_total{listener="sip"}') >= 1
            assert "CALL_ESTABLISHED" not in [e.get("type") for e in phone.events]
        finally:
            phone.stop()
            await agent.close()
            await alice.close()

    asyncio.run(scenario())


def udp_payload_lengths(pcap):
    """The UDP payload length of every packet in a capture file, by tshark."""
    import subprocess
    out = subprocess.run([require_tshark(), "-n", "-r", str(pcap), "-T", "fields", "-e", "udp.length"],
                         capture_output=True, text=True, check=True).stdout
    return [int(v) - 8 for v in out.split()]


def test_srtp_keyed_by_sdes_both_ways_over_a_tls_trunk(tls_gateway):
    """mediaEncryption SDES: baresip insists on SRTP (srtp-mand), calls in and is called; each
    side hears the other's tone, so each decrypts what the other encrypted. What reaches the
    gateway's trunk ports is SRTP: 172-byte PCMU packets plus a 10-byte tag, and their payload
    read as plain PCMU is not the tone."""
    gateway = tls_gateway

    async def scenario():
        alice_id = gateway.agents["Alice Agent"]
        alice = await Signaling.connect(gateway, alice_id)
        phone = tls_phone("15557600", 660, gateway.folder, codecs="pcmu", account_params="mediaenc=srtp-mand",
                          extra_modules="module\t\t\tsrtp.so\n").start()
        try:
            add_trunk(gateway, f"127.0.0.1:{phone.port + 1}", transport="TLS", mediaEncryption="SDES",
                      codecs=["PCMU"], rtpPortRange="47200-47219")
            with capture_rtp(47200, bpf="udp dst portrange 47200-47219") as captured:
                await phone_calls_agent(alice, phone, f"sip:{NUMBER}@127.0.0.1:{gateway.sip_tls_port};transport=tls")
            lengths = udp_payload_lengths(captured.file)
            rtp = [n for n in lengths if n > 100]
            assert len(rtp) > 100 and all(n == 182 for n in rtp), sorted(set(lengths))
            clear = captured.dominant_frequency() if captured.packets else None
            assert clear is None or abs(clear - 660) > 15, f"the payload is the tone in clear: {clear}"
            # Out: the gateway offers RTP/SAVP with its key; baresip answers with its own.
            await agent_calls_phone(gateway, alice, alice_id, phone, "15557600")
            assert "RTP/SAVP" in phone.log and "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in phone.log
        finally:
            phone.stop()
            await alice.close()

    asyncio.run(scenario())


def test_sdes_needs_tls_and_each_side_must_match(tls_gateway):
    """SDES over a clear-text transport would show the keys to the network: refused, field named.
    A plain-RTP phone calling an SDES trunk is refused 488, never carried in clear."""
    gateway = tls_gateway
    status, reply = gateway.post_trunk({"name": "sdes-udp", "destinationHosts": ["127.0.0.1:5999"],
                                        "transport": "UDP", "mediaEncryption": "SDES"})
    assert status == 400 and "mediaEncryption" in str(reply) and "transport TLS" in str(reply), reply
    status, reply = gateway.post_trunk({"name": "bad", "destinationHosts": ["127.0.0.1:5999"],
                                        "mediaEncryption": "ZRTP"})
    assert status == 400 and "mediaEncryption" in str(reply), reply

    phone = tls_phone("15557700", 660, gateway.folder).start()  # no srtp module: plain RTP/AVP
    try:
        add_trunk(gateway, f"127.0.0.1:{phone.port + 1}", transport="TLS", mediaEncryption="SDES")
        phone.dial(f"sip:{NUMBER}@127.0.0.1:{gateway.sip_tls_port};transport=tls")
        phone.wait_event("CALL_CLOSED", 10)
        assert "488" in phone.log, phone.log[-3000:]
    finally:
        phone.stop()


def test_a_tls_trunk_is_refused_without_the_tls_listener(gateway):
    """Without sipTLSPort a TLS trunk could never work: 400 naming what to set, nothing stored."""
    status, reply = gateway.post_trunk({"name": "tls", "destinationHosts": ["127.0.0.1:5061"], "transport": "TLS"})
    assert status == 400, reply
    assert "sipTLSPort" in str(reply), reply
    names = [t["name"] for t in gateway.request("GET", "/calls/1/sip-trunks")["results"]]
    assert "tls" not in names


def seconds_until_closed(sock, keepalive_every=None, limit=8.0):
    """Seconds until the gateway closes `sock` (sending a CRLF keepalive every `keepalive_every`
    seconds meanwhile, when given); `limit` when it is still open then."""
    started = time.monotonic()
    sock.settimeout(0.25)
    last_keepalive = started
    while time.monotonic() - started < limit:
        if keepalive_every and time.monotonic() - last_keepalive >= keepalive_every:
            sock.sendall(b"\r\n\r\n")
            last_keepalive = time.monotonic()
        try:
            if sock.recv(100) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - started
    return limit


def test_silent_sip_connections_are_closed_after_the_idle_timeout(tmp_path):
    """`sipIdleTimeoutSeconds` 2: a TCP connection that says nothing, and a TLS connection that
    never finishes its handshake, are closed after about 2 s; one that sends keepalives stays."""
    env = tls_env(tmp_path, sip_tls_port=free_port())
    gateway = Gateway({**env, "GATEWAY_SIP_IDLE_TIMEOUT_SECONDS": "2"})
    try:
        import concurrent.futures
        silent_tcp = socket.create_connection(("127.0.0.1", gateway.sip_port), timeout=5)
        silent_tls = socket.create_connection(("127.0.0.1", gateway.sip_tls_port), timeout=5)
        alive = socket.create_connection(("127.0.0.1", gateway.sip_port), timeout=5)
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            tcp = pool.submit(seconds_until_closed, silent_tcp)
            tls = pool.submit(seconds_until_closed, silent_tls)
            kept = pool.submit(seconds_until_closed, alive, 0.5, 5)
            assert 1.5 <= tcp.result() <= 4, tcp.result()
            assert 1.5 <= tls.result() <= 4, tls.result()
            assert kept.result() == 5, "keepalives keep it open"
        for sock in (silent_tcp, silent_tls, alive):
            sock.close()
    finally:
        gateway.stop()
