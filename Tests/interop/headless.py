"""The headless agent executable as a test peer: paths, processes, and WAV analysis."""

import json
import os
import subprocess
import wave

import numpy as np

HEADLESS = os.environ.get("HEADLESS_AGENT_BIN", ".build/debug/headless-agent")


def run(args, timeout=60, input=None):
    """Runs headless-agent to the end: (exit code, stdout lines, stderr)."""
    done = subprocess.run([HEADLESS] + args, capture_output=True, text=True, timeout=timeout, input=input)
    return done.returncode, [line for line in done.stdout.splitlines() if line.strip()], done.stderr


def start(args):
    """Starts headless-agent with pipes for stdin and stdout."""
    return subprocess.Popen([HEADLESS] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)


def figures(lines):
    """The JSON objects among output lines."""
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def dominant_frequency(path, skip_seconds=0.5):
    """The strongest frequency in a recorded WAV file, past its first `skip_seconds`."""
    with wave.open(path) as f:
        rate = f.getframerate()
        data = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16).astype(np.float64)
    data = data[int(rate * skip_seconds):]
    assert len(data) > rate // 2, f"{path}: only {len(data)} samples"
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    spectrum[:5] = 0
    return float(np.argmax(spectrum) * rate / len(data))
