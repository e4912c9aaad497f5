"""Benchmarks/capacity.py refuses what it cannot run with a usage error, before it starts anything."""

import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks", "capacity.py")


def capacity(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=30)


def test_help_prints_the_usage():
    done = capacity("--help")
    assert done.returncode == 0 and "Usage" in done.stdout and "--only gateway" in done.stdout, done


@pytest.mark.parametrize("args, words", [
    (["x:100"], "unknown scenario 'x': one of a, b, c, d"),
    (["a:100,b"], "a:100,b: call counts are whole numbers above 0"),
    (["a:0"], "a:0: call counts are whole numbers above 0"),
    (["100,abc"], "the calls: call counts are whole numbers above 0"),
    (["100", "-3"], "the window is a number of seconds above 0, not '-3'"),
    (["100", "ten"], "the window is a number of seconds above 0, not 'ten'"),
    (["100", "10", "7"], "unexpected arguments: 7"),
    (["--only", "asterisk", "a:100"], "--only takes gateway or rtpengine"),
])
def test_bad_arguments_get_a_usage_error(args, words):
    done = capacity(*args)
    assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr, done
