"""The gateway killed with SIGKILL while it carries recorded calls from the headless load
generator, then started again on the same data: configuration, conversations, messages and
recordings are intact, every call the dead process carried has a final state with the documented
code, its recordings are repaired, no agent is left busy or wrapping up, a trunk that registers
registers again, and a new load run carries every call (agents are routable again, the media
ports are free). Loopback only."""

import signal
import time

from headless import figures, run, start
from peers import Gateway
from sip_peers import Sipp, require_sipp
from test_sip_trunks import add_trunk

CALLS = 12
RECORDING = {"inbound": True, "outbound": True, "autoCompose": False, "mediaType": "AUDIO", "enabled": True}
OPEN = {"CALLING", "RINGING", "PRE_ESTABLISHED", "ESTABLISHED"}


def calls(gateway):
    return gateway.request("GET", "/ccaas/voice/2/calls?size=999")["elements"]


def registrar(port=None):
    """A SIPp registrar demanding digest authentication, for one registration."""
    return Sipp("uas_registrar", port=port, keys={"auth_user": "acme", "auth_pass": "reg-pass", "auth_realm": "carrier"})


def registered(gateway, trunk_id, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = gateway.request("GET", f"/calls/1/sip-trunks/{trunk_id}/status")
        if status["registration"] == "REGISTERED":
            return status
        time.sleep(0.2)
    return status


def test_a_gateway_killed_under_load_comes_back_with_everything_closed_or_kept():
    require_sipp()
    first = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    second = None
    generator = None
    carrier = registrar().start()
    again = None
    try:
        trunk = add_trunk(first, carrier.address, name="registered", type="REGISTERED",
                          outboundCredentials={"username": "acme", "password": "reg-pass"}, numbers=[])
        carrier.wait(20).assert_ok()
        assert registered(first, trunk["id"])["registration"] == "REGISTERED"
        first.request("PUT", "/ccaas/voice/2/account-recording-config", RECORDING)
        conversation = first.request("POST", "/ccaas/1/conversations", {"topic": "kept across a crash"})
        for text in ("first", "second"):
            first.request("POST", f"/ccaas/1/conversations/{conversation['id']}/messages",
                          {"from": "a", "to": "b", "channel": "SMS", "contentType": "TEXT", "content": {"text": text}})

        generator = start(["load", "--gateway", first.base, "--api-key", first.key, "--count", str(CALLS),
                           "--rate", "6", "--duration", "60", "--json"])
        deadline = time.time() + 60
        while time.time() < deadline:
            established = [c for c in calls(first) if c["state"] == "ESTABLISHED"]
            if len(established) >= CALLS:
                break
            time.sleep(0.5)
        assert len(established) >= CALLS, f"{len(established)} calls established"
        time.sleep(2)  # a couple of seconds recorded
        queues_before = first.request("GET", "/ccaas/1/queues")["queues"]
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
        out, _ = generator.communicate(timeout=120)
        assert generator.returncode == 1, "the generator saw its calls fail"
        # Its summary says so too: every call the dead gateway carried failed.
        summary = figures(out.splitlines())[-1]
        assert summary["failedCalls"] >= CALLS and summary["failures"], summary

        again = registrar(port=carrier.port).start()
        second = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"}, data_dir=first.data, key=first.key)
        # The trunk registers again, from the new process.
        again.wait(20).assert_ok()
        assert registered(second, trunk["id"])["registration"] == "REGISTERED"
        # Configuration, conversations and messages are as they were.
        assert second.request("GET", "/ccaas/1/queues")["queues"] == queues_before
        recording = second.request("GET", "/ccaas/voice/2/account-recording-config")
        assert recording["enabled"] is True and recording["mediaType"] == "AUDIO", recording
        messages = second.request("GET", f"/ccaas/1/conversations/{conversation['id']}/messages")["messages"]
        assert sorted(m["content"]["text"] for m in messages) == ["first", "second"], messages

        # Every call the dead process carried is closed, with the documented code.
        after = {c["id"]: c for c in calls(second)}
        assert not [c for c in after.values() if c["state"] in OPEN], [c for c in after.values() if c["state"] in OPEN]
        for call in established:
            closed = after[call["id"]]
            assert closed["state"] == "FINISHED" and closed["endedAt"], closed
            assert closed["hangupCode"]["id"] == 10503, closed
            assert "stopped while the call was in progress" in closed["hangupCode"]["description"], closed

        # No agent is left busy or wrapping up a call the dead process carried.
        for agent in second.request("GET", "/ccaas/1/agents?limit=999")["agents"]:
            assert agent["availability"] != "BUSY" and "wrapUpSecondsLeft" not in agent, agent

        # Their recordings were repaired: every file of those calls is complete and playable.
        files = second.request("GET", "/ccaas/voice/2/recording/metadata?size=999")["elements"]
        recorded = [f for f in files if f.get("callId") in {c["id"] for c in established}]
        assert len(recorded) >= 2 * CALLS, f"{len(recorded)} files for {CALLS} calls"
        for f in recorded:
            assert f["recordingStatus"] == "SUCCESSFUL" and f["durationMilliseconds"] > 1000, f

        # The agents are routable again and the media ports free: a new run carries every call.
        code, out, err = run(["load", "--gateway", second.base, "--api-key", second.key, "--count", "4",
                              "--rate", "4", "--duration", "3", "--json"], timeout=180)
        assert code == 0, err + "\n".join(out[-5:])
        summary = figures(out)[-1]
        assert summary["calls"] == 4 and summary["failedCalls"] == 0, summary
    finally:
        for registrar_process in (carrier, again):
            if registrar_process:
                registrar_process.stop()
        if generator and generator.poll() is None:
            generator.kill()
        if second:
            second.stop()
        if first.proc.poll() is None:
            first.stop()
