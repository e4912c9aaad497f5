"""The connection limit: connections over `maxConnections` get a 503 in Infobip's envelope and
the gateway carries on; a file-descriptor limit too low for `maxCalls` stops the start with a
message naming what to raise; and running out of descriptors no longer kills the process (the
dispatch runtime traps when it cannot open `/proc`, which took every agent down with it)."""

import asyncio
import json
import subprocess
import urllib.error
import urllib.request

import pytest
import websockets

from gateway_process import GATEWAY
from loopback_ports import free_port
from headless import figures, run
from peers import Gateway


def signaling_url(gateway, token):
    return f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token={token}"


async def open_agents(gateway, tokens, forwarded_for=None):
    """Signaling sockets for `tokens`, each past its welcome (sent through a proxy that says
    `X-Forwarded-For: forwarded_for`, when given)."""
    sockets = []
    for token in tokens:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
        ws = await websockets.connect(signaling_url(gateway, token), additional_headers=headers)
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome"
        sockets.append(ws)
    return sockets


def raw_get(gateway, path):
    """(status, headers, parsed body) of an unauthenticated-or-not GET with the seeded key."""
    request = urllib.request.Request(gateway.base + path, headers={"Authorization": f"App {gateway.key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def test_connections_over_the_limit_are_refused_with_503_and_served_again_once_some_close():
    gateway = Gateway({"GATEWAY_MAX_CONNECTIONS": "12", "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    try:
        tokens = [gateway.token(f"limit-customer-{i}") for i in range(14)]

        async def scenario():
            held = await open_agents(gateway, tokens[:12])
            # The 13th socket is closed right after its upgrade: 1013 Try Again Later, no welcome.
            refused = await websockets.connect(signaling_url(gateway, tokens[12]))
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(refused.recv(), 5)
            assert refused.close_code == 1013, refused.close_code
            assert "maximum of 12 connections" in refused.close_reason, refused.close_reason
            # REST gets a 503 with Infobip's envelope in the style of its path.
            status, headers, body = await asyncio.to_thread(raw_get, gateway, "/ccaas/1/queues")
            assert status == 503 and headers["Retry-After"] == "5", (status, dict(headers))
            exception = body["requestError"]["serviceException"]
            assert exception["messageId"] == "SERVICE_UNAVAILABLE"
            assert "maximum of 12 connections" in exception["text"], exception
            # The held sockets are untouched.
            status, headers, body = await asyncio.to_thread(raw_get, gateway, "/ccaas/voice/2/calls")
            assert status == 503 and headers["Connection"] == "close", (status, dict(headers))
            assert body["status"] == "ERROR" and "maximum of 12" in body["message"], body
            await held[0].send(json.dumps({"type": "ping", "id": "p"}))
            assert json.loads(await held[0].recv())["type"] == "pong"
            # Two close: both a socket and a REST request are served again.
            for ws in held[:2]:
                await ws.close()
            await asyncio.sleep(0.3)
            again = await open_agents(gateway, tokens[13:14])
            status, _, _ = await asyncio.to_thread(raw_get, gateway, "/ccaas/1/queues")
            assert status == 200
            for ws in held[2:] + again:
                await ws.close()

        asyncio.run(scenario())
        metrics = urllib.request.urlopen(gateway.base + "/metrics", timeout=10).read().decode()
        refused = [line for line in metrics.splitlines() if line.startswith("gateway_connections_refused_total")]
        assert refused and float(refused[0].split()[-1]) >= 2, refused
    finally:
        gateway.stop()


def test_one_address_holds_at_most_max_sessions_per_address():
    """`maxSessionsPerAddress` 3: a fourth socket from 127.0.0.1 is closed 1013 naming the limit
    and counted; the three held ones work on; one closed, a new one is served."""
    gateway = Gateway({"GATEWAY_MAX_SESSIONS_PER_ADDRESS": "3", "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    try:
        tokens = [gateway.token(f"address-customer-{i}") for i in range(5)]

        async def scenario():
            held = await open_agents(gateway, tokens[:3])
            refused = await websockets.connect(signaling_url(gateway, tokens[3]))
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(refused.recv(), 5)
            assert refused.close_code == 1013, refused.close_code
            assert refused.close_reason == "try again later: this address holds its maximum of 3 sessions"
            await held[2].send(json.dumps({"type": "ping", "id": "p"}))
            assert json.loads(await held[2].recv())["type"] == "pong"
            status, _, _ = await asyncio.to_thread(raw_get, gateway, "/ccaas/1/queues")
            assert status == 200, "REST is not limited by it"
            await held[0].close()
            await asyncio.sleep(0.3)
            again = await open_agents(gateway, tokens[4:5])
            for ws in held[1:] + again:
                await ws.close()

        asyncio.run(scenario())
        metrics = urllib.request.urlopen(gateway.base + "/metrics", timeout=10).read().decode()
        assert 'gateway_signaling_closed_total{reason="address_limit"} 1' in metrics
    finally:
        gateway.stop()


async def close_code_of_refused(gateway, token, forwarded_for):
    """The close code of a signaling socket the gateway refuses at once."""
    ws = await websockets.connect(signaling_url(gateway, token), additional_headers={"X-Forwarded-For": forwarded_for})
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_clients():
    """127.0.0.1 is a trusted proxy: sessions count per X-Forwarded-For client, not per proxy; a
    client cannot hide behind an address it writes itself (the rightmost untrusted hop counts);
    an untrusted peer's X-Forwarded-For is ignored."""
    gateway = Gateway({"GATEWAY_MAX_SESSIONS_PER_ADDRESS": "2", "GATEWAY_HEARTBEAT_TIMEOUT": "60",
                       "GATEWAY_TRUSTED_PROXIES": "10.9.0.0/16, 127.0.0.1"})
    try:
        tokens = [gateway.token(f"proxied-customer-{i}") for i in range(6)]

        async def scenario():
            first = await open_agents(gateway, tokens[:2], forwarded_for="203.0.113.7")
            assert await close_code_of_refused(gateway, tokens[2], "203.0.113.7") == 1013
            # Spoofing: the client wrote 198.51.100.1; the proxies appended what they saw.
            spoofed = "198.51.100.1, 203.0.113.7, 10.9.3.4"
            assert await close_code_of_refused(gateway, tokens[3], spoofed) == 1013, "counted as 203.0.113.7"
            # Another client behind the same proxy has its own count.
            other = await open_agents(gateway, tokens[4:6], forwarded_for="203.0.113.8")
            for ws in first + other:
                await ws.close()

        asyncio.run(scenario())
        assert gateway.counter('gateway_signaling_closed_total{reason="address_limit"}') == 2
    finally:
        gateway.stop()


def test_an_untrusted_peers_forwarded_for_is_ignored():
    gateway = Gateway({"GATEWAY_MAX_SESSIONS_PER_ADDRESS": "2", "GATEWAY_HEARTBEAT_TIMEOUT": "60",
                       "GATEWAY_TRUSTED_PROXIES": "10.9.0.1"})
    try:
        tokens = [gateway.token(f"unproxied-customer-{i}") for i in range(3)]

        async def scenario():
            held = await open_agents(gateway, tokens[:1], forwarded_for="203.0.113.1")
            held += await open_agents(gateway, tokens[1:2], forwarded_for="203.0.113.2")
            assert await close_code_of_refused(gateway, tokens[2], "203.0.113.3") == 1013, \
                "all three are 127.0.0.1, whatever they claim"
            for ws in held:
                await ws.close()

        asyncio.run(scenario())
    finally:
        gateway.stop()


def test_a_descriptor_limit_too_low_for_max_calls_stops_the_start_with_what_to_raise(tmp_path):
    done = subprocess.run(
        ["prlimit", "--nofile=300:300", GATEWAY, "serve"], capture_output=True, text=True, timeout=60,
        env={"GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_HTTP_PORT": "0", "GATEWAY_BIND_ADDRESS": "127.0.0.1",
             "GATEWAY_MEDIA_ADDRESS": "127.0.0.1", "GATEWAY_SIP_PORT": str(free_port()),
             "GATEWAY_MAX_CALLS": "100"})
    assert done.returncode != 0
    assert "maxCalls" in done.stderr and "file-descriptor limit 300" in done.stderr, done.stderr
    assert "LimitNOFILE" in done.stderr, done.stderr


def test_a_descriptor_limit_too_low_for_max_calls_carries_fewer_calls_with_a_warning():
    """1024 descriptors (a common default) cannot hold maxCalls 1000: the gateway starts, shares
    what is left between calls and connections, and says what to raise."""
    gateway = Gateway(prefix=("prlimit", "--nofile=1024:1024"))
    try:
        assert gateway.request("GET", "/ccaas/1/queues")["queues"]
        log = gateway.log()
        assert "too low for maxCalls 1000" in log and "carrying at most 86 calls" in log, log[-2000:]
        assert "LimitNOFILE" in log
    finally:
        gateway.stop()


def test_a_gateway_at_its_descriptor_limit_survives_and_carries_calls_afterwards():
    """400 descriptors, maxCalls 5: 4 x 5 + 256 are kept for calls and the rest and 64 for
    refusals, so 60 connections are served and 64 more refused; 450 sockets opened at once would
    take more descriptors than the process has (which killed it), the rest wait in the backlog."""
    gateway = Gateway({"GATEWAY_MAX_CALLS": "5", "GATEWAY_HEARTBEAT_TIMEOUT": "60",
                       "GATEWAY_MAX_REQUESTS_PER_SECOND": "100000"}, prefix=("prlimit", "--nofile=400:400"))
    try:
        tokens = [gateway.token(f"fd-customer-{i}") for i in range(450)]

        async def flood():
            async def one(token):
                """The socket past its welcome, or the close code it got, or the error."""
                try:
                    ws = await asyncio.wait_for(websockets.connect(signaling_url(gateway, token)), 4)
                    await asyncio.wait_for(ws.recv(), 4)
                    return ws
                except websockets.exceptions.ConnectionClosed:
                    return ws.close_code
                except (asyncio.TimeoutError, OSError) as error:
                    return error

            results = await asyncio.gather(*[one(t) for t in tokens])
            held = [r for r in results if isinstance(r, websockets.ClientConnection)]
            refused = [r for r in results if r == 1013]
            # Connections that closed a moment ago (the tokens' requests) may still be counted.
            assert 50 <= len(held) <= 60 and refused, (len(held), len(refused), results[-3:])
            # The dispatch runtime looks at its threads every second: at the limit it used to trap.
            await asyncio.sleep(3)
            assert gateway.proc.poll() is None, gateway.log()[-2000:]
            await held[0].send(json.dumps({"type": "ping", "id": "p"}))
            assert json.loads(await asyncio.wait_for(held[0].recv(), 5))["type"] == "pong"
            for ws in held:
                await ws.close()

        asyncio.run(flood())
        code, out, err = run(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", "5",
                              "--rate", "10", "--duration", "2", "--json"], timeout=120)
        assert code == 0, err + "\n".join(out[-5:])
        assert figures(out)[-1]["failedCalls"] == 0
        assert gateway.proc.poll() is None
    finally:
        gateway.stop()


def test_sign_in_throttle_counts_the_forwarded_client():
    """Behind a trusted proxy the sign-in throttle (20 attempts an address, then one every 3 s)
    counts each forwarded client: one client's guesses do not lock out another."""
    gateway = Gateway({"GATEWAY_TRUSTED_PROXIES": "127.0.0.1", "GATEWAY_PASSWORD_HASH_MEMORY_KIB": "1024",
                       "GATEWAY_PASSWORD_HASH_ITERATIONS": "1"})

    def sign_in(client, login):
        request = urllib.request.Request(gateway.base + "/webrtc/1/sign-in", method="POST",
                                         data=json.dumps({"login": login, "password": "wrong-password"}).encode(),
                                         headers={"Content-Type": "application/json", "X-Forwarded-For": client})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        statuses = [sign_in("203.0.113.20", f"nobody-{i}") for i in range(21)]
        assert statuses[:20] == [401] * 20 and statuses[20] == 429, statuses
        assert sign_in("203.0.113.21", "nobody-else") == 401, "another client is not throttled"
    finally:
        gateway.stop()


def read_until_closed(sock):
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def accepted(connect, attempts=50):
    """(a connection that served `GET /health`, how many attempts were refused first). The gateway
    frees a closed connection's place once it has seen the close, a moment after the client
    closed it, so the Gateway helper's own requests may still count when a test starts: a refusal
    then is retried."""
    import http.client
    import ssl
    import time
    for refused in range(attempts):
        connection = connect()
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return connection, refused
        except (ConnectionError, ssl.SSLError, http.client.HTTPException):
            pass
        connection.close()
        time.sleep(0.1)
    raise AssertionError(f"every one of {attempts} connections was refused")


def served(request, attempts=50):
    """(what `request()` returned once the address limit let it through, how many attempts it
    refused first): as `accepted`, for a request on a connection of its own."""
    import time
    for refused in range(attempts):
        try:
            result = request()
            if result != 503:
                return result, refused
        except (ConnectionError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"every one of {attempts} requests was refused")


async def accepted_agent(gateway, token, attempts=50):
    """(a signaling socket past its welcome, how many attempts were refused first), as `accepted`."""
    for refused in range(attempts):
        try:
            return (await open_agents(gateway, [token]))[0], refused
        except websockets.exceptions.InvalidStatus as refusal:
            assert refusal.response.status_code == 503, refusal
            await asyncio.sleep(0.1)
    raise AssertionError(f"every one of {attempts} signaling sockets was refused")


def test_one_address_holds_at_most_max_connections_per_address(tmp_path):
    """`maxConnectionsPerAddress` 3: with three connections held (one a signaling socket), a
    fourth from the same address is answered 503 (JSON, Retry-After) before it sends anything and
    closed, and counted; once one closes, requests are served again. Over TLS a refused
    connection is closed without a handshake."""
    import http.client
    import socket
    import ssl
    from gateway_process import tls_env
    gateway = Gateway({"GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "3", "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    try:
        token = gateway.token("connections-customer")

        async def scenario():
            # Two keep-alive connections, each past one request (the gateway holds them for sure),
            # and a signaling socket.
            held = []
            for _ in range(2):
                connection, refused = await asyncio.to_thread(
                    accepted, lambda: http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5))
                held.append(connection)
                refusals.append(refused)
            ws, refused = await accepted_agent(gateway, token)
            refusals.append(refused)
            extra = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
            reply = await asyncio.to_thread(read_until_closed, extra)
            head, body = reply.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in head, reply
            assert json.loads(body) == {"message": "127.0.0.1 holds its maximum of 3 connections",
                                        "status": "SERVICE_UNAVAILABLE"}
            await ws.send(json.dumps({"type": "ping", "id": "p"}))
            assert json.loads(await ws.recv())["type"] == "pong", "the held ones work on"
            held[0].close()
            status, refused = await asyncio.to_thread(served, lambda: raw_get(gateway, "/ccaas/1/queues")[0])
            assert status == 200, "served again once one closed"
            refusals.append(refused)
            for sock in held[1:]:
                sock.close()
            await ws.close()

        refusals = []
        asyncio.run(scenario())
        count, refused = served(lambda: gateway.counter("gateway_connections_refused_per_address_total"))
        assert count == 1 + sum(refusals) + refused
    finally:
        gateway.stop()

    gateway = Gateway({**tls_env(tmp_path), "GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "1"})
    try:
        held, _ = accepted(
            lambda: http.client.HTTPSConnection("127.0.0.1", gateway.port, timeout=5, context=gateway.ssl_context))
        extra = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
        assert read_until_closed(extra) == b"", "closed at once, nothing written"
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
            gateway.ssl_context.wrap_socket(socket.create_connection(("127.0.0.1", gateway.port), timeout=5),
                                            server_hostname="localhost")
        held.close()
    finally:
        gateway.stop()
