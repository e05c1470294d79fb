"""Three processes behind nginx beside one under the same load: event sockets, API requests and lifecycle events.

Needs libvirtd (scripts/start-libvirtd.sh), PostgreSQL and Redis
(scripts/start-services.sh) and nginx. Defines DOMAINS shut off domains on
libvirtd (vcbench-cl-NNNN) and writes two test-driver node files of DOMAINS
domains each under /var/tmp/vcbench-cl-nodes (VIRTCONSOLE_TEST_URI_DIR);
then for each cluster size: serves `manage.py cluster`, adds the three hosts,
opens SOCKETS event sockets through nginx (subscribed to the system host,
where the events happen) and for SECONDS runs at once:

- API requests at RATE per second, open loop (sent on schedule, whatever the
  answers before), from a process of 16 threads with requests.Session: a
  page of a host's domains (40 %), a domain's detail (30 %), GET jobs (10 %),
  GET hosts (10 %), the dashboard page (10 %), hosts and offsets at random;
- lifecycle events at EVENTS per second from another process: define, then
  undefine 50 ms later, of vcbench-cl-ev-… on libvirtd.

Reported: API latency (sent to answered, and from its scheduled time), event
latency (libvirt call to each socket), events lost and doubled per socket,
5xx, each process's CPU and RSS. The client shares the 2 cores with the
servers: its CPU is printed too. Every vcbench-cl- domain and the node files
go at the end, even on failure.

    .venv/bin/python benchmarks/cluster_load.py [--seconds 60] [--sizes 3,1] [--sockets 3000]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import random
import shutil
import threading
import time
import uuid
from array import array
from pathlib import Path

import requests
from cluster_fanout import (PREFIX, add_host, define, established, keep_logs, log_problems, open_sockets, own_libvirt,
                            prlimit, raise_nofile, redis_run_id, undefine_ours, wait_for_leader)
from session import Console, cpu_seconds, percentile, rss_kib

from tests.cluster_support import serve_cluster

NODES = Path("/var/tmp/vcbench-cl-nodes")
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
SHUT_OFF = 5
MIX = (("list", 40), ("detail", 30), ("jobs", 10), ("hosts", 10), ("dashboard", 10))
API_THREADS = 64  # enough in flight that the server, not this pool, holds a request back
DRAIN_SECONDS = 900
CHILD_SECONDS = 900  # beyond the load: how long the requests' and the events' processes may take to finish  # after the load: how long the sockets may take to get the last event


def node_xml(tag, count):
    """A test driver node with count shut off domains, UUIDs of their own (a detail is asked by UUID alone)."""
    domains = "".join(
        f"<domain type='test' xmlns:test='{TEST_NS}'><name>{PREFIX}{tag}-{i:04d}</name>"
        f"<uuid>{uuid.uuid5(uuid.NAMESPACE_URL, f'vcbench-cl/{tag}/{i}')}</uuid><memory>65536</memory>"
        f"<currentMemory>65536</currentMemory><vcpu>1</vcpu><os><type>hvm</type></os>"
        f"<test:runstate>{SHUT_OFF}</test:runstate></domain>" for i in range(count))
    return ("<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='2' threads='1'/></cpu>"
            f"<memory>16777216</memory>{domains}</node>")


def prepare(conn, domains, test_hosts):
    existing = {dom.name() for dom in conn.listAllDomains()}
    started = time.monotonic()
    for index in range(domains):
        if f"{PREFIX}{index:04d}" not in existing:
            define(conn, f"{PREFIX}{index:04d}")
    print(f"{domains} shut off {PREFIX}NNNN domains on libvirtd ({time.monotonic() - started:.1f} s)")
    NODES.mkdir(parents=True, exist_ok=True)
    nodes = []
    for tag in "ab"[:test_hosts]:
        path = NODES / f"node-{tag}.xml"
        path.write_text(node_xml(tag, domains))
        nodes.append((tag, path))
    return nodes


# --- the load's two processes (spawned: their own GIL, not the sockets') --------------------------------------

def make_events(rate, seconds, tag, started, done):
    """Define, then undefine, one domain after the other at rate calls a second; the calls' monotonic times."""
    conn = own_libvirt()
    total = int(rate * seconds) // 2 * 2
    calls = array("d", bytes(8 * total))
    late = 0
    done.put("ready")
    start = started.get()
    cpu = time.process_time()
    slowest = 0.0
    try:
        for k in range(total):
            wait = start + k / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            late += wait < -0.05
            name = f"{PREFIX}ev-{tag}-{k // 2:05d}"
            calls[k] = time.monotonic()
            if k % 2 == 0:
                define(conn, name)
            else:
                conn.lookupByName(name).undefine()
            slowest = max(slowest, time.monotonic() - calls[k])
            if (k + 1) % int(rate * 10) == 0:
                print(f"  [events] {k + 1} calls, {-wait:+.2f} s behind schedule, slowest call {slowest:.3f} s",
                      flush=True)
    finally:
        for dom in conn.listAllDomains():
            if dom.name().startswith(f"{PREFIX}ev-{tag}-"):
                dom.undefine()
    done.put({"calls": calls.tobytes(), "late": late, "cpu": time.process_time() - cpu})


