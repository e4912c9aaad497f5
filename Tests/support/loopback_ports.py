"""Ports on 127.0.0.1 for peers that the tests start on a port of their choosing (SIPp, baresip,
the gateway's SIP port, a browser's debugging port).

A port found free is only free until someone binds it. Two things did, between a test choosing
a port and its peer binding it (SIPp then exits 254, "fatal error binding a socket"):
- the kernel, handing the port out as an ephemeral port (a TCP connection's source port, a
  socket bound to port 0 such as an ICE candidate's), here or in another test process;
- a gateway, whose media range (40000-49999 by default) sits inside Linux's ephemeral range.
So ports come from below the ephemeral range and outside every media range the tests use, and
each is reserved across processes (pytest-xdist workers, the Firefox run beside the browser
tests) by an advisory lock on a file named after it, held until the process exits."""

import fcntl
import functools
import os
import random
import socket
import tempfile
import threading

LOOPBACK = "127.0.0.1"
LOCK_DIRECTORY = os.path.join(tempfile.gettempdir(), "callgateway-test-ports")
LOWEST = 20000
# Media ranges the gateway takes under test: its default, and ranges tests configure.
MEDIA_RANGES = [(40000, 49999)]

_held = {}  # port -> file descriptor holding its lock
_lock = threading.Lock()


def ephemeral_range():
    """Linux's range for ephemeral ports (net.ipv4.ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


@functools.lru_cache(maxsize=1)
def candidate_ports():
    """Ports that neither the kernel hands out on its own nor a gateway's media range covers."""
    low, high = ephemeral_range()
    ports = [p for p in range(LOWEST, 65536) if not low <= p <= high]
    return frozenset(p for p in ports if not any(a <= p <= b for a, b in MEDIA_RANGES))


@functools.lru_cache(maxsize=1)
def _even_bases():
    return sorted(p for p in candidate_ports() if p % 2 == 0)


def _bindable(port, kinds):
    socks = []
    try:
        for kind in kinds:
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def _take_lock(port):
    """Locks `port` for this process, or returns False when another process holds it."""
    fd = os.open(os.path.join(LOCK_DIRECTORY, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _held[port] = fd
    return True


def _release_lock(port):
    os.close(_held.pop(port))


def free_port(span=1, step=1, tcp=True):
    """An even port P such that P, P+step, ... (span ports) are free on 127.0.0.1 for UDP (and
    TCP), reserved for this process until it exits: never handed out twice, here or to another
    process using this module. For SIPp's -mp use span=3, tcp=False: it binds the media port
    and media port + 2, and a peer sends RTCP to media port + 1."""
    kinds = [socket.SOCK_DGRAM] + ([socket.SOCK_STREAM] if tcp else [])
    candidates = candidate_ports()
    bases = _even_bases()
    os.makedirs(LOCK_DIRECTORY, exist_ok=True)
    with _lock:
        for _ in range(500):
            base = random.choice(bases)
            wanted = [base + i * step for i in range(span)]
            if any(p not in candidates or p in _held for p in wanted):
                continue
            taken = []
            for port in wanted:
                if not _take_lock(port):
                    break
                taken.append(port)
            if len(taken) == len(wanted) and all(_bindable(p, kinds) for p in wanted):
                return base
            for port in taken:
                _release_lock(port)
    raise RuntimeError(f"no free port found on {LOOPBACK}")
