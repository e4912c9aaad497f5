"""Media capacity of the gateway beside rtpengine, measured in the same run on the same machine.

Every call has two parties in the load generator; the relay in the middle is either the gateway
(calls made as users make them, by `headless-agent load`: signed-in agents answer customers'
calls routed through a queue) or rtpengine from Debian (userspace forwarding, `--table=-1`;
calls set up over its `ng` protocol by `rtpengine-load`). Scenarios:

  a  WebRTC <-> WebRTC: both parties are generator legs that behave as a browser does (full ICE,
     DTLS-SRTP AES_CM_128_HMAC_SHA1_80, Opus), so each relay does ICE and DTLS with each side and
     decrypts and re-encrypts every packet with keys of its own. (With SDES on both sides
     rtpengine passes SRTP through untouched when the suites match; `rtpengine-load --legs
     srtp-srtp|srtp-rtp|rtp-rtp` measures those cases.)
  b  WebRTC <-> phone, Opus untouched: the customer calls from a phone through a SIP trunk (the
     generator is the trunk: INVITEs to the gateway's SIP port, plain RTP) and a WebRTC agent
     answers; through rtpengine, a WebRTC party and a plain RTP party (`--legs webrtc-rtp`).
  c  WebRTC Opus <-> phone PCMU, transcoded both ways: as b with the trunk's codec PCMU; through
     rtpengine `--legs webrtc-pcmu` (codec mask all, transcode PCMU). No delay probes (a
     transcoder decodes the payload), so no delay figure; packets relayed are taken as 100 a
     second per call.
  d  phone <-> phone, RTP both legs, Opus untouched: the customer calls from a phone through the
     trunk, the WebRTC agent who answers transfers it at once to a phone number
     (`--transfer-to-numbers`), which the generator's trunk answers as a second phone; the window
     is taken once every number hears its caller, so the gateway relays between two trunk legs.
     Through rtpengine, two plain RTP parties (`--legs rtp-rtp`).

The legs send the same pre-encoded frames every 20 ms, behind a 12-byte delay probe in a and b.
The relay runs pinned to CPU 0 (`taskset`), the generator to CPU 1. For each N: the relay's CPU
(utime+stime from /proc) over a steady window, from 2 s after both parties of every call hear
audio, its RSS growth per call (through the gateway in scenario a, also without the customers'
signaling connections: they all sign in before the first call), its CPU per call for the set-up
before that (less the media of the calls already up while the rest are set up: the window's CPU
per call-second times the call-seconds of the ramp, calls taken to come up evenly over it; the
figure with that media is printed beside it), loss per leg, and
the one-way delay relay + kernel + generator (p50/p99; the generator's own share shows in the
"late ticks" column: its 20 ms ticks that fired more than 20 ms late). Through the gateway, also
its own added delay over the window (p50/p99 from its `gateway_media_relay_delay_seconds`
histogram on /metrics: each datagram from its arrival in the kernel until its relayed copy was
sent, interpolated within a bucket as Prometheus' histogram_quantile does), in every scenario,
c included.

Calls per core = the highest N tried at <= 75 % of a core with loss <= 0.1 % and delay p99 <= 5 ms
(the delay limit only where it is measured); also that N's CPU per call scaled to 75 % of a core.
A relay that took more than 75 % of its core at some N is not run at larger ones.

Usage (rtpengine from `scripts/install-deps --bench`; release builds, one at a time):
  swift build -c release --product gateway && swift build -c release --product headless-agent \\
    && swift build -c release --product rtpengine-load
  .venv/bin/python Benchmarks/capacity.py [N,N,...] [window seconds]      # scenario a
  .venv/bin/python Benchmarks/capacity.py a:100,200 b:100,200 c:25,50 d:100,200 [window seconds]
  .venv/bin/python Benchmarks/capacity.py --only gateway d:200 20   # one relay alone (before/after pairs)"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "Tests", "interop"))
sys.path.insert(0, os.path.join(here, "..", "Tests", "support"))
os.environ.setdefault("GATEWAY_BIN", os.path.join(here, "..", ".build", "release", "gateway"))

from process_usage import cpu_seconds, rss_bytes  # noqa: E402
from peers import Gateway  # noqa: E402

RELEASE = os.path.join(here, "..", ".build", "release")
HEADLESS = os.environ.get("HEADLESS_AGENT_BIN", os.path.join(RELEASE, "headless-agent"))
RTPENGINE_LOAD = os.environ.get("RTPENGINE_LOAD_BIN", os.path.join(RELEASE, "rtpengine-load"))
SCENARIOS = {
    "a": "WebRTC <-> WebRTC, SRTP both legs",
    "b": "WebRTC <-> phone (SIP trunk, RTP), Opus relayed",
    "c": "WebRTC Opus <-> phone PCMU, transcoded",
    "d": "phone <-> phone (two trunk legs, RTP), Opus relayed",
}


def parse_arguments(args):
    """({scenario: [N, ...]}, window, systems): `[--only gateway|rtpengine] a:100,200 b:100 [window]`, or
    the older `N,N [window]` (scenario a)."""
    systems = ("rtpengine", "gateway")
    if "-h" in args or "--help" in args:
        print(__doc__)
        sys.exit(0)
    if "--only" in args:
        at = args.index("--only")
        if at + 1 >= len(args) or args[at + 1] not in systems:
            sys.exit("--only takes gateway or rtpengine")
        systems = (args[at + 1],)
        args = args[:at] + args[at + 2:]
    specs = [arg for arg in args if ":" in arg]
    bare = [arg for arg in args if ":" not in arg]
    plan = {}
    for spec in specs:
        name, counts = spec.split(":", 1)
        if name not in SCENARIOS:
            sys.exit(f"unknown scenario {name!r}: one of {', '.join(SCENARIOS)}")
        plan[name] = counts_of(counts, spec)
    if not specs and bare:
        plan["a"] = counts_of(bare.pop(0), "the calls")
    if len(bare) > 1:
        sys.exit(f"unexpected arguments: {' '.join(bare[1:])} (--help for the usage)")
    try:
        window = float(bare[0]) if bare else 10.0
    except ValueError:
        window = 0
    if not window > 0:
        sys.exit(f"the window is a number of seconds above 0, not {bare[0]!r} (--help for the usage)")
    return plan or {"a": [100, 200, 300, 400]}, window, systems


def counts_of(text, what):
    """The call counts of `text` ("100,200"), each a whole number above 0; else the usage error."""
    try:
        counts = [int(n) for n in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        sys.exit(f"{what}: call counts are whole numbers above 0, comma-separated, as 100,200 (--help for the usage)")
    return counts


PLAN, WINDOW, SYSTEMS = parse_arguments(sys.argv[1:])
SETTLE = 2.0
# Calls the generator starts per second through the gateway: a call's set-up costs the gateway
# 30-50 ms of CPU (see docs/performance.md); at 10 a second the ramp leaves the media its core.
RATE = 10
RELAY_CPU, GENERATOR_CPU = "0", "1"


class Window:
    """The relay's CPU and RSS over the steady window, taken when the generator says all calls are up."""

    def __init__(self, relay_pid, metrics_url=None):
        self.pid = relay_pid
        # The gateway's own count of its added delay (`gateway_media_relay_delay_seconds`).
        self.metrics_url = metrics_url
        self.relay_delay = None
        self.before_rss = rss_bytes(relay_pid)
        self.before_cpu = cpu_seconds(relay_pid)
        self.setup_cpu = None
        # When the generator starts making calls, and how long until every call heard audio.
        self.calls_started = None
        self.ramp = None
        self.cpu = None
        self.rss = None
        # Scenario a through the gateway: RSS once every customer signed in, before any call.
        self.customers_rss = None
        self.call_rss = None

    def measure(self):
        up = cpu_seconds(self.pid)
        self.setup_cpu = up - self.before_cpu
        self.ramp = time.monotonic() - self.calls_started
        time.sleep(SETTLE)
        delays = relay_delay_buckets(self.metrics_url) if self.metrics_url else None
        start, t0 = cpu_seconds(self.pid), time.monotonic()
        time.sleep(WINDOW)
        self.cpu = (cpu_seconds(self.pid) - start) / (time.monotonic() - t0)
        if delays is not None:
            after = relay_delay_buckets(self.metrics_url)
            self.relay_delay = [(bound, count - delays.get(bound, 0)) for bound, count in sorted(after.items())]
        end_rss = rss_bytes(self.pid)
        self.rss = end_rss - self.before_rss
        if self.customers_rss is not None:
            self.call_rss = end_rss - self.customers_rss

    def setup_media_cpu(self):
        """CPU-seconds the calls already up spent on media during the ramp: N calls coming up
        evenly over it carry N * ramp / 2 call-seconds, each at the window's CPU per call."""
        return self.cpu * self.ramp / 2


