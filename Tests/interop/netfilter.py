"""Packet loss injected with nftables on loopback: a table of the test's own, dropping a share of
the UDP datagrams a given source port sends, removed when the test ends. Needs root and `nft`
(skipped outside CI when missing, a failure in CI)."""

import contextlib
import os
import shutil
import subprocess

from sip_peers import _unavailable


def require_nft():
    if not shutil.which("nft"):
        _unavailable("nft (nftables) is not installed")
    if os.geteuid() != 0:
        _unavailable("injecting loss with nftables needs root")


@contextlib.contextmanager
def drop_udp_from(port, percent):
    """Drops about `percent` % of the UDP datagrams sent from `port` (random, per packet)."""
    require_nft()
    table = f"callgw_loss_{port}"
    rules = (f"table inet {table} {{\n chain input {{\n type filter hook input priority -10;\n"
             f" udp sport {port} numgen random mod 100 < {percent} counter drop\n }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)
    try:
        yield lambda: dropped(table)
    finally:
        subprocess.run(["nft", "delete", "table", "inet", table], check=False)


def dropped(table):
    """Packets the table dropped so far."""
    out = subprocess.run(["nft", "list", "table", "inet", table], capture_output=True, text=True).stdout
    for part in out.split("counter packets ")[1:]:
        return int(part.split()[0])
    return 0
