"""Live rates of watched domains (CPU %, memory, disk and network bytes/s) from one stats call over their handles."""

import time
import uuid as uuidlib

import libvirt

from domains.libvirt import adapter
from domains.lifecycle import states

# The figures a page can show, and the stats groups each costs libvirt. The state comes with every figure.
FIGURE_GROUPS = {
    "cpu": libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_VCPU,  # vcpu.current divides the time
    "memory": libvirt.VIR_DOMAIN_STATS_BALLOON,
    "disk": libvirt.VIR_DOMAIN_STATS_BLOCK,
    "net": libvirt.VIR_DOMAIN_STATS_INTERFACE,
}
FIGURES = tuple(FIGURE_GROUPS)
LIVE_STATS = libvirt.VIR_DOMAIN_STATS_STATE
for _groups in FIGURE_GROUPS.values():
    LIVE_STATS |= _groups


def groups_for(figures):
    """The stats groups that the figures (names of FIGURES) need: never more than they show."""
    groups = libvirt.VIR_DOMAIN_STATS_STATE
    for figure in figures:
        groups |= FIGURE_GROUPS.get(figure, 0)
    return groups


def _sum(stats, prefix, count_key, field):
    if count_key not in stats:
        return None  # the group was not asked: no counter, so no rate either
    total = 0
    for index in range(stats.get(count_key, 0)):
        total += stats.get(f"{prefix}.{index}.{field}", 0) or 0
    return total


def _counters(stats):
    return {
        "cpu_ns": stats.get("cpu.time"),
        "disk_rd": _sum(stats, "block", "block.count", "rd.bytes"),
        "disk_wr": _sum(stats, "block", "block.count", "wr.bytes"),
        "net_rx": _sum(stats, "net", "net.count", "rx.bytes"),
        "net_tx": _sum(stats, "net", "net.count", "tx.bytes"),
    }


class HostSampler:
    """Keeps the previous sample of the watched domains of one host so each call turns counters into rates."""

    def __init__(self, host):
        self.host = host
        self._previous = {}

    def sample(self, conn, handles, groups):
        """{uuid string: stats dict} for these virDomain handles: one domainListGetStats call (blocking).

        A domain undefined since its handle was taken is left out by libvirt, and so here.
        """
        records = adapter.domain_stats(conn, handles, groups)
        now = time.monotonic()
        result, current = {}, {}
        for dom, stats in records:
            key = str(uuidlib.UUID(bytes=dom.UUID()))
            state = states.state_name(stats.get("state.state", libvirt.VIR_DOMAIN_NOSTATE))
            counters = _counters(stats)
            current[key] = (now, counters)
            item = {
                "uuid": key,
                "state": state,
                "vcpus": stats.get("vcpu.current"),
                "memory_kib": stats.get("balloon.current"),
                "max_memory_kib": stats.get("balloon.maximum"),
                "cpu_percent": None,
                "disk_read_bps": None,
                "disk_write_bps": None,
                "net_rx_bps": None,
                "net_tx_bps": None,
            }
            previous = self._previous.get(key)
            if previous is not None and state in states.ACTIVE_STATES:
                self._rates(item, previous, (now, counters))
            result[key] = item
        # Only what was asked now is kept: a domain watched again later starts afresh, rates null once.
        self._previous = current
        return result

    @staticmethod
    def _rates(item, previous, current):
        elapsed = current[0] - previous[0]
        if elapsed <= 0:
            return
        before, after = previous[1], current[1]
        if before["cpu_ns"] is not None and after["cpu_ns"] is not None and after["cpu_ns"] >= before["cpu_ns"]:
            vcpus = item["vcpus"] or 1
            item["cpu_percent"] = round(100.0 * (after["cpu_ns"] - before["cpu_ns"]) / (elapsed * 1e9) / vcpus, 1)
        for name, counter in (("disk_read_bps", "disk_rd"), ("disk_write_bps", "disk_wr"),
                              ("net_rx_bps", "net_rx"), ("net_tx_bps", "net_tx")):
            if before[counter] is None or after[counter] is None:
                continue  # that figure was not watched in one of the two samples
            delta = after[counter] - before[counter]
            # A counter that went back means the domain restarted: no rate this tick.
            item[name] = round(delta / elapsed) if delta >= 0 else None
