"""Real SIP peers for interop tests, on loopback only: SIPp (scenarios in ./sipp), baresip (a
SIP phone driven over ctrl_tcp), a tshark capture of the RTP that reaches a port, and the audio
helpers both need (tones, G.711, RTP and RFC 4733 packets written as pcap files for SIPp's
`play_pcap_audio`).

Nothing here talks to anything but 127.0.0.1. Peers that are not installed skip the test,
except in CI (`CI=true`) where they fail it. SIPp's pcap play sends through a raw socket and
tshark captures on `lo`, so both need root (or CAP_NET_RAW); `require_raw_sockets()` checks.
"""

import contextlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from loopback_ports import free_port  # noqa: E402  (re-exported for the tests)

LOOPBACK = "127.0.0.1"
SIPP_SCENARIOS = Path(__file__).resolve().parent / "sipp"
SIPP_SHARE = Path("/usr/share/sip-tester")  # Debian: g711a.pcap, dtmf_2833_<digit>.pcap
BARESIP_MODULES = Path(os.environ.get("BARESIP_MODULES", "/usr/lib/baresip/modules"))
RATE = 8000
TELEPHONE_EVENT_PT = 101
PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
CODECS = {pt: name for name, pt in PAYLOAD_TYPES.items()}
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
DTMF_DIGITS = {code: digit for digit, code in DTMF_EVENTS.items()}


# ---------------------------------------------------------------------------------------------
# Availability: skip outside CI, fail in CI


def in_ci():
    return os.environ.get("CI") == "true"


def _unavailable(reason):
    if in_ci():
        raise AssertionError(f"{reason} (CI=true: peers are required)")
    import pytest
    pytest.skip(reason)


def require_binary(name):
    """The absolute path of a peer's executable; skips the test if missing (fails in CI)."""
    path = shutil.which(name)
    if not path:
        _unavailable(f"{name} is not installed")
    return path


def require_sipp():
    return require_binary("sipp")


def require_baresip():
    path = require_binary("baresip")
    for module in ("g711.so", "aufile.so", "sndfile.so", "ctrl_tcp.so", "menu.so"):
        if not (BARESIP_MODULES / module).exists():
            _unavailable(f"baresip module {module} is missing in {BARESIP_MODULES}")
    return path


def require_tshark():
    return require_binary("tshark")


def require_raw_sockets():
    """SIPp's play_pcap_audio sends through a raw socket and tshark captures on lo: both need
    root or CAP_NET_RAW."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP).close()
    except PermissionError:
        _unavailable("raw sockets need root or CAP_NET_RAW (SIPp pcap play, tshark capture)")


# ---------------------------------------------------------------------------------------------
# Ports


def _port_bound(port, proto):
    """Whether something is bound to (UDP) or listening on (TCP) a local port, read from
    /proc/net so that probing has no side effect on the peer."""
    hexport = f":{port:04X}"
    for table in ("/proc/net/" + proto, "/proc/net/" + proto + "6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[1].endswith(hexport) and (proto == "udp" or cols[3] == "0A"):
                        return True
        except OSError:
            pass
    return False


def wait_for_port(port, proto="udp", timeout=10, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _port_bound(port, proto):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


# ---------------------------------------------------------------------------------------------
# Audio


def tone(freq, seconds, rate=RATE, amplitude=8000):
    """A sine tone as int16 samples."""
    t = np.arange(int(round(seconds * rate))) / rate
    return np.round(np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)


def dominant_frequency(samples, rate=RATE):
    """The strongest frequency (Hz) in the samples (FFT with a Hann window, DC ignored)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if len(x) < 16:
        return None
    x = x - x.mean()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    spectrum[freqs < 20] = 0
    if not spectrum.any():
        return None
    return float(freqs[int(np.argmax(spectrum))])


def rms(samples):
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0


