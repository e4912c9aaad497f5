"""Test peers for interop tests: the gateway process, aiortc endpoints with tone tracks,
and the signaling client. Loopback only."""

import asyncio
import fractions
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from gateway_process import GatewayProcess  # noqa: E402

def require_aiortc():
    """aiortc is a required peer in CI; outside CI a missing install skips."""
    try:
        import aiortc  # noqa: F401
        import av  # noqa: F401
    except ImportError:
        import pytest
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("aiortc is not installed (run scripts/install-deps --test)")


def patch_aioice_loopback():
    """aioice skips 127.0.0.1 when gathering host candidates; keep everything on loopback."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class Gateway(GatewayProcess):
    """The gateway with its demo data: the seeded API key and agents by display name."""

    def __init__(self, extra_env=None, data_dir=None, key=None, prefix=()):
        super().__init__(data_dir=data_dir, extra_env=extra_env, prefix=prefix)
        # A restart on the same data keeps the key printed at the first start.
        self.key = key or self.seeded_key()
        agents = self.request("GET", "/ccaas/1/agents?orderBy=displayName:asc")["agents"]
        self.agents = {a["displayName"]: a["id"] for a in agents}

    def request(self, method, path, body=None, agent=None):
        """The body of a successful request; anything else fails the test."""
        status, reply = super().request(method, path, key=self.key, body=body, agent=agent)
        assert status == 200, f"{method} {path}: {status} {reply}"
        return reply

    def poll(self, path):
        """GET `path` as a polling client does when it shares the key with a load generator that
        may spend the key's request budget (agents, tokens): a 429 means try again."""
        for _ in range(60):
            status, reply = self.request_raw("GET", path)
            if status != 429:
                assert status == 200, f"GET {path}: {status} {reply}"
                return reply
            time.sleep(0.5)
        raise AssertionError(f"GET {path}: still 429 after 30 s")

    def request_raw(self, method, path, body=None, agent=None):
        """(status, reply) of any request with the seeded key."""
        return super().request(method, path, key=self.key, body=body, agent=agent)

    def post_trunk(self, body):
        """(status, reply) of creating a SIP trunk."""
        return super().request("POST", "/calls/1/sip-trunks", key=self.key, body=body)

    def put_trunk(self, trunk_id, body):
        """(status, reply) of replacing a SIP trunk."""
        return super().request("PUT", f"/calls/1/sip-trunks/{trunk_id}", key=self.key, body=body)

    def token(self, identity):
        return self.request("POST", "/webrtc/1/token", {"identity": identity})["token"]


async def wait_for(predicate, timeout=10):
    """Polls `predicate` every 50 ms until it holds or `timeout` seconds pass; its last value."""
    for _ in range(int(timeout * 20)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


class Signaling:
    """One signaling WebSocket; frames are queued by type."""

    def __init__(self, ws):
        self.ws = ws
        self.frames = []
        self.waiters = []
        self.task = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, gateway, identity):
        import websockets
        ws = await websockets.connect(f"{gateway.ws_base}/webrtc/1/signaling?token={gateway.token(identity)}",
                                      ssl=gateway.ssl_context)
        self = cls(ws)
        self.welcome = await self.next("welcome")
        return self

    async def _read(self):
        try:
            async for text in self.ws:
                self.frames.append(json.loads(text))
                for event in self.waiters:
                    event.set()
        except Exception:
            pass

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def next(self, type_, timeout=10, where=lambda f: True):
        deadline = time.time() + timeout
        while True:
            for i, frame in enumerate(self.frames):
                if frame.get("type") == type_ and where(frame):
                    return self.frames.pop(i)
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError(f"no {type_} frame within {timeout}s; got {self.frames}")
            event = asyncio.Event()
            self.waiters.append(event)
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                self.waiters.remove(event)

    async def close(self):
        await self.ws.close()
        self.task.cancel()


def tone_track(frequency):
    from aiortc import MediaStreamTrack
    import av

    class ToneTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self):
            super().__init__()
            self.samples = 0
            self.start = None

        async def recv(self):
            if self.start is None:
                self.start = time.time()
            wait = self.start + self.samples / 48000 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            t = np.arange(self.samples, self.samples + 960)
            data = (np.sin(2 * np.pi * frequency * t / 48000) * 8000).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = 48000
            frame.pts = self.samples
            frame.time_base = fractions.Fraction(1, 48000)
            self.samples += 960
            return frame

    return ToneTrack()


