"""SIP call set-up rate through the gateway, measured with SIPp, next to SIPp talking to
itself in the same run (the baseline: what the load generator and loopback manage).

Each call is an INVITE answered with a final response, then ACK:
  - baseline:  SIPp uac_reject -> SIPp uas_busy (486)
  - gateway, unknown number:  404 from the SIP layer alone
  - gateway, a trunk number with no agent available: the call is admitted (conversation and
    call stored in SQLite, the queue searched) and refused 480 -- the whole inbound path but
    the media.

Usage: .venv/bin/python Benchmarks/sip_setup_rate.py [calls] [rate] [limit]
Run against a release build: GATEWAY_BIN=.build/release/gateway."""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "Tests", "interop"))
sys.path.insert(0, os.path.join(here, "..", "Tests", "support"))

from peers import Gateway  # noqa: E402
from sip_peers import Sipp  # noqa: E402

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
RATE = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
# Calls open at once; each stays open 0.5 s after its ACK (the scenario's timewait).
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else 2000


def measure(name, remote, service, status):
    caller = Sipp("uac_reject", remote=remote, service=service, variables={"expect_status": status},
                  calls=CALLS, rate=RATE, limit=LIMIT, timeout=120)
    start = time.time()
    result = caller.run()
    elapsed = time.time() - start
    rate = result.successful / elapsed
    print(f"  {name:<44} {result.successful:>6} ok, {result.failed:>4} failed in {elapsed:6.2f} s  ->  {rate:7.0f} calls/s")
    return rate


def main():
    print(f"SIP set-up rate: {CALLS} calls offered at {RATE}/s, at most {LIMIT} open at once")
    busy = Sipp("uas_busy", calls=CALLS, timeout=120).start()
    baseline = measure("baseline: SIPp -> SIPp (486)", busy.address, "service", 486)
    busy.stop()
    gateway = Gateway({"GATEWAY_LOG_LEVEL": "warning"})
    try:
        queue = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]
        status, _ = gateway.post_trunk({"name": "bench", "destinationHosts": ["127.0.0.1:5999"],
                                        "numbers": [{"number": "+15550100", "queueId": queue}]})
        assert status == 201
        remote = f"127.0.0.1:{gateway.sip_port}"
        unknown = measure("gateway: unknown number (404)", remote, "+15559999", 404)
        admitted = measure("gateway: admitted, no agent (480)", remote, "+15550100", 480)
    finally:
        gateway.stop()
    print(f"  ratios to the baseline: 404 path {unknown / baseline:.2f}, full inbound path {admitted / baseline:.2f}")


if __name__ == "__main__":
    main()
