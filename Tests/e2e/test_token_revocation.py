"""Revoking WebRTC tokens: one token (its sessions close with 4001, the identity's other
sessions stay), then every token of the identity; revoked tokens are refused at sign-in, also
after a restart; a token issued later works; bad requests get 400 naming the field."""

import asyncio
import json
import tempfile
import time

import websockets

from gateway_process import GatewayProcess

IDENTITY = "customer-revoked"


def token(gw, key):
    status, reply = gw.request("POST", "/webrtc/1/token", key=key, body={"identity": IDENTITY})
    assert status == 200, reply
    return reply["token"]


async def open_session(gw, tok):
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.port}/webrtc/1/signaling?token={tok}")
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert welcome["type"] == "welcome", welcome
    return ws


async def closed_with(ws):
    """The close (code, reason) the gateway sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code, closed.rcvd.reason


async def refused(gw, tok):
    async with websockets.connect(f"ws://127.0.0.1:{gw.port}/webrtc/1/signaling?token={tok}") as ws:
        return await closed_with(ws)


def test_tokens_are_revoked_one_at_a_time_or_per_identity_and_stay_revoked_after_a_restart():
    data = tempfile.mkdtemp(prefix="gw-revoke-")
    gw = GatewayProcess(data)
    key = gw.seeded_key()
    revoked = (4001, "unauthorized: token has been revoked")
    first, second = token(gw, key), token(gw, key)

    async def revoke_one_then_all():
        one, two = await open_session(gw, first), await open_session(gw, second)
        status, reply = gw.request("POST", "/webrtc/1/token/revoke", key=key, body={"token": first})
        assert status == 200 and reply["identity"] == IDENTITY and reply["sessionsClosed"] == 1, reply
        assert reply["tokenId"] and reply["revokedAt"], reply
        assert await closed_with(one) == revoked
        await two.send(json.dumps({"type": "ping", "id": "p"}))
        assert json.loads(await asyncio.wait_for(two.recv(), 5))["type"] == "pong", "the other token still works"
        assert await refused(gw, first) == revoked

        status, reply = gw.request("POST", "/webrtc/1/token/revoke", key=key, body={"identity": IDENTITY})
        assert status == 200 and reply["tokenId"] is None and reply["sessionsClosed"] == 1, reply
        assert await closed_with(two) == revoked
        assert await refused(gw, second) == revoked

    asyncio.run(revoke_one_then_all())
    # Tokens issued after the second of the revocation work.
    time.sleep(1.1)
    later = token(gw, key)

    async def later_works():
        ws = await open_session(gw, later)
        await ws.close()

    asyncio.run(later_works())

    for body, field, message in [
        ({}, "", "give one of token or identity"),
        ({"token": first, "identity": IDENTITY}, "", "give one of token or identity"),
        ({"token": "not.a.token"}, "token", "token is malformed"),
        ({"token": first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")}, "token", "token signature is invalid"),
        ({"identity": "x"}, "identity", None),
    ]:
        status, reply = gw.request("POST", "/webrtc/1/token/revoke", key=key, body=body)
        assert status == 400, (body, status, reply)
        errors = reply["requestError"]["serviceException"]["validationErrors"]
        assert field in errors and (message is None or message in errors[field]), (body, reply)
    status, _ = gw.request("POST", "/webrtc/1/token/revoke", body={"identity": IDENTITY})
    assert status == 401, "revoking needs the API key"
    code, log = gw.stop()
    assert code == 0, log

    again = GatewayProcess(data)

    async def after_restart():
        assert await refused(again, first) == revoked
        assert await refused(again, second) == revoked
        ws = await open_session(again, later)
        await ws.close()

    try:
        asyncio.run(after_restart())
    finally:
        code, log = again.stop()
        assert code == 0, log