def make_requests(base_url, cookies, catalogue, rate, seconds, started, done):
    """Send the API mix at rate a second from API_THREADS threads; (kind, due, sent, answered, status) each."""
    rng = random.Random(17)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    plan = []
    for index in range(int(rate * seconds)):
        kind = rng.choice(kinds)
        host_id, count, uuids = rng.choice(catalogue)
        path = {"list": f"/api/v1/domains?host={host_id}&limit=100&offset={rng.randrange(0, count, 100)}",
                "detail": f"/api/v1/domains/{rng.choice(uuids)}", "jobs": "/api/v1/jobs", "hosts": "/api/v1/hosts",
                "dashboard": "/"}[kind]
        plan.append((index / rate, kind, path))
    work, results = queue.Queue(), []

    def worker():
        http = requests.Session()
        http.cookies.update(cookies)
        while (item := work.get()) is not None:
            due, kind, path = item
            sent = time.monotonic()
            try:
                status = http.get(base_url + path, timeout=120).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            results.append((kind, due, sent, time.monotonic(), status))

    threads = [threading.Thread(target=worker) for _ in range(API_THREADS)]
    for thread in threads:
        thread.start()
    done.put("ready")
    start = started.get()
    cpu = time.process_time()
    for index, (offset, kind, path) in enumerate(plan):
        wait = start + offset - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        work.put((start + offset, kind, path))
        if (index + 1) % int(rate * 10) == 0:
            print(f"  [api] {index + 1} sent, {len(results)} answered, {work.qsize()} waiting for a thread", flush=True)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    done.put({"results": results, "cpu": time.process_time() - cpu})


# --- what the sockets got --------------------------------------------------------------------------------------

