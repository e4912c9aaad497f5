"""A UDP impairment relay for tests: put it between a media peer and the gateway to lose, delay,
jitter, reorder and duplicate packets, reproducibly (seeded). The kernel here has no `netem`.

Two shapes: `ImpairmentRelay` serves one peer inside a test's event loop (the peer sends to the
relay's `port`; the relay forwards to `target` from a socket of its own and sends what comes back
to the last address the peer used); `PortRangeRelay` is a process of its own standing in front of
a whole gateway as a one-to-one NAT would (see `main`). Only RTP and RTCP (first byte 0x80-0xBF)
are impaired; STUN and DTLS pass untouched, so set-up is not what is measured. Packets held back
by a random delay overtake one another: that is the reordering.
"""

import argparse
import asyncio
import heapq
import json
import os
import random
import selectors
import signal
import socket
import sys
import time


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram):
        self.on_datagram = on_datagram
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.on_datagram(data, addr)


class ImpairmentRelay:
    """Loss, delay and jitter (seconds) and duplication apply to each direction alike."""

    def __init__(self, target, loss=0.0, delay=0.0, jitter=0.0, duplicate=0.0, seed=1):
        self.target = target
        self.impairment = _Impairment(loss, delay, jitter, duplicate, seed)
        self.counts = self.impairment.counts
        self.peer = None
        self.front = self.back = None
        self.port = None

    async def start(self):
        loop = asyncio.get_running_loop()
        _, self.front = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_peer), local_addr=("127.0.0.1", 0))
        _, self.back = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_target), local_addr=("127.0.0.1", 0))
        self.port = self.front.transport.get_extra_info("sockname")[1]
        return self

    def close(self):
        for side in (self.front, self.back):
            if side and side.transport:
                side.transport.close()

    def _from_peer(self, data, addr):
        self.peer = addr
        self._forward(data, self.back, self.target, "to_target")

    def _from_target(self, data, addr):
        if self.peer:
            self._forward(data, self.front, self.peer, "to_peer")

    def _forward(self, data, side, destination, direction):
        loop = asyncio.get_running_loop()
        for wait in self.impairment.waits(data, direction):
            loop.call_later(wait, side.transport.sendto, data, destination)


def _is_media(data):
    return bool(data) and 0x80 <= data[0] <= 0xBF


class _Impairment:
    """The seeded decisions and counts both relays share: what becomes of one datagram."""

    def __init__(self, loss, delay, jitter, duplicate, seed):
        self.loss, self.delay, self.jitter, self.duplicate = loss, delay, jitter, duplicate
        self.random = random.Random(seed)
        self.counts = {direction: {"media": 0, "dropped": 0, "duplicated": 0, "passed": 0}
                       for direction in ("to_target", "to_peer")}

    def waits(self, data, direction):
        """The delays (seconds) after which copies of `data` leave: none when it is lost."""
        counts = self.counts[direction]
        if not _is_media(data):
            counts["passed"] += 1
            return [0.0]
        counts["media"] += 1
        if self.random.random() < self.loss:
            counts["dropped"] += 1
            return []
        copies = 2 if self.random.random() < self.duplicate else 1
        counts["duplicated"] += copies - 1
        return [self.delay + self.random.uniform(0, self.jitter) for _ in range(copies)]


class PortRangeRelay:
    """A relay in front of a gateway behind a one-to-one NAT: it listens on `listen` at every
    port of `ports` and forwards to the same port on `target`, from one socket of its own per
    peer and port, so the gateway's answers find their way back to the peer. The gateway
    announces `listen` (`mediaAnnouncedAddress`); then every media path of a test, WebRTC or
    phone, passes the relay both ways. Runs in a process of its own (`main`): one thread, epoll,
    a heap of packets held back."""

    def __init__(self, listen, target, ports, impairment):
        self.target, self.impairment = target, impairment
        self.selector = selectors.DefaultSelector()
        self.fronts = {}
        self.backs = {}
        self.held = []
        self.sequence = 0
        self.send_errors = 0
        for port in ports:
            front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            front.bind((listen, port))
            front.setblocking(False)
            self.fronts[port] = front
            self.selector.register(front, selectors.EVENT_READ, ("front", port, None))

    def _back(self, port, peer):
        back = self.backs.get((port, peer))
        if back is None:
            back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            back.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            back.bind((self.target, 0))
            back.setblocking(False)
            self.backs[(port, peer)] = back
            self.selector.register(back, selectors.EVENT_READ, ("back", port, peer))
        return back

    def socket_drops(self):
        """Datagrams the kernel dropped because this relay fell behind reading its sockets (the
        `drops` column of /proc/net/udp for the relay's own sockets): loss it did not choose."""
        inodes = {os.fstat(s.fileno()).st_ino for s in [*self.fronts.values(), *self.backs.values()]}
        drops = 0
        with open("/proc/net/udp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if int(fields[9]) in inodes:
                    drops += int(fields[12])
        return drops

    def _hold(self, data, sender, destination, direction, now):
        for wait in self.impairment.waits(data, direction):
            self.sequence += 1
            heapq.heappush(self.held, (now + wait, self.sequence, sender, data, destination))

    def _drain(self, sock, side, port, peer, now):
        while True:
            try:
                data, source = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error for an earlier send
            if side == "front":
                self._hold(data, self._back(port, source), (self.target, port), "to_target", now)
            else:
                self._hold(data, self.fronts[port], peer, "to_peer", now)

    def run(self, stop):
        while not stop():
            now = time.monotonic()
            timeout = max(0.0, self.held[0][0] - now) if self.held else 0.2
            for key, _ in self.selector.select(min(timeout, 0.2)):
                side, port, peer = key.data
                self._drain(key.fileobj, side, port, peer, time.monotonic())
            now = time.monotonic()
            while self.held and self.held[0][0] <= now:
                _, _, sender, data, destination = heapq.heappop(self.held)
                try:
                    sender.sendto(data, destination)
                except OSError:
                    self.send_errors += 1


def main(argv=None):
    """`python impairment_relay.py --listen 127.0.0.2 --target 127.0.0.1 --ports 41000-41199
    --loss 0.05 --delay 0.005 --jitter 0.03 --duplicate 0.01 --seed 7`: prints `ready` once every
    port is bound, and on SIGTERM the counts as one JSON line."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--ports", required=True, help="first-last")
    for name in ("loss", "delay", "jitter", "duplicate"):
        parser.add_argument(f"--{name}", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    first, last = (int(p) for p in args.ports.split("-"))
    impairment = _Impairment(args.loss, args.delay, args.jitter, args.duplicate, args.seed)
    relay = PortRangeRelay(args.listen, args.target, range(first, last + 1), impairment)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("ready", flush=True)
    relay.run(lambda: bool(stopping))
    print(json.dumps({"counts": impairment.counts, "peers": len(relay.backs), "sendErrors": relay.send_errors,
                      "socketDrops": relay.socket_drops()}), flush=True)


def through_relay(sdp, relay):
    """`sdp` (the gateway's) with its media port, in the m-line and the host candidate, swapped
    for the relay's."""
    port = str(gateway_port(sdp))
    lines = []
    for line in sdp.split("\r\n"):
        if line.startswith("m=audio ") or line.startswith("a=candidate:"):
            line = " ".join(str(relay.port) if word == port else word for word in line.split(" "))
        lines.append(line)
    return "\r\n".join(lines)


def gateway_port(sdp):
    import re
    return int(re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", sdp).group(1))


if __name__ == "__main__":
    sys.exit(main())
