"""datagram-read-benchmark refuses arguments it cannot run with a usage error, before it binds anything."""

import os
import subprocess

import pytest

BIN = os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "datagram-read-benchmark")


@pytest.mark.parametrize("args", [["0"], ["ten"], ["10", "-400"], ["10", "400", "3", "7"]])
def test_bad_arguments_get_a_usage_error(args):
    done = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "usage: datagram-read-benchmark [seconds] [sockets] [rounds]" in done.stderr, done