class Arrivals:
    """Per socket, when each event of the run first came and how many copies; as EventSocket's sink."""

    def __init__(self, sockets, tag, total):
        self.prefix = f"{PREFIX}ev-{tag}-"
        self.total = total
        self.keys = {}  # payload -> event index (2i defined, 2i+1 undefined of domain i), -1 for others
        self.when = [array("d", bytes(8 * total)) for _ in sockets]
        self.copies = [bytearray(total) for _ in sockets]
        self.other = 0
        self.samples = []  # a few of the other frames
        for slot, socket in enumerate(sockets):
            socket.slot = slot
            socket.sink = self.sink

    def sink(self, socket, when, payload):
        key = self.keys.get(payload)
        if key is None:
            key = self.keys[payload] = self._key(payload)
        if key < 0:
            self.other += 1
            if len(self.samples) < 3 and payload not in self.samples:
                self.samples.append(payload)
            return
        copies = self.copies[socket.slot]
        if not copies[key]:
            self.when[socket.slot][key] = when
        copies[key] = min(255, copies[key] + 1)

    def _key(self, payload):
        message = json.loads(payload)
        name, event = message.get("name") or "", message.get("event")
        if message.get("type") != "domain.lifecycle" or not name.startswith(self.prefix) \
                or event not in ("defined", "undefined"):
            return -1
        return 2 * int(name[len(self.prefix):]) + (event == "undefined")

    def have_last(self):
        return sum(1 for copies in self.copies if copies[self.total - 1])

    def tally(self, calls):
        """(latencies in s, their p50 per 10 s of calls, lost, doubled, sockets that lost any, with a double)."""
        latencies, lost, doubled, losing, doubling = [], 0, 0, 0, 0
        buckets = [int((calls[k] - calls[0]) // 10) for k in range(self.total)]
        by_bucket = [[] for _ in range(max(buckets) + 1)]
        for when, copies in zip(self.when, self.copies):
            missing = copies.count(0)
            extra = sum(copies) - (self.total - missing)
            lost, doubled = lost + missing, doubled + extra
            losing, doubling = losing + bool(missing), doubling + bool(extra)
            for k in range(self.total):
                if copies[k]:
                    latencies.append(when[k] - calls[k])
                    by_bucket[buckets[k]].append(latencies[-1])
        return latencies, [percentile(b, 0.5) if b else None for b in by_bucket], lost, doubled, losing, doubling


# --- one cluster under load ------------------------------------------------------------------------------------

async def run(processes, args, nodes):
    hard = raise_nofile()
    tag = f"{processes}p"
    redis_before = redis_run_id()
    with serve_cluster(processes=processes, extra_env={"VIRTCONSOLE_TEST_URI_DIR": str(NODES)}) as cluster:
        pids = [process.pid for process in cluster.processes]
        prlimit(pids, hard)
        console = Console(cluster.base_url, cluster.username, cluster.password)
        system = add_host(cluster, console, "system", "qemu:///system")
        hosts = [system] + [add_host(cluster, console, f"test-{t}", f"test://{path}") for t, path in nodes]
        leader = wait_for_leader(cluster, system)
        catalogue = []
        for host_id in hosts:  # the first listing of a host makes its domains' rows
            listed = console.api("GET", f"domains?host={host_id}&limit=1000")
            catalogue.append((host_id, listed["count"], [item["uuid"] for item in listed["results"]]))
        opened = time.monotonic()
        sockets = await open_sockets(cluster.base_url, console.http.cookies["sessionid"], system, args.sockets)
        print(f"\n{processes} process(es): hosts {[(h, c) for h, c, _u in catalogue]} (id, domains), system led by "
              f"process {leader}; {len(sockets)} sockets opened through nginx in {time.monotonic() - opened:.0f} s, "
              f"connections per process now {[established(p.port) for p in cluster.processes]}")
        await asyncio.sleep(2)
        rss_before = [rss_kib(pid) for pid in pids]
        total = int(args.events * args.seconds) // 2 * 2
        arrivals = Arrivals(sockets, tag, total)

        spawn = multiprocessing.get_context("spawn")
        channels = [(spawn.Queue(), spawn.Queue()) for _ in range(2)]
        children = [
            spawn.Process(target=make_events, args=(args.events, args.seconds, tag, *channels[0])),
            spawn.Process(target=make_requests, args=(cluster.base_url, console.http.cookies.get_dict(), catalogue,
                                                      args.rate, args.seconds, *channels[1])),
        ]
        for child in children:
            child.start()
        for _started, done in channels:
            assert await asyncio.to_thread(done.get, True, 120) == "ready"
        watched = {**{f"process {i}": pid for i, pid in enumerate(pids)}, "nginx": cluster.proxy_pid}
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        client_before = time.process_time()
        start = time.monotonic() + 0.5
        for started, _done in channels:
            started.put(start)
        events, api = [await asyncio.to_thread(done.get, True, args.seconds + CHILD_SECONDS) for _s, done in channels]
        answered = time.monotonic()
        print(f"  {answered - start:.0f} s: both processes of the load are done; {arrivals.have_last()} of "
              f"{len(sockets)} sockets have the last event")
        while arrivals.have_last() < len(sockets) and time.monotonic() - answered < DRAIN_SECONDS:
            await asyncio.sleep(0.05)
            if int(time.monotonic() - answered) % 30 == 0 and time.monotonic() - answered > 1:
                print(f"  {time.monotonic() - start:.0f} s: {arrivals.have_last()} have the last event")
                await asyncio.sleep(1)
        ended = time.monotonic()  # the window: from the first call until the last event reached every socket
        cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / (ended - start) for name, pid in watched.items()}
        client_cpu = time.process_time() - client_before + events["cpu"] + api["cpu"]
        rss_after = [rss_kib(pid) for pid in pids]
        for child in children:
            child.join()
        closed = [socket.closed for socket in sockets if socket.closed]
        logs = log_problems(cluster)
        kept = keep_logs(cluster, f"load-{processes}p")
        for socket in sockets:
            socket.close()
    calls = array("d")
    calls.frombytes(events["calls"])
    latencies, by_ten, lost, doubled, losing, doubling = arrivals.tally(calls)
    return {"processes": processes, "sockets": len(sockets), "events": total, "late_calls": events["late"],
            "latencies": latencies, "by_ten": by_ten, "lost": lost, "doubled": doubled, "losing": losing, "doubling": doubling,
            "other": arrivals.other, "answered": answered - start, "closed": closed, "api": api["results"], "cpu": cpu,
            "client_cpu": client_cpu / (ended - start), "rss_before": rss_before, "rss_after": rss_after, "logs": logs,
            "seconds": ended - start, "samples": arrivals.samples, "kept": kept,
            "redis_restarted": redis_run_id() != redis_before}


def milliseconds(values, fraction):
    return f"{percentile(values, fraction) * 1e3:.0f}" if values else "-"


def report(run):
    api = run["api"]
    took = [answered - sent for _k, _due, sent, answered, _s in api]
    waited = [answered - due for _k, due, _sent, answered, _s in api]
    statuses = {}
    for *_rest, status in api:
        statuses[status] = statuses.get(status, 0) + 1
    errors = sum(count for status, count in statuses.items() if isinstance(status, int) and status >= 500)
    failed = sum(count for status, count in statuses.items() if not isinstance(status, int))
    print(f"\n== {run['processes']} process(es), {run['sockets']} sockets: the last answer came {run['answered']:.0f} "
          f"s after the start, the last event reached every socket at {run['seconds']:.0f} s")
    print(f"  API: {len(api)} requests, p50 {milliseconds(took, 0.5)} ms, p99 {milliseconds(took, 0.99)} ms "
          f"(from its scheduled time: p50 {milliseconds(waited, 0.5)}, p99 {milliseconds(waited, 0.99)}); "
          f"statuses {statuses}; 5xx: {errors}, no answer within 120 s: {failed}")
    for kind, _weight in MIX:
        of_kind = [answered - sent for k, _due, sent, answered, _s in api if k == kind]
        print(f"    {kind:9} {len(of_kind):5}  p50 {milliseconds(of_kind, 0.5):>6} ms  p99 {milliseconds(of_kind, 0.99):>6} ms")
    print(f"  events: {run['events']} ({run['late_calls']} calls > 50 ms late), libvirt call -> socket p50 "
          f"{milliseconds(run['latencies'], 0.5)} ms, p99 {milliseconds(run['latencies'], 0.99)} ms, max "
          f"{milliseconds(run['latencies'], 1.0)} ms over {len(run['latencies'])} deliveries; p50 per 10 s of the "
          "load (ms): " + ", ".join("-" if p is None else f"{p * 1e3:.0f}" for p in run["by_ten"]))
    print(f"  lost {run['lost']} (on {run['losing']} sockets), doubled {run['doubled']} (on {run['doubling']} "
          f"sockets), other frames {run['other']}, sockets closed {len(run['closed'])} "
          f"{sorted(set(run['closed']))[:3]}")
    print(f"  CPU (cores) over those {run['seconds']:.0f} s: " + ", ".join(f"{name} {value:.2f}" for name, value in run["cpu"].items())
          + f", this benchmark's client (3 processes) {run['client_cpu']:.2f} of the 2 cores")
    print("  RSS per process before -> after the load (MiB): " + ", ".join(
        f"{b / 1024:.0f} -> {a / 1024:.0f}" for b, a in zip(run["rss_before"], run["rss_after"])))
    if run["samples"]:
        print(f"  other frames, first ones: {run['samples']}")
    for index, (count, last) in enumerate(run["logs"]):
        if count:
            print(f"  process {index} log: {count} ERROR/WARNING/500 lines; last: {last}")
    print(f"  logs kept in {run['kept']}")
    if run["redis_restarted"]:
        print("  REDIS RESTARTED during this run (someone else's doing): its bus lost messages; run it again")


async def main(args):
    conn = own_libvirt()
    runs = []
    try:
        undefine_ours(conn)
        nodes = prepare(conn, args.domains, args.test_hosts)
        for processes in args.sizes:
            runs.append(await run(processes, args, nodes))
            report(runs[-1])
    finally:
        print(f"undefined {undefine_ours(conn)} {PREFIX}* domains")
        conn.close()
        shutil.rmtree(NODES, ignore_errors=True)
    print(f"\nThe client shares the 2 cores with the servers, libvirtd, Redis, PostgreSQL and nginx; load average "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sizes", default="3,1", help="processes of each cluster, in order")
    parser.add_argument("--sockets", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=50, help="API requests a second")
    parser.add_argument("--events", type=float, default=20, help="lifecycle events a second")
    parser.add_argument("--domains", type=int, default=1000, help="domains of each host")
    parser.add_argument("--test-hosts", type=int, default=2, choices=(0, 1, 2))
    arguments = parser.parse_args()
    arguments.sizes = [int(n) for n in arguments.sizes.split(",")]
    asyncio.run(main(arguments))