def relay_delay_buckets(url):
    """{upper bound in seconds (inf for +Inf): cumulative count} of the gateway's delay histogram."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("gateway_media_relay_delay_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = int(line.rsplit(" ", 1)[1])
    return buckets


def quantile(buckets, q):
    """The q-quantile in ms of cumulative (bound, count) buckets, interpolated within its bucket
    as Prometheus' histogram_quantile does; None without counts, inf beyond the last bound."""
    if not buckets or buckets[-1][1] == 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return float("inf")
            return (lower_bound + (bound - lower_bound) * (rank - lower_count) / max(1, count - lower_count)) * 1000
        lower_bound, lower_count = bound, count
    return float("inf")


def drive(command, window):
    """Runs a generator; takes the window when it prints `established`; returns its summary."""
    proc = subprocess.Popen(["taskset", "-c", GENERATOR_CPU, *command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stderr = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    summary, measured = None, None
    # rtpengine-load starts its calls at once; `headless-agent load` says when (ready, customersReady).
    window.calls_started = time.monotonic()
    for line in proc.stdout:
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") == "ready":
            window.before_rss = rss_bytes(window.pid)
            window.before_cpu = cpu_seconds(window.pid)
            window.calls_started = time.monotonic()
        elif event.get("event") == "customersReady":
            window.customers_rss = rss_bytes(window.pid)
            window.calls_started = time.monotonic()
        elif event.get("event") == "established":
            measured = threading.Thread(target=window.measure)
            measured.start()
        elif "requestedCalls" in event or event.get("event") == "summary":
            summary = event
    proc.wait()
    if measured:
        measured.join()
    return summary, proc.returncode, "".join(stderr[-5:]).strip()


def gateway_run(scenario, count):
    gateway = Gateway({"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_MAX_CALLS": "5000"}, prefix=("taskset", "-c", RELAY_CPU))
    try:
        window = Window(gateway.proc.pid, metrics_url=gateway.base + "/metrics")
        # Each call lasts `duration` from its own set-up: the first must outlast the ramp and the window.
        duration = count / RATE + SETTLE + WINDOW + 6
        callers = []
        if scenario != "a":
            callers = ["--callers", "phone", "--sip", f"127.0.0.1:{gateway.sip_port}",
                       "--phone-codec", "pcmu" if scenario == "c" else "opus"]
            if scenario == "d":
                callers.append("--transfer-to-numbers")
        else:
            # Customers sign in first: their signaling connections can be told from the calls.
            callers = ["--sign-in-customers-first"]
        probe = ["--probe-delay"] if scenario != "c" else []
        summary, code, err = drive([HEADLESS, "load", "--gateway", gateway.base, "--api-key", gateway.key,
                                    "--count", str(count), "--rate", str(RATE), "--duration", str(duration),
                                    *callers, *probe, "--measure-after", str(SETTLE), "--measure-for", str(WINDOW),
                                    "--json"], window)
        if code != 0 or summary is None:
            print(f"    gateway at {count}: generator failed ({code}): {err}")
        return summary, window
    finally:
        gateway.stop()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rtpengine_run(scenario, count):
    port = free_udp_port()
    log = tempfile.NamedTemporaryFile(prefix="rtpengine-", suffix=".log", delete=False)
    proc = subprocess.Popen(["taskset", "-c", RELAY_CPU, "rtpengine", "--config-file=none", "--foreground",
                             "--log-stderr", "--log-level=4", "--table=-1", "--interface=127.0.0.1",
                             f"--listen-ng=127.0.0.1:{port}", "--port-min=20000", "--port-max=59999",
                             "--num-threads=1", "--delete-delay=0"], stdout=log, stderr=log)
    try:
        time.sleep(0.5)
        window = Window(proc.pid)
        summary, code, err = drive([RTPENGINE_LOAD, "--ng", f"127.0.0.1:{port}", "--count", str(count),
                                    "--duration", str(SETTLE + WINDOW + 2),
                                    "--legs", {"a": "webrtc", "b": "webrtc-rtp", "c": "webrtc-pcmu", "d": "rtp-rtp"}[scenario],
                                    "--measure-after", str(SETTLE),
                                    "--measure-for", str(WINDOW)], window)
        if code != 0 or summary is None:
            print(f"    rtpengine at {count}: generator failed ({code}): {err}")
        return summary, window
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.unlink(log.name)


def row(scenario, system, count, summary, window):
    if summary is None or window.cpu is None:
        return dict(scenario=scenario, system=system, count=count, ok=False)
    delay = summary.get("delayMilliseconds") or {"p50": -1, "p99": -1, "count": 0}
    if "lossPercent" in summary:  # headless-agent load
        loss = summary["lossPercent"]["max"] if summary["lossPercent"] else 100
        late = summary.get("generatorLateTicks", 0)
    else:
        loss = summary["lossPercentMax"]
        late = summary["generatorLateTicks"]
    ok = window.cpu <= 0.75 and loss <= 0.1 and delay["p99"] <= 5
    # Packets relayed in the window: every probe heard in it went through the relay; without
    # probes (transcoded), 50 a second each way per call.
    relayed = delay["count"] / WINDOW if delay["count"] else count * 100
    r = dict(scenario=scenario, system=system, count=count, cpu=window.cpu, per_packet=window.cpu / relayed * 1e6, loss=loss, p50=delay["p50"], p99=delay["p99"],
             rss=window.rss / count, call_rss=window.call_rss / count if window.call_rss is not None else None,
             setup=max(0.0, window.setup_cpu - window.setup_media_cpu()) / count * 1000,
             setup_with_media=window.setup_cpu / count * 1000, late=late, ok=ok)
    heard = f"delay p50 {delay['p50']:.1f} p99 {delay['p99']:.1f} ms" if delay["count"] else "delay not measured"
    if window.relay_delay is not None:
        own = [quantile(window.relay_delay, q) for q in (0.5, 0.99)]
        r["relay_p50"], r["relay_p99"] = own
        heard += (f" (the gateway's own, from arrival to sent: p50 {own[0]:.2f} p99 {own[1]:.2f} ms)"
                  if own[0] is not None else " (the gateway's own: no datagram timed)")
    print(f"  {scenario} {system:<10} {count:>5} calls | {window.cpu * 100:5.1f} % of a core | "
          f"{window.cpu / relayed * 1e6:5.2f} us per packet relayed ({relayed / (count * 100) * 100:.0f} % of 100/s per call) | "
          f"loss max {loss:.2f} % | {heard} | RSS {window.rss / count / 1024:6.1f} KiB per call"
          f"{f' ({window.call_rss / count / 1024:.1f} without the customer signaling)' if window.call_rss is not None else ''} | "
          f"set-up {r['setup']:.2f} ms CPU per call ({r['setup_with_media']:.2f} with the media of calls up, "
          f"ramp {window.ramp:.1f} s) | generator late ticks {late} | {'within' if ok else 'beyond'} limits",
          flush=True)
    return r


def main():
    if "rtpengine" in SYSTEMS and not shutil.which("rtpengine"):
        sys.exit("rtpengine is not installed: apt-get install rtpengine-daemon (or scripts/install-deps --bench)")
    print(f"Relay on CPU {RELAY_CPU}, generator on CPU {GENERATOR_CPU}; window {WINDOW:.0f} s after {SETTLE:.0f} s settling")
    print("Gateway: release build, defaults (transcoding: Opus encoded with SILK, narrowband, complexity 0, 24 kbit/s); "
          "rtpengine 10.5: userspace (--table=-1), --num-threads=1 (transcoding: its defaults, Opus 48 kHz stereo, "
          "32 kbit/s, complexity 10)")
    rows = []
    runs = {"rtpengine": rtpengine_run, "gateway": gateway_run}
    for scenario, counts in PLAN.items():
        print(f"Scenario {scenario}: {SCENARIOS[scenario]}")
        # A relay that took more than 75 % of its core at some N cannot be within the limits at
        # a larger one: it is not run there (a transcoding relay far past its core can take
        # minutes to set its calls up).
        saturated_at = {}
        for count in sorted(counts):
            for system in SYSTEMS:
                if system in saturated_at:
                    print(f"  {scenario} {system:<10} {count:>5} calls | not run: over 75 % of a core at {saturated_at[system]} calls")
                    continue
                r = row(scenario, system, count, *runs[system](scenario, count))
                rows.append(r)
                if r.get("cpu", 0) > 0.75:  # a failed run is printed as such, not taken for a full core
                    saturated_at[system] = count
    for scenario, counts in PLAN.items():
        print(f"Scenario {scenario}: CPU per relayed packet, rtpengine / gateway, at the same N (above 1: the gateway is cheaper):")
        for count in counts:
            pair = {r["system"]: r for r in rows if r["scenario"] == scenario and r["count"] == count and "per_packet" in r}
            if len(pair) == 2:
                print(f"  {count:>5} calls: {pair['rtpengine']['per_packet'] / pair['gateway']['per_packet']:.2f}x")
        best = {"rtpengine": 0, "gateway": 0}
        for system in SYSTEMS:
            within = [r["count"] for r in rows if r["scenario"] == scenario and r["system"] == system and r["ok"]]
            best[system] = max(within) if within else 0
            at_best = [r for r in rows if r["scenario"] == scenario and r["system"] == system and r["count"] == best[system]]
            # Where the limit falls between the grid's steps: that N's CPU per call, scaled to 75 %.
            estimate = f"; at its CPU per call there, 75 % of a core is about {0.75 / (at_best[0]['cpu'] / best[system]):.0f}" if at_best else ""
            print(f"  {system}: {best[system]} calls per core (highest N tried within the limits{estimate})")
        if best["rtpengine"]:
            print(f"  ratio gateway / rtpengine: {best['gateway'] / best['rtpengine']:.2f}x")


if __name__ == "__main__":
    main()
