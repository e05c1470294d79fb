"""Ports for servers the tests start in other processes: below the kernel's ephemeral range.

A port found free by binding port 0 is in that range, and between the probe and the server's own bind any
outgoing connection of the machine may be given it as its local port (ci23: `manage.py cluster` found the
second of its four ports taken). Ports below the range are never handed out that way, so only another server
asking for that very port could take one.
"""

import random
import socket
from pathlib import Path

LOWEST = 10000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _bindable(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count=1):
    """The first of count consecutive ports on 127.0.0.1 that nothing listens on, below the ephemeral range."""
    ephemeral_start = int(EPHEMERAL_RANGE.read_text().split()[0])
    for _ in range(200):
        first = random.randrange(LOWEST, ephemeral_start - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"found no {count} consecutive free ports between {LOWEST} and {ephemeral_start}")