_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def ulaw_encode(samples):
    """G.711 µ-law: int16 samples -> uint8 codes."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.where(x < 0, ~x, x), _ULAW_CLIP) + _ULAW_BIAS  # as ITU-T G.191's g711.c
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 7
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def _codes(codes):
    if isinstance(codes, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(codes), dtype=np.uint8)
    return np.asarray(codes, dtype=np.uint8)


def ulaw_decode(codes):
    """G.711 µ-law: uint8 codes (or bytes) -> int16 samples."""
    u = (~_codes(codes)).astype(np.int32)
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    mag = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(u & 0x80, -mag, mag).astype(np.int16)


_ALAW_SEGMENT_ENDS = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def alaw_encode(samples):
    """G.711 A-law: int16 samples -> uint8 codes."""
    x = np.asarray(samples, dtype=np.int32) >> 3  # 13-bit
    positive = x >= 0
    mag = np.where(positive, x, -x - 1)
    segment = np.searchsorted(_ALAW_SEGMENT_ENDS, mag, side="left")
    mantissa = np.where(segment < 2, mag >> 1, mag >> np.maximum(segment, 1)) & 0x0F
    code = np.where(segment >= 8, 0x7F, (np.minimum(segment, 7) << 4) | mantissa)
    return (code ^ np.where(positive, 0xD5, 0x55)).astype(np.uint8)


def alaw_decode(codes):
    """G.711 A-law: uint8 codes (or bytes) -> int16 samples."""
    a = (_codes(codes) ^ 0x55).astype(np.int32)
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    mag = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(a & 0x80, mag, -mag).astype(np.int16)


def g711_encode(samples, codec):
    return {"PCMU": ulaw_encode, "PCMA": alaw_encode}[codec](samples)


def g711_decode(codes, codec):
    return {"PCMU": ulaw_decode, "PCMA": alaw_decode}[codec](codes)


def write_wav(path, samples, rate=RATE):
    """A mono 16-bit WAV file (what baresip's aufile plays as a microphone)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return Path(path)


def read_wav(path):
    """(mono int16 samples, rate); multi-channel files are averaged."""
    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        data = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit WAV, expected 16-bit")
    samples = np.frombuffer(data, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples, rate


# ---------------------------------------------------------------------------------------------
# RTP packets and pcap files (for SIPp's play_pcap_audio)


@dataclass
class RtpPacket:
    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    time: float = 0.0  # send time in seconds from the start of the stream

    def to_bytes(self):
        header = struct.pack("!BBHII", 0x80, (0x80 if self.marker else 0) | self.payload_type,
                             self.seq & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc)
        return header + self.payload

    @classmethod
    def parse(cls, data, time=0.0):
        if len(data) < 12 or data[0] >> 6 != 2:
            raise ValueError("not RTP")
        cc = data[0] & 0x0F
        offset = 12 + 4 * cc
        if data[0] & 0x10:  # header extension
            length = struct.unpack("!H", data[offset + 2:offset + 4])[0]
            offset += 4 + 4 * length
        end = len(data)
        if data[0] & 0x20:  # padding
            end -= data[-1]
        seq, ts, ssrc = struct.unpack("!HII", data[2:12])
        return cls(data[1] & 0x7F, seq, ts, ssrc, bytes(data[offset:end]), bool(data[1] & 0x80), time)


def telephone_event_payload(event, end, volume, duration):
    """An RFC 4733 event payload: event, E|R|volume, 16-bit duration in timestamp units."""
    return struct.pack("!BBH", event, (0x80 if end else 0) | (volume & 0x3F), duration & 0xFFFF)


class RtpStream:
    """One RTP stream (one SSRC) built in send order: audio, silence, gaps and RFC 4733 digits.
    flush() writes the packets made since the last flush to a pcap file, so one stream can be
    split into several files (a tone, then DTMF) that SIPp plays one after the other with
    continuing sequence numbers and timestamps.

    Audio is 20 ms per packet (160 samples, 160 bytes of G.711). A digit is an RFC 4733 event:
    updates every 20 ms with the event's start timestamp and a growing duration, the first with
    the marker bit, then the final (end bit) packet three times, each with its own sequence
    number."""

    def __init__(self, codec="PCMU", ssrc=None, seq=None, timestamp=None, event_pt=TELEPHONE_EVENT_PT):
        if codec not in PAYLOAD_TYPES:
            raise ValueError(f"codec must be PCMU or PCMA, not {codec}")
        self.codec = codec
        self.payload_type = PAYLOAD_TYPES[codec]
        self.event_pt = event_pt
        self.ssrc = random.getrandbits(32) if ssrc is None else ssrc
        self.seq = random.getrandbits(15) if seq is None else seq
        self.timestamp = random.getrandbits(31) if timestamp is None else timestamp
        self.time = 0.0
        self.packets = []
        self._talkspurt = True

    def _add(self, payload_type, payload, marker=False, timestamp=None):
        self.packets.append(RtpPacket(payload_type, self.seq & 0xFFFF, (self.timestamp if timestamp is None else timestamp) & 0xFFFFFFFF,
                                      self.ssrc, payload, marker, self.time))
        self.seq += 1

    def audio(self, samples):
        """Packetizes int16 samples at 8 kHz (the last packet is padded with silence)."""
        samples = np.asarray(samples, dtype=np.int16)
        pad = -len(samples) % 160
        if pad:
            samples = np.concatenate([samples, np.zeros(pad, dtype=np.int16)])
        codes = g711_encode(samples, self.codec)
        for i in range(0, len(codes), 160):
            self._add(self.payload_type, codes[i:i + 160].tobytes(), marker=self._talkspurt)
            self._talkspurt = False
            self.timestamp += 160
            self.time += 0.020
        return self

    def tone(self, freq, seconds, amplitude=8000):
        return self.audio(tone(freq, seconds, amplitude=amplitude))

    def silence(self, seconds):
        return self.audio(np.zeros(int(round(seconds * RATE)), dtype=np.int16))

    def gap(self, seconds):
        """Time passes with no packet sent (as with silence suppression); the next audio
        packet starts a talkspurt (marker bit)."""
        steps = int(round(seconds / 0.020))
        self.timestamp += 160 * steps
        self.time += 0.020 * steps
        self._talkspurt = True
        return self

    def dtmf(self, digits, duration=0.16, pause=0.1, volume=10):
        """RFC 4733 events for each digit (0-9 * # A-D), with `pause` seconds of silence
        (audio packets) after each one."""
        for digit in str(digits):
            event = DTMF_EVENTS[digit.upper()]
            start = self.timestamp
            steps = max(1, int(round(duration / 0.020)))
            for i in range(1, steps + 1):
                self._add(self.event_pt, telephone_event_payload(event, False, volume, 160 * i), marker=(i == 1), timestamp=start)
                self.time += 0.020
            for _ in range(3):
                self._add(self.event_pt, telephone_event_payload(event, True, volume, 160 * steps), timestamp=start)
                self.time += 0.005
            self.time += 0.005
            self.timestamp = start + 160 * steps
            self._talkspurt = True
            if pause > 0:
                self.silence(pause)
        return self

    @property
    def duration(self):
        return self.time

    def flush(self, path, src_port=40000, dst_port=50000):
        """Writes the packets made since the last flush to a pcap file; returns its path."""
        packets, self.packets = self.packets, []
        return write_rtp_pcap(path, packets, src_port=src_port, dst_port=dst_port)


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _udp_frame(payload, src, dst, ident):
    """Ethernet II + IPv4 + UDP around a payload, with valid checksums."""
    src_ip, src_port = socket.inet_aton(src[0]), src[1]
    dst_ip, dst_port = socket.inet_aton(dst[0]), dst[1]
    udp_len = 8 + len(payload)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, socket.IPPROTO_UDP, udp_len)
    udp = struct.pack("!HHHH", src_port, dst_port, udp_len, 0) + payload
    udp_sum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", udp_sum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0, 64, socket.IPPROTO_UDP, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    ethernet = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return ethernet + ip + udp


def write_rtp_pcap(path, packets, src=LOOPBACK, dst=LOOPBACK, src_port=40000, dst_port=50000, start=1_000_000_000.0):
    """A classic pcap (Ethernet link type) of RTP packets over IPv4/UDP. SIPp replays the UDP
    payloads with the pcap's timing, rewriting only addresses and ports (source = its -mp,
    destination = the media address in the peer's SDP)."""
    path = Path(path)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, packet in enumerate(packets):
            frame = _udp_frame(packet.to_bytes(), (src, src_port), (dst, dst_port), i)
            when = start + packet.time
            sec = int(when)
            usec = int(round((when - sec) * 1e6))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)
    return path


