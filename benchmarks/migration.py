"""Live migration of the demo guest through the console's API against `virsh migrate` with the same flags.

Same guest, same pair of libvirtds (scripts/start-second-libvirtd.sh), same run, interleaved: each round moves
the guest first->second and back with the console (POST /domains/{uuid}/migrate, then polling its job until it
ends: what a user waits for, pre-checks and the row's move included), then the same with `virsh migrate --live
--persistent --undefinesource --unsafe <dest> tcp://<address>`. Prints the medians of wall time and of libvirt's
own downtime (the destination's completed job statistics) and the ratio console / virsh (goal: time <= 1.05).

    .venv/bin/python benchmarks/migration.py [--rounds 5]
"""

import argparse
import os
import re
import statistics
import subprocess
import time
from datetime import datetime
import uuid as uuidlib
from pathlib import Path

import libvirt
from session import REPO, Console, serve_console

from domains.hosts.embedded import demo_domain_xml

FIRST = ("qemu+tcp://10.250.0.1/system", "10.250.0.1")
SECOND = ("qemu+tcp://10.250.0.2/system", "10.250.0.2")
NAME = "vcbench-migrate"
# How often the client asks for the job (what a page polling it would do; the events socket pushes it).
POLL = 0.05
DISK_DIR = Path("/var/lib/virtconsole-shared") / NAME


def guest(conn):
    DISK_DIR.mkdir(parents=True, exist_ok=True)
    disk = DISK_DIR / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    xml = demo_domain_xml(REPO / "var" / "guest", NAME)
    xml = re.sub(r"<interface type='user'>.*?</interface>", "", xml, flags=re.S)
    xml = xml.replace("<devices>", f"<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                   f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>", 1)
    dom = conn.defineXML(xml)
    dom.create()
    return uuidlib.UUID(bytes=dom.UUID())


def downtime(conn):
    """libvirt's downtime of the last migration into conn's host (reading them discards them)."""
    stats = conn.lookupByName(NAME).jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    return stats.get("downtime"), stats.get("time_elapsed")


def _epoch(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def by_console(console, uuid, host_id, phases):
    """Time of one move through the API; phases gets where it went: the POST (permissions, pre-checks, the job's
    start), the job's own span beyond libvirt's time (threads, volume making, the row's move, statistics), and the
    wait between the job's end and the client seeing it (the client's polling)."""
    started = time.perf_counter()
    wall_start = time.time()
    job = console.api("POST", f"domains/{uuid}/migrate", json={"destination": host_id, "unsafe": True,
                                                                 "undefine_source": True})
    posted = time.time()
    while job["state"] in ("queued", "running"):
        time.sleep(POLL)
        job = console.api("GET", f"jobs/{job['id']}")
    seen = time.time()
    took = time.perf_counter() - started
    if job["state"] != "succeeded":
        raise RuntimeError(f"the console's migration {job['state']}: {job['error']}")
    stats = job["result"]["statistics"]
    ended = _epoch(job["ended"])
    phases["post"].append(posted - wall_start)
    phases["job beyond libvirt"].append(ended - _epoch(job["started"]) - stats.get("time_elapsed", 0) / 1000)
    phases["client sees the end"].append(seen - ended)
    return took, (stats.get("downtime"), stats.get("time_elapsed"))


def by_virsh(source, destination):
    started = time.perf_counter()
    subprocess.run(["virsh", "-q", "-c", source[0], "migrate", "--live", "--persistent", "--undefinesource",
                    "--unsafe", NAME, destination[0], f"tcp://{destination[1]}"], check=True, capture_output=True)
    return time.perf_counter() - started


def main(rounds):
    subprocess.run(["bash", str(REPO / "scripts/start-second-libvirtd.sh"), "start"], check=True)
    conns = {FIRST: libvirt.open(FIRST[0]), SECOND: libvirt.open(SECOND[0])}
    uuid = guest(conns[FIRST])
    load_before = f"{os.getloadavg()[0]:.2f}"
    times = {"console": [], "virsh": []}
    downtimes = {"console": [], "virsh": []}
    phases = {"post": [], "job beyond libvirt": [], "client sees the end": []}
    try:
        with serve_console("/var/tmp/vcbench-migrate", REPO / "var" / "guest") as (base_url, username, password, _):
            console = Console(base_url, username, password)
            host_ids = {end: console.api("POST", "hosts", json={"name": name, "uri": end[0]})["id"]
                        for end, name in ((FIRST, "first"), (SECOND, "second"))}
            console.domain(NAME)  # the console lists the new host's domains once
            for _ in range(rounds):
                for source, destination in ((FIRST, SECOND), (SECOND, FIRST)):
                    # The job read libvirt's completed statistics already: its result carries the downtime.
                    took, down = by_console(console, uuid, host_ids[destination], phases)
                    times["console"].append(took)
                    downtimes["console"].append(down)
                for source, destination in ((FIRST, SECOND), (SECOND, FIRST)):
                    times["virsh"].append(by_virsh(source, destination))
                    downtimes["virsh"].append(downtime(conns[destination]))
    finally:
        for conn in conns.values():
            try:
                dom = conn.lookupByName(NAME)
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError:
                pass
        subprocess.run(["rm", "-rf", str(DISK_DIR)], check=False)
    print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f}")
    print(f"{len(times['console'])} migrations each (one way), median:")
    for who in ("console", "virsh"):
        print(f"  {who:8} time {statistics.median(times[who]):.3f} s   downtime "
              f"{statistics.median(d for d, _ in downtimes[who]):.0f} ms   libvirt's own time "
              f"{statistics.median(e for _, e in downtimes[who]):.0f} ms")
    print("  the console's time beyond libvirt's own, median: " + ", ".join(
        f"{name} {statistics.median(values) * 1000:.0f} ms" for name, values in phases.items()))
    down = {who: statistics.median(d for d, _ in downtimes[who]) for who in downtimes}
    print(f"  ratio console / virsh: time {statistics.median(times['console']) / statistics.median(times['virsh']):.3f}"
          f"   downtime {down['console'] / max(1, down['virsh']):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    main(parser.parse_args().rounds)
