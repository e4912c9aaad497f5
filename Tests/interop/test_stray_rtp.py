"""A trunk leg's port serves one call after another (and, on a shared host, one gateway after
another): packets a phone goes on sending after its call ended reach whichever call took the
port next. Here SIPp calls in with a 440 Hz tone while another socket of the same host sends a
1 kHz tone to the gateway's RTP port of that call, from before the call until after its end:
the agent hears the phone only, the phone hears the agent, and /metrics counts the strays as
dropped. Loopback only."""

import asyncio
import socket
import threading
import time

import numpy as np
import pytest

from peers import Peer, Signaling, answer_next_call, wait_for
from sip_peers import RtpStream, Sipp, capture_rtp, require_sipp, require_tshark
from test_sip_trunks import NUMBER, add_trunk

RTP_PORT = 47400  # the trunk's range is this one pair, so the call's port is known beforehand
UNLATCHED = 'gateway_media_dropped_total{reason="unlatched"}'


@pytest.fixture(autouse=True)
def sip_peers_present():
    require_sipp()
    require_tshark()


class StraySender:
    """Sends a PCMU 1 kHz tone, a packet every 20 ms, from an ephemeral port of 127.0.0.1."""

    def __init__(self, port):
        self.port = port
        self.sent = 0
        self.packets = [p.to_bytes() for p in RtpStream("PCMU").tone(1000, 2.0).packets]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stray-rtp", daemon=True)

    def _run(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            next_at = time.monotonic()
            while not self.stopping.is_set():
                try:
                    sock.sendto(self.packets[self.sent % len(self.packets)], ("127.0.0.1", self.port))
                except OSError:
                    pass  # nothing listens on the port yet (ICMP port unreachable)
                self.sent += 1
                next_at += 0.020
                self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(5)


def power(samples, rate, frequency):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(spectrum[int(round(frequency * len(samples) / rate))] ** 2)


@pytest.mark.parametrize("symmetric", [False, True], ids=["sdp-address", "symmetric-rtp"])
def test_stray_rtp_on_a_calls_port_is_dropped_and_never_heard(gateway, symmetric):
    """With symmetricRtp the leg would otherwise latch onto the stray's address and send it the
    call's audio: the phone's own address (the SDP's) is taken at once and locks the stray out."""
    async def scenario():
        signaling = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        agent = Peer(660)
        phone = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 5.0))
        add_trunk(gateway, phone.address, rtpPortRange=f"{RTP_PORT}-{RTP_PORT + 1}", symmetricRtp=symmetric)
        dropped_before = gateway.counter(UNLATCHED)
        stray = StraySender(RTP_PORT).start()
        try:
            with capture_rtp(phone.media_port) as heard_by_phone:
                phone.start()
                await answer_next_call(signaling, agent)
                assert await wait_for(lambda: agent.frames > 150, timeout=15), agent.frames
                rate = agent.heard[-1][0]
                heard = np.concatenate([s for _, s in agent.heard])[-int(1.5 * rate):]
                await signaling.next("call.hangup", timeout=20)
                result = await asyncio.to_thread(phone.wait)
        finally:
            stray.stop()
            phone.stop()
            await agent.close()
            await signaling.close()
        result.assert_ok()
        answer = next(m for m in result.received() if m.status == 200 and "m=audio" in m.text)
        assert f"m=audio {RTP_PORT} " in answer.text, "the call has the port the strays go to"
        # Interleaved with the phone's packets, the strays would be as loud as the phone.
        tone, stray_tone = power(heard, rate, 440), power(heard, rate, 1000)
        assert stray_tone < 0.001 * tone, (tone, stray_tone)
        # The call's audio went to the phone, not to the stray's address.
        assert heard_by_phone.packet_count > 100, heard_by_phone.packet_count
        assert abs(heard_by_phone.dominant_frequency() - 660) < 15, heard_by_phone.dominant_frequency()
        dropped = gateway.counter(UNLATCHED) - dropped_before
        assert dropped >= 150, f"{dropped} datagrams dropped of {stray.sent} strays sent"

    asyncio.run(scenario())
