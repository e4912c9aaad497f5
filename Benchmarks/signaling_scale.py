"""Signaling at scale: N agents signed in over WebSockets, heartbeating, on one gateway; then
all of them dropped and reconnecting at once. Next to it, in the same run, the baseline: the
same generator against a trivial WebSocket server (Python `websockets`, answering the welcome,
the status change and heartbeats with canned frames), which is what the generator and loopback
manage on their own.

The server under test (gateway or baseline) is pinned to CPU 0 and the generator to CPU 1
(`taskset`). Reported for each: sign-in time and the server's CPU per sign-in, resident memory
per connection, the server's CPU per 1,000 heartbeating agents (a steady window), REST p99 for
an agent's status and a conversation read under that load (gateway only), and how long a
reconnect storm of every agent takes until each is ACTIVE again (goal: under 30 s for 20,000).

Usage: .venv/bin/python Benchmarks/signaling_scale.py [agents] [steady seconds] [--no-baseline]
       [--swift-generator]
(--no-baseline measures the gateway alone: to compare builds, run them alternately.
--swift-generator drives the agents with `headless-agent storm` (HEADLESS_AGENT_BIN, default
.build/release/headless-agent) instead of this script's Python generator, which is slower than
the gateway's sign-ins since 2026-12-05.)
Run against a release build: GATEWAY_BIN=.build/release/gateway. Each side holds a socket per
agent: the gateway (with maxCalls 100, keeping 720 descriptors for calls) and this script raise
their soft file-descriptor limit to the hard one, which must exceed the agents (by 800 for the
gateway)."""

import asyncio
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "Tests", "interop"))
sys.path.insert(0, os.path.join(here, "..", "Tests", "support"))

import websockets  # noqa: E402

from process_usage import cpu_seconds, rss_bytes  # noqa: E402
from peers import Gateway  # noqa: E402

NO_BASELINE = "--no-baseline" in sys.argv
SWIFT_GENERATOR = "--swift-generator" in sys.argv
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
HEADLESS = os.environ.get("HEADLESS_AGENT_BIN", os.path.join(here, "..", ".build", "release", "headless-agent"))
AGENTS = int(ARGS[0]) if len(ARGS) > 0 else 2000
STEADY = int(ARGS[1]) if len(ARGS) > 1 else 30
BEAT = 10  # the gateway's default heartbeatIntervalSeconds
IN_FLIGHT = 500  # sign-ins the generator keeps open at once


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


