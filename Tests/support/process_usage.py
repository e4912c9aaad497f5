"""What a process has used so far, from /proc: for benchmarks that measure the gateway from outside."""

import os

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid):
    """Its resident set size now."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE
