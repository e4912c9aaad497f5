"""Slow and idle HTTP clients cannot hold connections: a request head trickled a byte at a time
(slowloris) and an idle keep-alive connection are closed after `httpIdleTimeoutSeconds`; a body
that does not arrive within `requestBodyTimeoutSeconds` gets 408 in Infobip's envelope. Meanwhile
the gateway serves everyone else. Loopback only."""

import json
import socket
import tempfile
import time
import urllib.request

from gateway_process import GatewayProcess

IDLE = 2
BODY = 2


def connect(gateway):
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_after(sock, trickle=b"", limit=15.0):
    """Seconds until the gateway closes `sock` (sending `trickle` a byte a second meanwhile), and
    what it sent before closing."""
    started = time.monotonic()
    sock.settimeout(1.0)
    received = b""
    position = 0
    while time.monotonic() - started < limit:
        if position < len(trickle):
            try:
                sock.send(trickle[position:position + 1])
            except OSError:
                return time.monotonic() - started, received
            position += 1
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - started, received
        if not chunk:
            return time.monotonic() - started, received
        received += chunk
    raise AssertionError(f"still open after {limit} s; received {received!r}")


def healthy(gateway):
    with urllib.request.urlopen(gateway.base + "/health", timeout=5) as reply:
        return reply.status == 200


def test_slow_and_idle_http_clients_are_cut_off():
    gateway = GatewayProcess(tempfile.mkdtemp(prefix="gw-slow-"), {
        "GATEWAY_HTTP_IDLE_TIMEOUT_SECONDS": str(IDLE), "GATEWAY_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY)})
    try:
        key = gateway.seeded_key()
        # A head trickled a byte a second never completes: cut off after the idle time, although
        # bytes keep coming.
        head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"
        slowloris = connect(gateway)
        seconds, received = closed_after(slowloris, trickle=head)
        assert IDLE - 0.5 <= seconds <= IDLE + 3, seconds
        assert received == b"", received
        assert healthy(gateway), "others are served meanwhile"

        # A keep-alive connection that answered one request and then idles is closed too.
        idle = connect(gateway)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        seconds, received = closed_after(idle)
        assert received.startswith(b"HTTP/1.1 200"), received
        assert IDLE - 0.5 <= seconds <= IDLE + 3, seconds

        # A body that stops arriving: 408 in the path's Infobip style, then the connection closes.
        body = json.dumps({"displayName": "Slow Poke", "role": "AGENT"}).encode()
        slow_body = connect(gateway)
        slow_body.sendall(b"POST /ccaas/1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          + f"Authorization: App {key}\r\nContent-Type: application/json\r\n".encode()
                          + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:5])
        seconds, received = closed_after(slow_body, trickle=body[5:8])
        assert received.startswith(b"HTTP/1.1 408"), received
        reply = json.loads(received.split(b"\r\n\r\n", 1)[1])
        exception = reply["requestError"]["serviceException"]
        assert exception["messageId"] == "REQUEST_TIMEOUT" and f"within {BODY} seconds" in exception["text"], reply
        assert BODY - 0.5 <= seconds <= BODY + IDLE + 3, seconds
        status, agents = gateway.request("GET", "/ccaas/1/agents", key=key)
        assert status == 200 and "Slow Poke" not in [a["displayName"] for a in agents["agents"]]
    finally:
        code, log = gateway.stop()
        assert code == 0, log
