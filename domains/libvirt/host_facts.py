"""What a host is made of and how busy it is, for the overview: CPU, memory, pool and network counts."""

from dataclasses import dataclass

import libvirt
from lxml import etree

from domains.libvirt.adapter import VirtError, translated_errors


@dataclass
class HostFacts:
    arch: str = ""
    cpu_model: str = ""
    cpus: int | None = None
    memory_bytes: int | None = None
    free_memory_bytes: int | None = None
    cpu_percent: float | None = None  # None until a second look gives a difference to measure
    pools: int | None = None  # None: the host has no storage driver (the embedded one) or did not say
    networks: int | None = None

    @property
    def used_memory_percent(self):
        if not self.memory_bytes or self.free_memory_bytes is None:
            return None
        return round(100 * (self.memory_bytes - self.free_memory_bytes) / self.memory_bytes)


# What does not change while a connection is open (getInfo, the CPU model in the capabilities), per virConnect:
# the overview asks for it on every view, and the capabilities XML is not small.
_static = {}
# host id -> (busy ns, total ns) of the last CPU look, to turn libvirt's counters into a use.
_cpu_samples = {}


def _static_facts(conn):
    known = _static.get(id(conn))
    if known is not None and known[0] is conn:
        return known[1]
    with translated_errors():
        arch, memory_mib, cpus = conn.getInfo()[:3]
        capabilities = conn.getCapabilities()
    model = etree.fromstring(capabilities.encode()).findtext("host/cpu/model") or ""
    facts = (arch, model, cpus, memory_mib * 1024 * 1024)
    if len(_static) > 64:  # connections come and go with hosts: keep only the recent ones
        _static.clear()
    _static[id(conn)] = (conn, facts)
    return facts


def _cpu_percent(host_id, conn):
    """The host's CPU use since the previous look (any page's), from libvirt's node counters; None the first time."""
    try:
        with translated_errors():
            counters = conn.getCPUStats(libvirt.VIR_NODE_CPU_STATS_ALL_CPUS, 0)
    except VirtError:
        return None  # a driver without node counters (the test driver)
    idle = counters.get("idle", 0) + counters.get("iowait", 0)
    busy = sum(value for key, value in counters.items() if key not in ("idle", "iowait"))
    previous = _cpu_samples.get(host_id)
    _cpu_samples[host_id] = (busy, busy + idle)
    if previous is None or busy + idle <= previous[1]:
        return None
    return round(100 * (busy - previous[0]) / (busy + idle - previous[1]), 1)


def _count(*calls):
    """The sum of calls' answers, or None when the driver has no such objects (the embedded host: no storage)."""
    try:
        with translated_errors():
            return sum(call() for call in calls)
    except VirtError:
        return None


def host_facts(host, conn):
    """HostFacts of host on its open connection conn: a fixed handful of calls, whatever the host holds."""
    arch, model, cpus, memory_bytes = _static_facts(conn)
    try:
        with translated_errors():
            free = conn.getFreeMemory()
    except VirtError:
        free = None
    return HostFacts(
        arch=arch, cpu_model=model, cpus=cpus, memory_bytes=memory_bytes, free_memory_bytes=free,
        cpu_percent=_cpu_percent(host.pk, conn),
        pools=_count(conn.numOfStoragePools, conn.numOfDefinedStoragePools),
        networks=_count(conn.numOfNetworks, conn.numOfDefinedNetworks),
    )


__all__ = ["HostFacts", "host_facts"]
