"""Live migration of the demo guest through the console's API against `virsh migrate` with the same flags.

Same guest, same pair of libvirtds (scripts/start-second-libvirtd.sh), same run, interleaved: each round moves
the guest first->second and back with the console (POST /domains/{uuid}/migrate, then waiting for its job's end
pushed on the events socket, as the domain page's events socket gets it: what a user waits for, pre-checks and the
row's move included), then the same with `virsh migrate --live --persistent --undefinesource --unsafe <dest>
tcp://<address>`. Prints the medians of wall time and of libvirt's own downtime (the destination's completed job
statistics) and the ratio console / virsh (goal: time <= 1.05).

--poll SECONDS asks GET /jobs/{id} at that interval instead of listening (as the Migrate card did until it took
the job's messages from the page's events socket). On
2 cores, polling every 0.05 s cost the server about 0.4 CPU-s per migration, taken from the QEMUs and libvirtds
doing the migration: libvirt's call itself then took 0.3-0.7 s longer.

    .venv/bin/python benchmarks/migration.py [--rounds 5] [--poll 0.5]
"""

import argparse
import asyncio
import json
import os
import threading
import re
import statistics
import subprocess
import time
from datetime import datetime
import uuid as uuidlib
from pathlib import Path

import libvirt
from session import REPO, Console, serve_console
from ws_client import OP_TEXT, connect

from domains.hosts.embedded import demo_domain_xml

FIRST = ("qemu+tcp://10.250.0.1/system", "10.250.0.1")
SECOND = ("qemu+tcp://10.250.0.2/system", "10.250.0.2")
NAME = "vcbench-migrate"
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


class JobEnds:
    """The events socket, read on a thread of its own: the moment each job's end is pushed (job id -> time.time())."""

    def __init__(self, console):
        self.ended = {}
        self.changed = threading.Condition()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(console, ready), daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("the events socket did not open within 30 s")

    def _run(self, console, ready):
        async def listen():
            ws = await connect(console.ws_url("/ws/v1/events"), ["virtconsole.v1"], console.ws_headers)
            ready.set()
            while True:
                opcode, payload = await ws.recv()
                message = json.loads(payload) if opcode == OP_TEXT else {}
                job = message.get("job") if message.get("type") == "job" else None
                if job and job["state"] not in ("queued", "running"):
                    with self.changed:
                        self.ended.setdefault(job["id"], time.time())
                        self.changed.notify_all()

        self.loop.run_until_complete(listen())

    def wait(self, job_id, timeout=300):
        with self.changed:
            if not self.changed.wait_for(lambda: job_id in self.ended, timeout):
                raise TimeoutError(f"job {job_id} did not end within {timeout} s")
            return self.ended[job_id]


def by_console(console, uuid, host_id, phases, ends, poll):
    """Time of one move through the API; phases gets where it went: the POST (permissions, pre-checks, the job's
    start), the job's own span beyond libvirt's time (threads, volume making, the row's move, statistics), and the
    wait between the job's end and the client seeing it (the push, or the client's polling)."""
    started = time.perf_counter()
    wall_start = time.time()
    job = console.api("POST", f"domains/{uuid}/migrate", json={"destination": host_id, "unsafe": True,
                                                                 "undefine_source": True})
    posted = time.time()
    if poll:
        while job["state"] in ("queued", "running"):
            time.sleep(poll)
            job = console.api("GET", f"jobs/{job['id']}")
        seen = time.time()
        took = time.perf_counter() - started
    else:
        seen = ends.wait(job["id"])
        took = time.perf_counter() - started - (time.time() - seen)
        job = console.api("GET", f"jobs/{job['id']}")
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


def main(rounds, poll):
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
            ends = None if poll else JobEnds(console)
            for _ in range(rounds):
                for source, destination in ((FIRST, SECOND), (SECOND, FIRST)):
                    # The job read libvirt's completed statistics already: its result carries the downtime.
                    took, down = by_console(console, uuid, host_ids[destination], phases, ends, poll)
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
    print(f"{len(times['console'])} migrations each (one way), the console's end "
          f"{'polled every %s s' % poll if poll else 'pushed on the events socket'}; median:")
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
    parser.add_argument("--poll", type=float, default=0.0, help="poll the job at this interval (s) instead")
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.poll)