class Peer:
    """An aiortc endpoint that sends a tone and records what it hears."""

    def __init__(self, frequency, video=False):
        from aiortc import RTCConfiguration, RTCPeerConnection
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(tone_track(frequency))
        if video:
            from aiortc.mediastreams import VideoStreamTrack
            self.pc.addTrack(VideoStreamTrack())
        self.heard = []
        self.frames = 0
        self.video_frames = 0
        self.video_size = None
        self.readers = []

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                self.readers.append(asyncio.ensure_future(self._record(track)))
            else:
                self.readers.append(asyncio.ensure_future(self._watch(track)))

    async def _record(self, track):
        try:
            while True:
                frame = await track.recv()
                samples = frame.to_ndarray().astype(np.float64).reshape(-1)
                channels = len(frame.layout.channels)
                if channels > 1:
                    samples = samples.reshape(-1, channels).mean(axis=1)
                self.heard.append((frame.sample_rate, samples))
                self.frames += 1
        except Exception:
            pass

    async def _watch(self, track):
        """Counts decoded video frames."""
        try:
            while True:
                frame = await track.recv()
                self.video_frames += 1
                self.video_size = (frame.width, frame.height)
        except Exception:
            pass

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp):
        from aiortc import RTCSessionDescription
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def accept_answer(self, sdp):
        from aiortc import RTCSessionDescription
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    def dominant_frequency(self, seconds=1.0):
        """The strongest frequency in the last `seconds` of what was heard."""
        if not self.heard:
            return None
        rate = self.heard[-1][0]
        audio = np.concatenate([s for _, s in self.heard])[-int(rate * seconds):]
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
        spectrum[:5] = 0
        return float(np.argmax(spectrum) * rate / len(audio))

    async def audio_packets_lost(self):
        """packetsLost of each inbound audio stream, as aiortc's receiver counts them from
        sequence numbers."""
        report = await self.pc.getStats()
        return [s.packetsLost for s in report.values() if s.type == "inbound-rtp" and s.kind == "audio"]

    async def audio_jitter(self):
        """Interarrival jitter of each inbound audio stream in RTP clock units (48000 a second),
        as aiortc's receiver computes it: a timestamp that does not follow the time that passed
        shows as a jump here."""
        report = await self.pc.getStats()
        return [s.jitter for s in report.values() if s.type == "inbound-rtp" and s.kind == "audio"]

    async def close(self):
        for reader in self.readers:
            reader.cancel()
        await self.pc.close()


async def start_customer_call(gateway, identity="customer-7", queue_id=None):
    """A customer's call into the center (`queue_id`, else the gateway's choice) with a 440 Hz
    aiortc peer: (signaling, peer, call.created)."""
    signaling = await Signaling.connect(gateway, identity)
    peer = Peer(440)
    custom = {"queueId": queue_id} if queue_id else {}
    await signaling.send({"type": "call.start", "sdp": await peer.offer(), "customData": custom})
    created = await signaling.next("call.created")
    await peer.accept_answer(created["sdp"])
    return signaling, peer, created


def tone_levels(peer, since, tones):
    """Relative level (0..1 of the strongest) of each tone in what `peer` heard since frame
    `since`, less the first 300 ms (a change settling)."""
    rate = peer.heard[-1][0]
    audio = np.concatenate([s for _, s in peer.heard[since:]])[int(rate * 0.3):]
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    spectrum[:5] = 0

    def level(frequency):
        index = int(round(frequency * len(audio) / rate))
        return float(spectrum[index - 3:index + 4].max())

    found = {f: level(f) for f in tones}
    strongest = max(float(spectrum.max()), 1e-9)
    return {f: value / strongest for f, value in found.items()}


def assert_hears(peer, since, present, absent, below=0.02):
    """`peer` heard each tone of `present` (above a fifth of the strongest sound) and none of
    `absent` (under `below` of it) since frame `since`."""
    found = tone_levels(peer, since, list(present) + list(absent))
    for tone in present:
        assert found[tone] > 0.2, f"{tone} Hz should be heard: {found}"
    for tone in absent:
        assert found[tone] < below, f"{tone} Hz should not be heard: {found}"


async def listen_a_while(*peers, frames=75):
    """Waits until each peer heard `frames` more frames (20 ms each); returns where each started."""
    marks = [p.frames for p in peers]
    assert await wait_for(lambda: all(p.frames > m + frames for p, m in zip(peers, marks)), timeout=10)
    return marks


async def answer_next_call(signaling, peer, timeout=10):
    """The agent on `signaling` answers its next `call.incoming` with `peer`; returns the offer
    once the call is established."""
    incoming = await signaling.next("call.incoming", timeout=timeout)
    await signaling.send({"type": "call.accept", "callId": incoming["callId"], "sdp": await peer.answer(incoming["sdp"])})
    await signaling.next("call.established", timeout=15)
    return incoming


async def talking_call(gateway, customer_identity):
    """Alice (an aiortc agent at 660 Hz) answers a customer's call (440 Hz): (alice's signaling,
    agent peer, customer's signaling, customer peer, call.created) once the call is established."""
    alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
    agent = Peer(660)
    signaling, customer, created = await start_customer_call(gateway, customer_identity)
    await answer_next_call(alice, agent)
    return alice, agent, signaling, customer, created


async def close_all(*things):
    """Closes each peer or signaling connection given (None is skipped)."""
    for thing in things:
        if thing:
            await thing.close()