class Agents:
    """The generator's side: one WebSocket per agent, signed in ACTIVE, beating every BEAT s."""

    def __init__(self, url_of):
        self.url_of = url_of
        self.sockets = {}
        self.beats = None

    async def sign_in(self, identity):
        ws = await websockets.connect(self.url_of(identity), max_queue=None, ping_interval=None,
                                      open_timeout=60, close_timeout=1)
        assert json.loads(await ws.recv())["type"] == "welcome"
        await ws.send(json.dumps({"type": "agent.setStatus", "status": "ACTIVE", "id": "s"}))
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "agent.state" and frame["state"]["availability"] == "ACTIVE":
                break
        self.sockets[identity] = ws
        asyncio.ensure_future(self.drain(ws))

    @staticmethod
    async def drain(ws):
        try:
            async for _ in ws:
                pass
        except websockets.exceptions.ConnectionClosed:
            pass

    async def sign_in_all(self, identities):
        """Seconds until every agent is ACTIVE, IN_FLIGHT at a time."""
        gate = asyncio.Semaphore(IN_FLIGHT)

        failed = []

        async def one(identity):
            async with gate:
                for attempt in range(5):
                    try:
                        return await asyncio.wait_for(self.sign_in(identity), 60)
                    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
                        await asyncio.sleep(0.5 * (attempt + 1))
                failed.append(identity)

        start = time.monotonic()
        await asyncio.gather(*[one(i) for i in identities])
        if failed:
            print(f"  ({len(failed)} agents could not sign in in 5 attempts of 60 s, e.g. {failed[0]})")
        return time.monotonic() - start

    def start_beating(self):
        async def beat():
            identities = list(self.sockets)
            # Spread over the interval in slices every 100 ms, as agents that signed in at
            # different times would beat.
            slice_size = max(1, len(identities) // (BEAT * 10))
            while True:
                for first in range(0, len(identities), slice_size):
                    started = time.monotonic()
                    for identity in identities[first:first + slice_size]:
                        ws = self.sockets.get(identity)
                        if ws is not None:
                            try:
                                await ws.send('{"type":"heartbeat","id":"h"}')
                            except websockets.exceptions.ConnectionClosed:
                                pass
                    await asyncio.sleep(max(0, 0.1 - (time.monotonic() - started)))
        self.beats = asyncio.ensure_future(beat())

    async def drop_all(self):
        if self.beats:
            self.beats.cancel()
        sockets, self.sockets = list(self.sockets.values()), {}
        for ws in sockets:
            ws.transport.abort()
        await asyncio.sleep(1)


async def measure_swift(name, pid, url_of, identities, rest=None):
    """As `measure`, with `headless-agent storm` as the generator (on CPU 1, as this script)."""
    with tempfile.NamedTemporaryFile("w", suffix=".urls", delete=False) as f:
        f.write("\n".join(url_of(i) for i in identities) + "\n")
    rss0, cpu0 = rss_bytes(pid), cpu_seconds(pid)
    generator = subprocess.Popen(["taskset", "-c", "1", HEADLESS, "storm", "--urls", f.name,
                                  "--in-flight", str(IN_FLIGHT), "--beat", str(BEAT)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    async def event(expected):
        while True:
            line = await asyncio.to_thread(generator.stdout.readline)
            if not line:
                raise RuntimeError(f"headless-agent storm ended before {expected}")
            if line.startswith("{"):
                found = json.loads(line)
                if found["event"] == expected:
                    if found.get("failed"):
                        print(f"  ({found['failed']} agents could not sign in in 5 attempts)")
                    return found

    def command(text):
        generator.stdin.write(text + "\n")
        generator.stdin.flush()

    try:
        sign_in = (await event("signedIn"))["seconds"]
        cpu1 = cpu_seconds(pid)
        await asyncio.sleep(BEAT)
        rss1, cpu2 = rss_bytes(pid), cpu_seconds(pid)
        await asyncio.sleep(STEADY)
        cpu3 = cpu_seconds(pid)
        rest_p99 = await rest() if rest else None
        command("drop")
        await event("dropped")
        await asyncio.sleep(2)
        cpu4 = cpu_seconds(pid)
        command("storm")
        storm = (await event("storm"))["seconds"]
        cpu5 = cpu_seconds(pid)
        command("end")
        generator.wait(timeout=120)
    finally:
        generator.kill()
        os.unlink(f.name)
    return report(name, len(identities), sign_in, storm, rss0, rss1, cpu0, cpu1, cpu2, cpu3, cpu4, cpu5, rest_p99)


async def measure(name, pid, url_of, identities, rest=None):
    if SWIFT_GENERATOR:
        return await measure_swift(name, pid, url_of, identities, rest)
    agents = Agents(url_of)
    rss0, cpu0 = rss_bytes(pid), cpu_seconds(pid)
    sign_in = await agents.sign_in_all(identities)
    cpu1 = cpu_seconds(pid)
    agents.start_beating()
    await asyncio.sleep(BEAT)
    rss1, cpu2 = rss_bytes(pid), cpu_seconds(pid)
    await asyncio.sleep(STEADY)
    cpu3 = cpu_seconds(pid)
    rest_p99 = await rest() if rest else None
    await agents.drop_all()
    await asyncio.sleep(2)
    cpu4 = cpu_seconds(pid)
    storm = await agents.sign_in_all(identities)
    cpu5 = cpu_seconds(pid)
    await agents.drop_all()
    return report(name, len(identities), sign_in, storm, rss0, rss1, cpu0, cpu1, cpu2, cpu3, cpu4, cpu5, rest_p99)


def report(name, n, sign_in, storm, rss0, rss1, cpu0, cpu1, cpu2, cpu3, cpu4, cpu5, rest_p99):
    figures = {
        "signIn": sign_in, "signInCpuMs": 1000 * (cpu1 - cpu0) / n,
        "bytesPerConnection": (rss1 - rss0) / n, "rssMiB": rss1 / 2**20,
        "cpuPer1000": (cpu3 - cpu2) / STEADY / n * 1000, "storm": storm, "stormCpuMs": 1000 * (cpu5 - cpu4) / n,
        "restP99": rest_p99,
    }
    print(f"  {name:<9} sign-in {sign_in:6.1f} s ({figures['signInCpuMs']:5.2f} ms CPU each), "
          f"{figures['bytesPerConnection'] / 1024:6.1f} KiB per connection (RSS {figures['rssMiB']:.0f} MiB), "
          f"{100 * figures['cpuPer1000']:5.2f}% of a core per 1,000 heartbeating, "
          f"reconnect storm {storm:5.1f} s ({figures['stormCpuMs']:5.2f} ms CPU each)")
    return figures


BASELINE_SERVER = r'''
import asyncio, json, sys, websockets
async def serve(ws):
    try:
        await answer(ws)
    except websockets.exceptions.ConnectionClosed:
        pass
async def answer(ws):
    # Frames shaped as the gateway's (every member the headless agent's reader requires).
    await ws.send(json.dumps({"type": "welcome", "v": 1, "identity": "x", "kind": "agent", "sessionId": "s",
                              "heartbeatIntervalSeconds": 10, "heartbeatTimeoutSeconds": 30,
                              "tokenExpiresAt": 1900000000, "calls": [], "signalingGraceSeconds": 20}))
    async for text in ws:
        frame = json.loads(text)
        if frame["type"] == "agent.setStatus":
            await ws.send(json.dumps({"type": "ack", "id": frame["id"]}))
            await ws.send(json.dumps({"type": "agent.state", "v": 1, "state": {
                "agentId": "x", "status": "ACTIVE", "availability": "ACTIVE", "online": True, "activeCalls": 0}}))
        elif frame["type"] == "heartbeat":
            await ws.send(json.dumps({"type": "heartbeat.ack", "id": frame["id"]}))
async def main():
    async with websockets.serve(serve, "127.0.0.1", 0, ping_interval=None, max_queue=None, backlog=4096) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
'''


def create_agents(gateway, count):
    """Agent ids and their tokens, made over REST by 8 threads."""
    def one(index):
        status, agent = gateway.request_raw("POST", "/ccaas/1/agents", {
            "displayName": f"Scale agent {index:05d}", "role": "AGENT", "status": "ACTIVE"})
        assert status in (200, 201), (status, agent)
        return agent["id"], gateway.token(agent["id"])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return dict(pool.map(one, range(count)))


def main():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {1})
    print(f"signaling scale: {AGENTS} agents, beating every {BEAT} s, {STEADY} s steady window; "
          "server on CPU 0, generator on CPU 1")
    base = None
    if not NO_BASELINE:
        baseline = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", BASELINE_SERVER],
                                    stdout=subprocess.PIPE, text=True)
        port = int(baseline.stdout.readline())
        identities = [f"agent-{i}" for i in range(AGENTS)]
        base = asyncio.run(measure("baseline", baseline.pid, lambda i: f"ws://127.0.0.1:{port}/", identities))
        baseline.kill()

    # maxCalls 100 keeps 720 descriptors for calls: near 20,000 agents fit a limit of 20,000.
    gateway = Gateway({"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_MAX_REQUESTS_PER_SECOND": "100000",
                       "GATEWAY_MAX_CALLS": "100"}, prefix=("taskset", "-c", "0"))
    try:
        made = time.monotonic()
        tokens = create_agents(gateway, AGENTS)
        print(f"  ({AGENTS} agents and tokens made over REST in {time.monotonic() - made:.0f} s)")
        queue = gateway.request("GET", "/ccaas/1/queues")["queues"][0]["id"]
        conversation = gateway.request("POST", "/ccaas/1/conversations", {"topic": "scale", "queueId": queue})["id"]
        some_agent = next(iter(tokens))

        async def rest():
            def timed(path):
                start = time.monotonic()
                with urllib.request.urlopen(urllib.request.Request(
                        gateway.base + path, headers={"Authorization": f"App {gateway.key}"}), timeout=30) as r:
                    r.read()
                return time.monotonic() - start
            times = {"agent": [], "conversation": []}
            for _ in range(200):
                times["agent"].append(await asyncio.to_thread(timed, f"/ccaas/1/agents/{some_agent}"))
                times["conversation"].append(await asyncio.to_thread(timed, f"/ccaas/1/conversations/{conversation}"))
            return {k: 1000 * percentile(v, 99) for k, v in times.items()}

        url = f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token="
        ours = asyncio.run(measure("gateway", gateway.proc.pid, lambda i: url + tokens[i], list(tokens), rest))
        print(f"  gateway REST p99 under that load: agent status {ours['restP99']['agent']:.1f} ms, "
              f"conversation {ours['restP99']['conversation']:.1f} ms")
        if base is None:
            return
        def ratio(key):
            return f"{ours[key] / base[key]:.2f}" if base[key] else "n/a (baseline measured 0)"
        print(f"  ratios to the baseline: sign-in time {ratio('signIn')}, "
              f"memory per connection {ratio('bytesPerConnection')}, "
              f"heartbeat CPU {ratio('cpuPer1000')}, reconnect storm {ratio('storm')}")
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
