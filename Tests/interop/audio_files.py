"""Audio for interop tests: WAV files of one tone to upload, and what a receiver heard as runs
of tones."""

import json
import struct
import urllib.request

import numpy as np


def wav_bytes(frequency, seconds, rate, bits=16, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * frequency * t)
    if bits == 16:
        data = np.repeat((tone * 32767).astype("<i2"), channels).tobytes()
    else:
        data = np.repeat((tone * 127 + 128).astype(np.uint8), channels).tobytes()
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", len(data)) + data)


def upload(gateway, name, body):
    request = urllib.request.Request(f"{gateway.base}/ccaas/voice/2/audio-files?name={name}", data=body,
                                     method="POST")
    request.add_header("Authorization", f"App {gateway.key}")
    request.add_header("Content-Type", "audio/wav")
    with urllib.request.urlopen(request, timeout=10, context=gateway.ssl_context) as response:
        return json.loads(response.read())["fileDescriptor"]


def runs(samples, rate, tones, window=0.05):
    """What was heard, as (tone, seconds) runs: each 50 ms window labelled with the strongest of
    `tones` (or "-" when quiet); runs shorter than two windows (the edges) are dropped."""
    size = int(rate * window)
    labels = []
    for start in range(0, len(samples) - size + 1, size):
        chunk = samples[start:start + size].astype(np.float64)
        if np.sqrt(np.mean(chunk ** 2)) < 300:
            labels.append("-")
            continue
        t = np.arange(size) / rate
        power = {f: abs(np.dot(chunk, np.exp(-2j * np.pi * f * t))) for f in tones}
        labels.append(max(power, key=power.get))
    out = []
    for label in labels:
        if out and out[-1][0] == label:
            out[-1][1] += window
        else:
            out.append([label, window])
    return [(label, round(seconds, 2)) for label, seconds in out if seconds > 2 * window + 1e-9]




def add_hold_music(gateway, frequency, seconds=1.0):
    """The default hold configuration (every queue, and calls without one) plays a looped tone."""
    music = upload(gateway, "hold", wav_bytes(frequency, seconds, 16000))
    return gateway.request("POST", "/ccaas/voice/2/hold-configs-per-queue", {
        "name": "interop hold", "queueIds": [], "default": True, "enabled": True,
        "onHoldMusic": {"enabled": True, "useDefault": False, "fileAudioSource": {"fileDescriptor": music}},
    })
