"""The tests' port reservation (Tests/support/loopback_ports.py): ports handed to peers lie
outside the kernel's ephemeral range and the gateway's media range, and two processes never
get the same one."""

import os
import subprocess
import sys

import loopback_ports
from loopback_ports import candidate_ports, ephemeral_range, free_port

SUPPORT = os.path.dirname(loopback_ports.__file__)


def test_ports_avoid_the_ephemeral_and_media_ranges_and_are_not_handed_out_twice():
    low, high = ephemeral_range()
    ports = [free_port(span=3, tcp=False) for _ in range(50)] + [free_port() for _ in range(50)]
    assert all(port % 2 == 0 for port in ports)
    taken = [p + i for p in ports[:50] for i in range(3)] + ports[50:]
    for port in taken:
        assert not low <= port <= high and not 40000 <= port <= 49999, port
    assert len(taken) == len(set(taken)), "a port was handed out twice"
    assert set(candidate_ports()).isdisjoint(range(low, high + 1))


def test_two_processes_never_get_the_same_port():
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from loopback_ports import free_port\n"
              "print(' '.join(str(free_port(span=2, tcp=False)) for _ in range(300)), flush=True)\n"
              "sys.stdin.read()\n")  # holds its reservations until told to go
    procs = [subprocess.Popen([sys.executable, "-c", script, SUPPORT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    try:
        lists = [set(int(p) for p in proc.stdout.readline().split()) for proc in procs]
    finally:
        for proc in procs:
            proc.communicate("")
    assert all(len(ports) == 300 for ports in lists)
    assert lists[0].isdisjoint(lists[1]), sorted(lists[0] & lists[1])
