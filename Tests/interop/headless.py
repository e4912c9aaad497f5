"""The headless agent executable as a test peer: paths, processes, and WAV analysis."""

import json
import os
import subprocess
import threading
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


def lines_of(process, timeout):
    """`process`'s stdout lines as they come; the process is killed if it still runs `timeout`
    seconds from now, so a generator that hangs fails the test instead of holding it."""
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    try:
        yield from process.stdout
    finally:
        watchdog.cancel()


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
