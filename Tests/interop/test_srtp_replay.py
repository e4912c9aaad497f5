"""Replayed SRTP is dropped: packets an aiortc customer sent during a call, captured on `lo` and
sent again to the gateway from the customer's own address and port (as an attacker on the path
would), are refused as replays and counted in /metrics, while the call goes on with its audio.
Needs raw sockets (root or CAP_NET_RAW). Loopback only."""

import asyncio
import re
import socket
import struct
import time
import urllib.request

from impairment_relay import gateway_port
from peers import close_all, talking_call, wait_for
from sip_peers import require_raw_sockets

ETH_P_ALL = 0x0003


def srtp_replays(gateway):
    text = urllib.request.urlopen(gateway.base + "/metrics", timeout=5).read().decode()
    return int(re.search(r'gateway_media_dropped_total\{reason="srtp_replay"\} (\d+)', text).group(1))


def capture(port, count, timeout=5.0):
    """UDP payloads sent to 127.0.0.1:`port` that are RTP (not RTCP, STUN or DTLS), with their
    source port."""
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sniffer.bind(("lo", 0))
    sniffer.settimeout(0.2)
    seen = []
    deadline = time.time() + timeout
    try:
        while len(seen) < count and time.time() < deadline:
            try:
                frame, meta = sniffer.recvfrom(65535)
            except socket.timeout:
                continue
            if meta[2] == socket.PACKET_OUTGOING:
                continue  # each loopback packet shows up twice; keep the incoming copy
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
                continue
            header = (ip[0] & 0x0F) * 4
            source, destination, length = struct.unpack("!HHH", ip[header:header + 6])
            payload = ip[header + 8:header + length]
            is_rtp = len(payload) > 12 and payload[0] >> 6 == 2 and not 192 <= payload[1] <= 223
            if destination == port and is_rtp:
                seen.append((source, payload))
    finally:
        sniffer.close()
    return seen


def send_from(source_port, port, payload):
    """One UDP datagram to 127.0.0.1:`port` that claims to come from 127.0.0.1:`source_port`."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    try:
        raw.sendto(struct.pack("!HHHH", source_port, port, 8 + len(payload), 0) + payload, ("127.0.0.1", 0))
    finally:
        raw.close()


def test_replayed_srtp_packets_are_dropped_and_counted(gateway):
    require_raw_sockets()

    async def scenario():
        alice, agent, signaling, customer, created = await talking_call(gateway, "customer-replayed")
        try:
            assert await wait_for(lambda: agent.frames > 50, timeout=15)
            port = gateway_port(created["sdp"])
            # The agent's media comes to the same port (a media event loop's legs share one):
            # the customer's packets are those with the SSRC its description announced.
            ssrc = int(re.search(r"a=ssrc:(\d+) ", customer.pc.localDescription.sdp).group(1))
            everything = await asyncio.to_thread(capture, port, 200)
            captured = [(source, payload) for source, payload in everything
                        if int.from_bytes(payload[8:12], "big") == ssrc]
            assert len(captured) >= 50, f"captured {len(captured)} of the customer's audio packets to port {port}"
            sources = {source for source, _ in captured}
            assert len(sources) == 1, sources
            before, heard = srtp_replays(gateway), agent.frames

            for source, payload in captured:
                send_from(source, port, payload)
            assert await wait_for(lambda: srtp_replays(gateway) >= before + len(captured), timeout=5), \
                (srtp_replays(gateway) - before, len(captured))
            # The call goes on: the agent still hears the customer's tone.
            assert await wait_for(lambda: agent.frames > heard + 50, timeout=10)
            assert abs(agent.dominant_frequency() - 440) < 15, agent.dominant_frequency()
        finally:
            await close_all(customer, agent, signaling, alice)

    asyncio.run(scenario())
