"""A phone behind NAT on a symmetric-RTP trunk, held and resumed. baresip's media reaches the
gateway through a relay standing in for the NAT (the gateway announces 127.0.0.2, and the relay
forwards each port to it from a socket of its own), so its media never comes from the address
its SDP names. The agent holds and resumes the call, two re-INVITEs whose answers name that
address again: the leg must go on taking media from where it comes from, so the agent hears
the phone before the hold and after the resume. Loopback only."""

import asyncio
import os
import subprocess
import sys

import pytest

from peers import Gateway, Peer, Signaling, patch_aioice_loopback, require_aiortc, wait_for
from sip_peers import Baresip, require_baresip
from test_sip_trunks import add_trunk, agent_dials

PUBLIC = "127.0.0.2"
MEDIA = (45600, 45699)
RELAY = os.path.join(os.path.dirname(__file__), "..", "support", "impairment_relay.py")


@pytest.fixture(autouse=True)
def peers_present():
    require_baresip()
    require_aiortc()
    patch_aioice_loopback()


def test_a_held_and_resumed_phone_behind_nat_is_heard_again():
    relay = subprocess.Popen([sys.executable, RELAY, "--listen", PUBLIC, "--target", "127.0.0.1",
                              "--ports", f"{MEDIA[0]}-{MEDIA[1]}"], stdout=subprocess.PIPE, text=True)
    gateway = phone = None
    try:
        assert relay.stdout.readline().strip() == "ready"
        gateway = Gateway({"GATEWAY_MEDIA_PORT_MIN": str(MEDIA[0]), "GATEWAY_MEDIA_PORT_MAX": str(MEDIA[1]),
                           "GATEWAY_MEDIA_ANNOUNCED_ADDRESS": PUBLIC, "GATEWAY_HEARTBEAT_TIMEOUT": "60"})
        phone = Baresip("15557400", tone_hz=660, tone_seconds=30).start()
        add_trunk(gateway, f"127.0.0.1:{phone.port}", symmetricRtp=True)

        async def scenario():
            alice_id = gateway.agents["Alice Agent"]
            alice = await Signaling.connect(gateway, alice_id)
            agent = Peer(523)
            try:
                created, _ = await agent_dials(gateway, alice, alice_id, agent, "15557400")
                await alice.next("call.established", timeout=15)
                assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
                before = agent.dominant_frequency(seconds=1.0)
                for hold in (True, False):
                    await alice.send({"type": "call.hold", "id": f"h{hold}", "callId": created["callId"], "hold": hold})
                    await alice.next("ack", where=lambda f, hold=hold: f.get("id") == f"h{hold}")
                    await asyncio.sleep(1.5)
                heard = agent.frames
                await asyncio.sleep(1.5)
                after = agent.dominant_frequency(seconds=1.0)
                assert agent.frames > heard + 50, "audio flows to the agent after the resume"
                await alice.send({"type": "call.hangup", "callId": created["callId"]})
                await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10)
                return before, after
            finally:
                await agent.close()
                await alice.close()

        before, after = asyncio.run(scenario())
        assert abs(before - 660) < 15, f"before the hold the agent heard {before} Hz"
        assert abs(after - 660) < 15, f"after the resume the agent heard {after} Hz"
        heard_by_phone = phone.heard_frequency()
        assert heard_by_phone and abs(heard_by_phone - 523) < 15, heard_by_phone
    finally:
        if phone:
            phone.stop()
        if gateway:
            gateway.stop()
        relay.terminate()
        relay.wait(10)
