"""A UDP impairment relay for tests: put it between a media peer and the gateway to lose, delay,
jitter, reorder and duplicate packets, reproducibly (seeded). The kernel here has no `netem`.

The peer sends to the relay's `port`; the relay forwards to `target` from a socket of its own
and sends what comes back to the last address the peer used. Only RTP and RTCP (first byte
0x80-0xBF) are impaired; STUN and DTLS pass untouched, so set-up is not what is measured.
Packets held back by a random delay overtake one another: that is the reordering.
"""

import asyncio
import random


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
        self.loss, self.delay, self.jitter, self.duplicate = loss, delay, jitter, duplicate
        self.random = random.Random(seed)
        self.peer = None
        self.front = self.back = None
        self.port = None
        self.counts = {direction: {"media": 0, "dropped": 0, "duplicated": 0, "passed": 0}
                       for direction in ("to_target", "to_peer")}

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
        self._forward(data, self.back, self.target, self.counts["to_target"])

    def _from_target(self, data, addr):
        if self.peer:
            self._forward(data, self.front, self.peer, self.counts["to_peer"])

    def _forward(self, data, side, destination, counts):
        if not data or not 0x80 <= data[0] <= 0xBF:
            counts["passed"] += 1
            side.transport.sendto(data, destination)
            return
        counts["media"] += 1
        if self.random.random() < self.loss:
            counts["dropped"] += 1
            return
        copies = 2 if self.random.random() < self.duplicate else 1
        counts["duplicated"] += copies - 1
        loop = asyncio.get_running_loop()
        for _ in range(copies):
            wait = self.delay + self.random.uniform(0, self.jitter)
            loop.call_later(wait, side.transport.sendto, data, destination)


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
