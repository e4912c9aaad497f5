"""Concurrent WebRTC calls through one gateway, driven by the headless agent's load mode, with a
single call measured first in the same run as the baseline.

Every call is a customer leg and an agent leg, both full WebRTC clients (ICE, DTLS, SRTP,
Opus) in the generator; the gateway answers, routes to a queue of agents and relays SRTP
between its two legs. Reported: set-up time and time to first audio (customers), loss and
jitter (every leg), and the CPU time of the gateway and of the generator per call-second.

Usage: .venv/bin/python Benchmarks/webrtc_load.py [calls] [rate] [seconds]
Run against release builds:
  swift build -c release --product gateway --product headless-agent   (one at a time)
  GATEWAY_BIN=.build/release/gateway HEADLESS_AGENT_BIN=.build/release/headless-agent \\
    .venv/bin/python Benchmarks/webrtc_load.py 200 20 20"""

import json
import os
import resource
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "Tests", "interop"))
sys.path.insert(0, os.path.join(here, "..", "Tests", "support"))

from process_usage import cpu_seconds  # noqa: E402
from peers import Gateway  # noqa: E402

HEADLESS = os.environ.get("HEADLESS_AGENT_BIN", ".build/release/headless-agent")
CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
RATE = sys.argv[2] if len(sys.argv) > 2 else "20"
SECONDS = sys.argv[3] if len(sys.argv) > 3 else "20"


def run(gateway, count):
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = cpu_seconds(gateway.proc.pid)
    generator = subprocess.Popen([HEADLESS, "load", "--gateway", gateway.base, "--api-key", gateway.key,
                                  "--count", str(count), "--rate", RATE, "--duration", SECONDS, "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = generator.communicate(timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    gateway_cpu = cpu_seconds(gateway.proc.pid) - before
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    summary = lines[-1]
    calls = [line for line in lines[:-1] if line.get("role") == "customer"]
    call_seconds = sum(c["endedAt"] - c["establishedAt"] for c in calls if "endedAt" in c and "establishedAt" in c)
    return summary, gateway_cpu, generator_cpu, call_seconds, generator.returncode, err.strip()


def row(name, summary, gateway_cpu, generator_cpu, call_seconds):
    s, f, l, j = (summary["setupMilliseconds"], summary["firstAudioMilliseconds"], summary["lossPercent"],
                  summary["jitterMilliseconds"])
    per = gateway_cpu / call_seconds * 1000 if call_seconds else float("nan")
    generator = generator_cpu / call_seconds * 1000 if call_seconds else float("nan")
    print(f"  {name:<10} calls {summary['calls']:>4} (peak {summary['peakConcurrentCalls']:>4}), failed "
          f"{summary['failedCalls']:>3} | set-up p50 {s['p50']:6.1f} p99 {s['p99']:7.1f} ms | first audio p99 "
          f"{f['p99']:7.1f} ms | loss p99 {l['p99']:.2f} % max {l['max']:.2f} % | jitter p50 {j['p50']:.1f} "
          f"p99 {j['p99']:.1f} ms | CPU per call-second: gateway {per:.2f} ms, generator {generator:.2f} ms")
    return per


def main():
    gateway = Gateway({"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_MAX_CALLS": "2000"})
    try:
        print(f"WebRTC calls through one gateway: {CALLS} at {RATE}/s, {SECONDS} s each; baseline: 1 call")
        base = run(gateway, 1)
        if base[4] != 0:
            sys.exit(f"baseline failed: {base[5]}")
        base_cpu = row("baseline", *base[:4])
        load = run(gateway, CALLS)
        load_cpu = row("load", *load[:4])
        print(f"  ratios (load / baseline): set-up p99 {load[0]['setupMilliseconds']['p99'] / base[0]['setupMilliseconds']['p99']:.2f}x, "
              f"jitter p99 {load[0]['jitterMilliseconds']['p99'] / max(base[0]['jitterMilliseconds']['p99'], 0.01):.2f}x, "
              f"gateway CPU per call-second {load_cpu / base_cpu:.2f}x")
        if load[4] != 0:
            sys.exit(f"load run failed: {load[5]}")
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
