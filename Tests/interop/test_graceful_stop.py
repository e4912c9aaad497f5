"""Stopping and restarting with calls in progress, with aiortc parties and SIPp. On SIGTERM the
gateway takes no new calls (signaling `call.start` refused, SIP 503, `/health` DRAINING) while the
call in progress goes on with its audio for the drain time; then both parties get `call.hangup`
SERVICE_UNAVAILABLE, the sockets close 1001 and the process exits 0, and the call is recorded as
ended. After a SIGKILL the next start closes the call the dead process left ESTABLISHED. Loopback
only."""

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request

from peers import Gateway, Peer, Signaling, close_all, patch_aioice_loopback, require_aiortc, talking_call, wait_for
from sip_peers import require_sipp
from test_sip_trunks import NUMBER, add_trunk, refused

DRAIN = 4


def health(gateway):
    """(status, body) of GET /health."""
    try:
        with urllib.request.urlopen(gateway.base + "/health", timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def call_record(gateway, conversation_id):
    calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={conversation_id}")["elements"]
    assert len(calls) == 1, calls
    return calls[0]


def test_a_stopping_gateway_drains_its_call_then_ends_it_with_both_parties_told():
    require_aiortc()
    require_sipp()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_SHUTDOWN_DRAIN_SECONDS": str(DRAIN)})

    async def scenario():
        probe = refused(gateway, NUMBER, 503)
        add_trunk(gateway, probe.address)
        alice, agent, signaling, customer, created = await talking_call(gateway, "customer-drained")
        late = late_peer = None
        try:
            assert await wait_for(lambda: customer.frames > 50 and agent.frames > 50, timeout=15)
            status, body = health(gateway)
            assert status == 200 and body["status"] == "UP" and body["callsInProgress"] == 1, (status, body)

            gateway.proc.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            assert await wait_for(lambda: health(gateway)[1]["status"] == "DRAINING", timeout=5)
            status, body = health(gateway)
            assert status == 503 and body["callsInProgress"] == 1, (status, body)

            # New calls are refused: from a browser with SERVICE_UNAVAILABLE, from a phone with 503.
            late = await Signaling.connect(gateway, "customer-late")
            late_peer = Peer(440)
            await late.send({"type": "call.start", "id": "late", "sdp": await late_peer.offer()})
            refusal = await late.next("error", where=lambda f: f.get("id") == "late")
            assert refusal["code"] == "SERVICE_UNAVAILABLE" and "takes no new calls" in refusal["message"], refusal
            (await asyncio.to_thread(probe.run)).assert_ok()

            # The call in progress goes on with its audio while it drains.
            heard = (customer.frames, agent.frames)
            assert await wait_for(lambda: customer.frames > heard[0] + 75 and agent.frames > heard[1] + 75,
                                  timeout=DRAIN - 1)
            assert abs(customer.dominant_frequency() - 660) < 15 and abs(agent.dominant_frequency() - 440) < 15

            # At the end of the drain both parties are told why, then the sockets close 1001.
            for party in (signaling, alice):
                hangup = await party.next("call.hangup", timeout=DRAIN + 5)
                assert hangup["callId"] == created["callId"], hangup
                code = hangup["errorCode"]
                assert code["id"] == 10503 and code["name"] == "SERVICE_UNAVAILABLE", code
                assert "shutting down" in code["description"], code
            assert time.monotonic() - stopped_at >= DRAIN - 0.5, "the call was ended before its drain time"
            # Both sessions are closed, each in its own time: wait for both, not the first.
            assert await wait_for(
                lambda: signaling.ws.close_code is not None and alice.ws.close_code is not None, timeout=5)
            assert signaling.ws.close_code == 1001 and alice.ws.close_code == 1001
        finally:
            await close_all(customer, agent, signaling, alice, late, late_peer)

    asyncio.run(scenario())
    code, log = gateway.wait_stopped(timeout=20)
    assert code == 0, log
    assert "ending the calls still in progress" in log, log

    again = Gateway(data_dir=gateway.data, key=gateway.key)
    try:
        status, body = health(again)
        assert status == 200 and body["status"] == "UP" and body["callsInProgress"] == 0, body
        conversations = again.request("GET", "/ccaas/voice/2/calls?size=999")["elements"]
        answered = [c for c in conversations if c.get("answeredAt")]
        assert len(answered) == 1, conversations
        record = answered[0]
        assert record["state"] == "FINISHED" and record["endedAt"], record
        assert record["hangupCode"]["id"] == 10503 and "drain time" in record["hangupCode"]["description"], record
    finally:
        again.stop()


def test_the_next_start_closes_the_call_a_killed_gateway_left_in_progress():
    require_aiortc()
    patch_aioice_loopback()
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})

    async def scenario():
        alice, agent, signaling, customer, created = await talking_call(gateway, "customer-killed")
        try:
            assert await wait_for(lambda: customer.frames > 25, timeout=15)
            assert call_record(gateway, created["conversationId"])["state"] == "ESTABLISHED"
            gateway.proc.send_signal(signal.SIGKILL)
            gateway.proc.wait(timeout=10)
        finally:
            await close_all(customer, agent, signaling, alice)
        return created

    created = asyncio.run(scenario())
    again = Gateway(data_dir=gateway.data, key=gateway.key)
    try:
        record = call_record(again, created["conversationId"])
        assert record["state"] == "FINISHED" and record["endedAt"], record
        assert record["hangupCode"]["name"] == "SERVICE_UNAVAILABLE", record
        assert "stopped while the call was in progress" in record["hangupCode"]["description"], record
        assert "calls left in progress by the previous run closed" in again.log()
    finally:
        again.stop()
