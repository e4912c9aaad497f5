"""Examples/exercise-deployment.sh against a running gateway: the health check, WebRTC calls
by the load generator, and a SIPp phone call (SIPp's own stock scenario and speech sample)
answered by a headless agent. Loopback only."""

import json
import os
import subprocess
from pathlib import Path

from headless import HEADLESS
from sip_peers import require_raw_sockets, require_sipp
from test_sip_trunks import NUMBER, add_trunk

SCRIPT = Path(__file__).resolve().parents[2] / "Examples" / "exercise-deployment.sh"


def test_exercise_deployment_runs_calls_of_every_kind(gateway):
    require_sipp()
    require_raw_sockets()
    add_trunk(gateway, "127.0.0.1:5999", name="exercise", sourceHosts=["127.0.0.1"])
    env = dict(os.environ, HEADLESS_AGENT=HEADLESS, SIP_TARGET=f"127.0.0.1:{gateway.sip_port}", SIP_NUMBER=NUMBER,
               SIPP_AGENT_ID=gateway.agents["Alice Agent"])
    done = subprocess.run(["bash", str(SCRIPT), gateway.base, gateway.key, "2"], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert '"status":"UP"' in lines[1].replace(" ", ""), lines[:3]
    summary = json.loads(lines[lines.index("==> 2 WebRTC calls through a queue") + 1])
    assert summary["calls"] == 2 and summary["failedCalls"] == 0, summary
    phone_call = json.loads(lines[lines.index(f"==> a phone call to {NUMBER} through 127.0.0.1:{gateway.sip_port}") + 1])
    assert phone_call["role"] == "agent" and phone_call["packetsReceived"] > 100 and phone_call.get("failure") is None, \
        phone_call
    assert lines[-1] == "==> all good"
