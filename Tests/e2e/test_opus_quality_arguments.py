"""Benchmarks/opus_quality.py refuses what it cannot run with a usage error, before it encodes anything."""

import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks", "opus_quality.py")


def opus_quality(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=30)


def test_help_prints_the_usage():
    done = opus_quality("--help")
    assert done.returncode == 0 and "usage: opus_quality.py [--celt | --conference] [--bitrate 6000-510000] [complexity ...]" in done.stderr, done


@pytest.mark.parametrize("args, words", [
    (["11"], "a complexity is 0 to 10"),
    (["-1"], "a complexity is 0 to 10"),
    (["5", "five"], "not a complexity: 5 five"),
    (["--conference", "12"], "a complexity is 0 to 10"),
    (["--celt", "--conference"], "--celt and --conference do not go together"),
    (["--bitrate", "100"], "--bitrate takes bits per second from 6000 to 510000, not '100'"),
    (["--bitrate"], "--bitrate takes bits per second from 6000 to 510000, not ''"),
    (["--bitrate", "fast", "5"], "--bitrate takes bits per second from 6000 to 510000, not 'fast'"),
])
def test_bad_arguments_get_a_usage_error(args, words):
    done = opus_quality(*args)
    assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr, done