def read_pcap_udp(path):
    """[(time, src_port, dst_port, udp payload)] from a classic pcap with Ethernet, Linux
    cooked or raw-IP link type (what write_rtp_pcap and `dumpcap -P` write)."""
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise ValueError(f"{path} is not a classic pcap file")
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_header = {1: 14, 113: 16, 101: 0, 228: 0}.get(linktype)
    if link_header is None:
        raise ValueError(f"{path}: unsupported link type {linktype}")
    out = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        ip = frame[link_header:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        sport, dport, length = struct.unpack("!HHH", udp[:6])
        out.append((sec + frac / (1e9 if nano else 1e6), sport, dport, bytes(udp[8:length])))
    return out


def write_tone_pcap(path, freq, seconds, codec="PCMU", **stream_args):
    """A pcap of `seconds` of a tone as G.711 RTP (20 ms packets)."""
    return RtpStream(codec, **stream_args).tone(freq, seconds).flush(path)


def write_dtmf_pcap(path, digits, codec="PCMU", duration=0.16, pause=0.1, **stream_args):
    """A pcap of RFC 4733 digits (PT 101), with G.711 silence packets between them."""
    return RtpStream(codec, **stream_args).silence(0.1).dtmf(digits, duration=duration, pause=pause).flush(path)


def sipp_dtmf_pcap(digit):
    """SIPp's shipped RFC 2833 pcap for one digit: PT 101, a few updates, then the end packet
    three times with the same sequence number; the SSRC (0x0e05384e) and sequence numbers are
    fixed and unrelated to any audio stream the call carries."""
    name = {"*": "star", "#": "pound"}.get(digit, digit)
    return SIPP_SHARE / f"dtmf_2833_{name}.pcap"


# ---------------------------------------------------------------------------------------------
# What arrived at a port: tshark on lo


@dataclass
class DtmfEvent:
    digit: str
    timestamp: int
    duration: int  # timestamp units (1/8000 s)
    ended: bool
    packets: int


@dataclass
class RtpCapture:
    """The RTP that reached a UDP port, dissected by tshark."""
    port: int
    file: Path = None
    packets: list = field(default_factory=list)  # RtpPacket, in arrival order
    tshark_stderr: str = ""

    @property
    def packet_count(self):
        return len(self.packets)

    def audio_packets(self):
        return [p for p in self.packets if p.payload_type in CODECS]

    def payload_types(self):
        return sorted({p.payload_type for p in self.packets})

    def samples(self, ssrc=None):
        """Decoded G.711 audio (int16 at 8 kHz) of PCMU/PCMA packets in arrival order."""
        chunks = [g711_decode(p.payload, CODECS[p.payload_type]) for p in self.audio_packets()
                  if ssrc is None or p.ssrc == ssrc]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def dominant_frequency(self, skip_seconds=0.2):
        audio = self.samples()[int(skip_seconds * RATE):]
        return dominant_frequency(audio) if len(audio) else None

    def events(self, event_pt=TELEPHONE_EVENT_PT):
        """RFC 4733 events, one per (SSRC, event timestamp), in order of arrival."""
        found = {}
        for p in self.packets:
            if p.payload_type != event_pt or len(p.payload) < 4:
                continue
            event, flags, duration = struct.unpack("!BBH", p.payload[:4])
            key = (p.ssrc, p.timestamp)
            e = found.get(key)
            if e is None:
                e = found[key] = DtmfEvent(DTMF_DIGITS.get(event, f"event{event}"), p.timestamp, 0, False, 0)
            e.duration = max(e.duration, duration)
            e.ended = e.ended or bool(flags & 0x80)
            e.packets += 1
        return list(found.values())

    def digits(self, event_pt=TELEPHONE_EVENT_PT):
        return "".join(e.digit for e in self.events(event_pt))


def _tshark_rtp(path, port, event_pt=TELEPHONE_EVENT_PT):
    """RTP packets in a capture file, dissected by tshark (decode-as RTP on `port`)."""
    fields = ["frame.time_relative", "rtp.p_type", "rtp.seq", "rtp.timestamp", "rtp.ssrc", "rtp.marker", "rtp.payload"]
    cmd = [shutil.which("tshark") or "tshark", "-n", "-r", str(path), "-d", f"udp.port=={port},rtp", "-o", f"rtpevent.event_payload_type_value:{event_pt}",
           "-Y", f"rtp && udp.dstport=={port}", "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"tshark -r failed: {out.stderr}")
    packets = []
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) < 7 or not cols[1]:
            continue
        t, pt, seq, ts, ssrc, marker, payload = cols[:7]
        packets.append(RtpPacket(int(pt), int(seq), int(ts), int(ssrc, 0), bytes.fromhex(payload.replace(":", "")),
                                 marker in ("1", "True"), float(t)))
    return packets


@contextlib.contextmanager
def capture_rtp(port, directory=None, event_pt=TELEPHONE_EVENT_PT, startup_timeout=15, bpf=None):
    """Captures UDP to 127.0.0.1:`port` on lo with tshark while the block runs; on exit the
    RtpCapture it yielded holds the packets (dissected by tshark as RTP, RFC 4733 events
    included). SIPp does not read its -mp port unless -rtp_echo, so nothing there sees the
    media; the capture does. `bpf` replaces the capture filter (several ports, say)."""
    tshark = require_tshark()
    require_raw_sockets()
    directory = Path(directory or tempfile.mkdtemp(prefix="rtp-capture-"))
    capture = RtpCapture(port, directory / f"rtp-{port}.pcap")
    proc = subprocess.Popen([tshark, "-n", "-q", "-i", "lo", "-f", bpf or f"udp dst port {port}", "-F", "pcap", "-w", str(capture.file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    text = ""
    try:
        # dumpcap reports "Capturing on 'Loopback: lo'" once the interface is open, then
        # "Capture started." (newer versions); wait for the latter when it comes.
        fd = proc.stderr.fileno()
        deadline = time.time() + startup_timeout
        opened = None
        while time.time() < deadline and "Capture started" not in text:
            if opened and time.time() - opened > 1.0:
                break
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                text += chunk.decode(errors="replace")
                if opened is None and "Capturing on" in text:
                    opened = time.time()
            elif proc.poll() is not None:
                break
        if proc.poll() is not None or opened is None:
            raise AssertionError(f"tshark could not capture on lo: {text}")
        yield capture
        time.sleep(0.3)  # let the last packets reach the capture
    finally:
        _stop(proc, signal.SIGINT, 10)
        text += proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        capture.tshark_stderr = text
    if capture.file.exists() and capture.file.stat().st_size > 24:
        capture.packets = _tshark_rtp(capture.file, port, event_pt)


def _stop(proc, sig=signal.SIGTERM, timeout=10):
    """Stops a process we started (and its process group), escalating to SIGKILL; reaps it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig) if _own_group(proc) else proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL) if _own_group(proc) else proc.kill()
            proc.wait(5)
    return proc.returncode


def _own_group(proc):
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


# ---------------------------------------------------------------------------------------------
# SIPp


def scenario_path(scenario):
    """A scenario of ./sipp by name ("uac_tone"), or any path to an XML file."""
    path = Path(scenario)
    if path.suffix != ".xml":
        path = SIPP_SCENARIOS / f"{scenario}.xml"
    if not path.exists():
        raise FileNotFoundError(path)
    return path


# Keys (-key) the scenarios of ./sipp use, with their defaults; tone_pcap/dtmf_pcap are made by
# Sipp itself from its `tone`/`dtmf` arguments when not given.
SCENARIO_KEYS = {
    "offer_formats": "0 8 101",
    "answer_formats": "0 8 101",
    "auth_user": "user",
    "auth_pass": "secret",
    "auth_realm": "sipp",
}
# Global variables the scenarios treat as flags: -set only when true (any value counts as set).
FLAG_VARIABLES = {"play_dtmf", "wait_bye", "bye_after_dtmf"}


@dataclass
class SippMessage:
    direction: str  # "sent" or "received"
    text: str

    @property
    def first_line(self):
        return self.text.split("\n", 1)[0].strip()

    @property
    def status(self):
        m = re.match(r"SIP/2\.0 (\d{3})", self.first_line)
        return int(m.group(1)) if m else None

    @property
    def method(self):
        m = re.match(r"([A-Z]+) \S+ SIP/2\.0", self.first_line)
        return m.group(1) if m else None

    def header(self, name):
        """The first value of a header (case-insensitive full name), or None."""
        head = self.text.split("\n\n", 1)[0]
        m = re.search(rf"^{re.escape(name)}\s*:\s*(.*)$", head, flags=re.M | re.I)
        return m.group(1).strip() if m else None

    @property
    def body(self):
        parts = self.text.split("\n\n", 1)
        return parts[1] if len(parts) > 1 else ""


def parse_sipp_messages(text):
    """The messages of a -trace_msg log, in order."""
    out = []
    for block in re.split(r"^-{20,}.*$", text, flags=re.M):
        m = re.match(r"\s*\S+ message (sent|received)[^\n]*\n(.*)", block, flags=re.S)
        if m:
            out.append(SippMessage(m.group(1), m.group(2).replace("\r\n", "\n").strip("\n")))
    return out


@dataclass
class SippResult:
    scenario: str
    command: list
    returncode: int
    timed_out: bool
    stats: dict  # the last row of -trace_stat, by column name
    messages_log: str  # -trace_msg
    errors_log: str  # -trace_err
    screen: str  # -trace_screen (final statistics screens)
    stderr: str
    logdir: Path
    calls: int = 1  # -m: how many calls make a success

    @property
    def successful(self):
        return int(self.stats.get("SuccessfulCall(C)", 0) or 0)

    @property
    def failed(self):
        return int(self.stats.get("FailedCall(C)", 0) or 0)

    @property
    def messages(self):
        return parse_sipp_messages(self.messages_log)

    def received(self):
        return [m for m in self.messages if m.direction == "received"]

    def sent(self):
        return [m for m in self.messages if m.direction == "sent"]

    def statuses_received(self):
        return [m.status for m in self.received() if m.status]

    def ok(self, calls=None):
        """Exit 0, no failed call and at least `calls` (default -m) successful ones."""
        calls = self.calls if calls is None else calls
        return self.returncode == 0 and not self.timed_out and self.failed == 0 and self.successful >= calls

    def report(self, tail=12000):
        """Everything useful for an assertion message: command, exit, counters, the error log
        and the end of the SIP message trace."""
        counters = {k: v for k, v in self.stats.items() if k.endswith("(C)") and v not in ("0", "")}
        parts = [f"sipp {self.scenario}: exit {self.returncode}{' (killed after timeout)' if self.timed_out else ''}",
                 "command: " + " ".join(self.command), f"counters: {counters}", f"logs: {self.logdir}"]
        if self.stderr.strip():
            parts.append("stderr:\n" + self.stderr.strip()[-3000:])
        if self.errors_log.strip():
            parts.append("errors (-trace_err):\n" + self.errors_log.strip()[-4000:])
        parts.append("messages (-trace_msg):\n" + (self.messages_log[-tail:] if self.messages_log else "(none)"))
        return "\n".join(parts)

    def assert_ok(self, calls=None):
        assert self.ok(calls), self.report()
        return self


def _read(path):
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _parse_stat_csv(text):
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) < 2:
        return {}
    header = lines[0].rstrip(";").split(";")
    values = lines[-1].rstrip(";").split(";")
    return dict(zip(header, values))


class Sipp:
    """One SIPp process running a scenario on 127.0.0.1.

        uas = Sipp("uas_answer", tone=(660, 5)).start()         # listens; start() waits for it
        uac = Sipp("uac_tone", remote=uas.address, tone=(440, 2), dtmf="12#").run()
        uac.assert_ok(); uas.wait().assert_ok()

    remote: "host:port" to call (a UAC); None for a UAS, which listens on `port`.
    tone: (Hz, seconds) -> tone_pcap made in `codec`, unless keys["tone_pcap"] is given; for
      uac_tone, tone_ms defaults to its length. dtmf: digits -> dtmf_pcap continuing the tone's
      RTP stream (same SSRC, sequence and timestamps go on), play_dtmf set, dtmf_ms = its length.
    keys: -key values (SCENARIO_KEYS are defaults); variables: -set values for the scenario's
      <Global variables>, numbers default to 0, FLAG_VARIABLES are set only when true.
    auth: (user, password) -> -au/-ap for answering 401/407 challenges.
    SIPp's pcap play uses a raw socket: run as root (or with CAP_NET_RAW)."""

    def __init__(self, scenario, remote=None, *, service="service", transport="udp", port=None, media_port=None,
                 keys=None, variables=None, tone=None, dtmf=None, codec="PCMU", auth=None, calls=1, rate=None,
                 limit=None, timeout=60, extra_args=(), workdir=None):
        self.binary = require_sipp()
        self.scenario = scenario_path(scenario)
        self.name = self.scenario.stem
        self.remote = remote
        self.transport = transport.lower()
        if self.transport not in ("udp", "tcp"):
            raise ValueError("transport must be udp or tcp")
        self.port = port or free_port()
        self.control_port = free_port(tcp=False)  # SIPp's UDP remote control (default 0.0.0.0:8888..8947)
        self.media_port = media_port or free_port(span=3, tcp=False)  # -mp, RTCP at +1, SIPp's video socket at +2
        self.service = service
        self.calls = calls
        self.timeout = timeout
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"sipp-{self.name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.result = None
        self.tone_stream = None

        text = self.scenario.read_text()
        used_keys = set(re.findall(r"\[([a-z_]+)\]", text)) & (set(SCENARIO_KEYS) | {"tone_pcap", "dtmf_pcap"})
        declared = re.search(r'<Global\s+variables="([^"]*)"', text)
        declared = [v.strip() for v in declared.group(1).split(",")] if declared else []

        keys = dict(keys or {})
        variables = dict(variables or {})
        for key in used_keys & set(SCENARIO_KEYS):
            keys.setdefault(key, SCENARIO_KEYS[key])
        if "tone_pcap" in used_keys and "tone_pcap" not in keys:
            hz, seconds = tone or ((440, 2.0) if remote else (660, 5.0))
            self.tone_stream = RtpStream(codec).tone(hz, seconds)
            if "tone_ms" in declared:
                variables.setdefault("tone_ms", int(self.tone_stream.duration * 1000))
            keys["tone_pcap"] = str(self.tone_stream.flush(self.workdir / f"tone-{hz}Hz-{codec}.pcap"))
        if dtmf:
            stream = self.tone_stream or RtpStream(codec)
            start = stream.duration
            stream.silence(0.1).dtmf(dtmf)
            keys.setdefault("dtmf_pcap", str(stream.flush(self.workdir / "dtmf.pcap")))
            variables.setdefault("play_dtmf", True)
            variables.setdefault("dtmf_ms", int((stream.duration - start) * 1000) + 200)
        if "dtmf_pcap" in used_keys and "dtmf_pcap" not in keys:
            keys["dtmf_pcap"] = keys.get("tone_pcap")  # must name a loadable pcap even when unused
        unknown = set(variables) - set(declared)
        if unknown:
            raise ValueError(f"{self.name} declares no global variable {sorted(unknown)} (it has {declared})")
        for name in declared:
            if name not in variables and name not in FLAG_VARIABLES:
                variables[name] = 0
        self.keys = keys
        self.variables = variables

        cmd = [self.binary]
        if remote:
            cmd.append(remote)
        for k, v in keys.items():  # substituted while SIPp parses the scenario: all must be given
            cmd += ["-key", k, str(v)]
        cmd += ["-sf", str(self.scenario)]
        for k, v in variables.items():  # -set only accepts the scenario's declared <Global> variables
            if k in FLAG_VARIABLES:
                if v:
                    cmd += ["-set", k, "1"]
            else:
                cmd += ["-set", k, str(v)]
        cmd += ["-i", LOOPBACK, "-p", str(self.port), "-bind_local", "-mi", LOOPBACK, "-mp", str(self.media_port),
                "-ci", LOOPBACK, "-cp", str(self.control_port),
                "-t", "u1" if self.transport == "udp" else "t1", "-s", service, "-m", str(calls), "-nostdin",
                "-timeout", f"{int(timeout)}s", "-timeout_error", "-deadcall_wait", "1000",
                "-trace_msg", "-message_file", str(self.workdir / "messages.log"),
                "-trace_err", "-error_file", str(self.workdir / "errors.log"),
                "-trace_stat", "-stf", str(self.workdir / "stats.csv"), "-fd", "1",
                "-trace_screen", "-screen_file", str(self.workdir / "screen.log")]
        if rate:
            cmd += ["-r", str(rate)]
        if limit:
            cmd += ["-l", str(limit)]
        if auth:
            cmd += ["-au", auth[0], "-ap", auth[1]]
        cmd += list(extra_args)
        self.command = cmd

    @property
    def address(self):
        return f"{LOOPBACK}:{self.port}"

    @property
    def uri(self):
        transport = ";transport=tcp" if self.transport == "tcp" else ""
        return f"sip:{self.service}@{self.address}{transport}"

    def start(self, ready_timeout=10):
        """Starts SIPp in the background; a UAS is ready (listening) when this returns."""
        with open(self.workdir / "stdout.log", "wb") as out, open(self.workdir / "stderr.log", "wb") as err:
            self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         start_new_session=True)
        proto = "udp" if self.transport == "udp" else "tcp"
        if not self.remote and not wait_for_port(self.port, proto, ready_timeout, self.proc):
            result = self.wait(timeout=5)
            raise AssertionError(f"SIPp {self.name} did not listen on {proto} {self.port}\n" + result.report())
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout=None):
        """Waits for SIPp to exit (killing it after `timeout`, default the scenario timeout
        plus 10 s) and returns its SippResult."""
        if self.result:
            return self.result
        timed_out = False
        try:
            self.proc.wait(timeout if timeout is not None else self.timeout + 10)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(self.proc, signal.SIGUSR1, 3)  # soft exit: SIPp writes its statistics
            _stop(self.proc, signal.SIGTERM, 3)
        self.result = SippResult(
            scenario=self.name, command=self.command, returncode=self.proc.returncode, timed_out=timed_out,
            stats=_parse_stat_csv(_read(self.workdir / "stats.csv")), messages_log=_read(self.workdir / "messages.log"),
            errors_log=_read(self.workdir / "errors.log"), screen=_read(self.workdir / "screen.log"),
            stderr=_read(self.workdir / "stderr.log"), logdir=self.workdir, calls=self.calls)
        return self.result

    def run(self, timeout=None):
        """start() then wait()."""
        return self.start().wait(timeout)

    def stop(self):
        """Ends SIPp now if it still runs (SIGUSR1, then SIGTERM/SIGKILL) and returns the result."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            _stop(self.proc, signal.SIGUSR1, 3)
            _stop(self.proc, signal.SIGTERM, 3)
        return self.wait(0)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------
# baresip


def read_wav_tolerant(path):
    """(mono int16 samples, rate) of a 16-bit PCM WAV that may still be being written (libsndfile fixes
    the sizes in the header on close): the data chunk runs to the end of the file when its
    declared size is 0 or too large."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path} is not a WAV file")
    pos, channels, bits, rate = 12, 1, 16, RATE
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
        elif chunk == b"data":
            available = len(data) - body
            size = size if 0 < size <= available else available
            pcm = data[body:body + size - size % (2 * channels)]
            if bits != 16:
                raise ValueError(f"{path}: {bits}-bit WAV, expected 16-bit")
            samples = np.frombuffer(pcm, dtype="<i2")
            if channels > 1:
                samples = samples.reshape(-1, channels).mean(axis=1)
            return samples.astype(np.int16), rate
        pos = body + size + (size & 1)
    return np.zeros(0, dtype=np.int16), rate


class Baresip:
    """baresip 1.0.0 as a SIP phone on 127.0.0.1, driven over ctrl_tcp.

    Its microphone is `aufile` playing a WAV tone (baresip closes the call when the file ends,
    so the tone lasts `tone_seconds`); no audio player module is loaded, and `sndfile` (an audio
    filter) dumps what it decodes to <workdir>/rec/dump-<time>-dec.wav (and what it encodes to
    -enc.wav). Only g711 is loaded, so it speaks PCMU/PCMA (+ telephone-event).

        phone = Baresip("alice", tone_hz=660).start()
        phone.dial("sip:service@127.0.0.1:5080"); phone.wait_event("CALL_ESTABLISHED")
        ...; phone.hangup(); phone.wait_event("CALL_CLOSED")
        phone.heard_frequency()   # dominant frequency of what it received
        phone.stop()

    answermode "auto" answers incoming calls at once (baresip 1.0.0 then emits no CALL_INCOMING
    event); "manual" emits CALL_INCOMING and waits for accept(). auth=(user, password) answers
    digest challenges; codecs, e.g. "pcma", restricts the account's audio codecs; extra_modules
    are `module` lines loaded before the account (srtp.so for `mediaenc`). Recordings
    are named by the second a call's audio started: one call at a time per phone. The contact
    baresip puts in its messages is sip:<user>-0x<pointer>@127.0.0.1:<port>."""

    def __init__(self, user="alice", *, tone_hz=660, tone_seconds=30.0, wav=None, port=None, ctrl_port=None,
                 answermode="auto", auth=None, codecs=None, account_params="", extra_config="", extra_modules="",
                 workdir=None,
                 sip_trace=True):
        self.binary = require_baresip()
        self.user = user
        # libre also listens for TLS on the SIP port + 1 when it has a certificate: both are free.
        self.port = port or free_port(span=2)
        self.ctrl_port = ctrl_port or free_port()
        self._chosen_ports = port is None and ctrl_port is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"baresip-{user}-"))
        self.confdir = self.workdir / "conf"
        self.recdir = self.workdir / "rec"
        self.confdir.mkdir(parents=True, exist_ok=True)
        self.recdir.mkdir(exist_ok=True)
        self.wav = Path(wav) if wav else write_wav(self.workdir / f"tone-{tone_hz}Hz.wav", tone(tone_hz, tone_seconds))
        self.tone_hz = None if wav else tone_hz
        self.sip_trace = sip_trace
        self.proc = None
        self.sock = None
        self.reader = None
        self.events = []  # every event received, in order
        self._pending = []  # events not yet taken by wait_event
        self._responses = {}
        self._cond = threading.Condition()
        self._token = 0
        self._closed = False

        params = ["regint=0", f"answermode={answermode}", "ptime=20"]
        if auth:
            params += [f"auth_user={auth[0]}", f"auth_pass={auth[1]}"]
        if codecs:
            params.append(f"audio_codecs={codecs}")
        if account_params:
            params.append(account_params.lstrip(";"))
        (self.confdir / "accounts").write_text(f"<sip:{user}@{LOOPBACK}>;" + ";".join(params) + "\n")
        (self.confdir / "contacts").write_text("")
        (self.confdir / "config").write_text(f"""\
poll_method		epoll
sip_listen		{LOOPBACK}:{self.port}
net_interface		{LOOPBACK}
dns_server		{LOOPBACK}:53
call_local_timeout	120
call_max_calls		4
audio_source		aufile,{self.wav}
audio_buffer		20-160
ausrc_srate		8000
ausrc_channels		1
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
rtcp_mux		no
jitter_buffer_delay	1-10
rtp_stats		no
module_path		{BARESIP_MODULES}
module			g711.so
module			aufile.so
module			sndfile.so
{extra_modules}snd_path		{self.recdir}
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		{LOOPBACK}:{self.ctrl_port}
ringback_disabled	yes
{extra_config}
""")

    @property
    def aor(self):
        return f"sip:{self.user}@{LOOPBACK}"

    @property
    def uri(self):
        """Where to call this phone (UDP or TCP: baresip listens on both)."""
        return f"sip:{self.user}@{LOOPBACK}:{self.port}"

    @property
    def log(self):
        return _read(self.workdir / "baresip.log")

    def start(self, timeout=10):
        args = [self.binary, "-f", str(self.confdir)] + (["-s"] if self.sip_trace else [])
        # Ports found free can be taken before baresip binds them (by another test process, or as
        # some connection's ephemeral port): with ports of its own choosing, the phone tries new ones.
        for attempt in range(3):
            with open(self.workdir / "baresip.log", "wb") as log:
                self.proc = subprocess.Popen(args, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
            if wait_for_port(self.ctrl_port, "tcp", timeout, self.proc) and wait_for_port(self.port, "udp", timeout, self.proc):
                break
            self.stop()
            if not (self._chosen_ports and "Address already in use" in self.log and attempt < 2):
                raise AssertionError(f"baresip did not start (ctrl_tcp {self.ctrl_port}, sip {self.port}):\n{self.log}")
            self._move_to(free_port(span=2), free_port())
        self.sock = socket.create_connection((LOOPBACK, self.ctrl_port), timeout=5)
        self.sock.settimeout(None)
        self.reader = threading.Thread(target=self._read, name=f"baresip-{self.user}", daemon=True)
        self.reader.start()
        return self

    def _move_to(self, port, ctrl_port):
        """Listens on other ports from the next start."""
        config = self.confdir / "config"
        config.write_text(config.read_text()
                          .replace(f"sip_listen\t\t{LOOPBACK}:{self.port}\n", f"sip_listen\t\t{LOOPBACK}:{port}\n")
                          .replace(f"ctrl_tcp_listen\t\t{LOOPBACK}:{self.ctrl_port}\n",
                                   f"ctrl_tcp_listen\t\t{LOOPBACK}:{ctrl_port}\n"))
        self.port, self.ctrl_port = port, ctrl_port

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:  # netstrings: <length>:<json>,
                    colon = buf.find(b":")
                    if colon < 0 or not buf[:colon].isdigit():
                        break
                    n = int(buf[:colon])
                    if len(buf) < colon + 1 + n + 1:
                        break
                    payload, buf = buf[colon + 1:colon + 1 + n], buf[colon + 2 + n:]
                    try:
                        msg = json.loads(payload)
                    except ValueError:
                        continue
                    with self._cond:
                        if msg.get("event"):
                            self.events.append(msg)
                            self._pending.append(msg)
                        elif msg.get("response"):
                            self._responses[msg.get("token")] = msg
                        self._cond.notify_all()
        except OSError:
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def command(self, command, params=None, timeout=5):
        """Runs a baresip command (menu's long names: dial, hangup, accept, ...); returns the
        response {"response": true, "ok": bool, "data": text}."""
        with self._cond:
            self._token += 1
            token = str(self._token)
        msg = {"command": command, "token": token}
        if params is not None:
            msg["params"] = params
        data = json.dumps(msg).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data + b",")
        deadline = time.time() + timeout
        with self._cond:
            while token not in self._responses:
                remaining = deadline - time.time()
                if remaining <= 0 or self._closed:
                    raise AssertionError(f"baresip: no response to {command} {params or ''}\n{self.log[-4000:]}")
                self._cond.wait(remaining)
            return self._responses.pop(token)

    def dial(self, uri):
        response = self.command("dial", uri)
        assert response.get("ok"), f"baresip dial {uri}: {response}\n{self.log[-4000:]}"
        return response

    def hangup(self):
        return self.command("hangup")

    def accept(self):
        return self.command("accept")

    def wait_event(self, type_, timeout=10, where=lambda e: True):
        """Takes the first not yet taken event of this type (CALL_INCOMING, CALL_RINGING,
        CALL_PROGRESS, CALL_ESTABLISHED, CALL_CLOSED, CALL_DTMF_START, CALL_DTMF_END, ...).
        Events are dicts: type, class, accountaor, direction, peeruri, id (the Call-ID), param
        (CALL_CLOSED: the reason, e.g. "Connection reset by peer" for a remote BYE;
        CALL_DTMF_START: the digit). ctrl_tcp only sends events to a connected client, so
        events before start() returned are lost."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                for i, event in enumerate(self._pending):
                    if event.get("type") == type_ and where(event):
                        return self._pending.pop(i)
                remaining = deadline - time.time()
                if remaining <= 0 or self._closed:
                    seen = [(e.get("type"), e.get("param")) for e in self.events]
                    raise AssertionError(f"baresip: no {type_} within {timeout}s; events: {seen}\n{self.log[-6000:]}")
                self._cond.wait(remaining)

    def dtmf_digits(self):
        """Digits reported by CALL_DTMF_START events so far."""
        return "".join(e.get("param", "") for e in self.events if e.get("type") == "CALL_DTMF_START")

    def recordings(self, kind="dec"):
        """sndfile's dumps, oldest first: kind "dec" is what baresip heard, "enc" what it sent."""
        return sorted(self.recdir.glob(f"dump-*-{kind}.wav"), key=lambda p: (p.stat().st_mtime, p.name))

    def recorded_audio(self, kind="dec"):
        """(samples, sample rate) of the newest recording of that kind: 8 kHz for G.711,
        48 kHz for Opus."""
        files = self.recordings(kind)
        return read_wav_tolerant(files[-1]) if files else (np.zeros(0, dtype=np.int16), RATE)

    def heard_frequency(self, skip_seconds=0.3):
        audio, rate = self.recorded_audio("dec")
        audio = audio[int(skip_seconds * rate):]
        return dominant_frequency(audio, rate) if len(audio) else None

    def stop(self, timeout=10):
        """SIGTERM (baresip hangs up and closes its recordings), then SIGKILL; returns the exit code."""
        if self.sock:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
            self.sock = None
        code = _stop(self.proc, signal.SIGTERM, timeout) if self.proc else None
        if self.reader:
            self.reader.join(2)
        return code

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()
