"""One lifecycle event fanned out to 1,000 idle event sockets per process: three processes of a cluster beside one.

Needs libvirtd (scripts/start-libvirtd.sh), PostgreSQL and Redis
(scripts/start-services.sh) and nginx. For each size, starts
`manage.py cluster` (tests/cluster_support.serve_cluster), adds the system
libvirtd as a host, opens N idle sockets on each process's own port (signed
in, subscribed to the host), then defines and undefines a domain
(vcbench-cl-fan-N) on libvirtd ROUNDS times. For each event: the time from
the libvirt call to the first socket, p50, the last, and first-to-last; every
socket must get each event exactly once. Memory per idle socket is each
process's RSS delta over its N sockets. The domains are undefined at the end,
even on failure.

The sockets are asyncio protocols (EventSocket), not benchmarks/ws_client.py's
streams: an arrival is timed in the callback that reads it, and a socket
answers Daphne's pings while nobody reads it. cluster_load.py uses them too.

    .venv/bin/python benchmarks/cluster_fanout.py [--sockets 1000] [--rounds 5] [--sizes 3,1]
"""

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import libvirt
import redis
from session import Console, cpu_seconds, percentile, rss_kib

from tests.cluster_support import serve_cluster

PREFIX = "vcbench-cl-"
SYSTEM_URI = "qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
SUBPROTOCOL = "virtconsole.v1"
LOGS = Path("/var/tmp/vcbench-cl-logs")
BATCH = 50
WARM_UP = 20  # sockets per process opened before the RSS baseline: imports and caches, not sockets
XML = ("<domain type='qemu'><name>{name}</name><memory>65536</memory>"
       "<os><type arch='x86_64'>hvm</type></os></domain>")


# --- shared with cluster_load.py -------------------------------------------------------------------------------

def raise_nofile():
    """This process's RLIMIT_NOFILE to its hard limit; returns it (for prlimit on the servers)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def prlimit(pids, limit):
    for pid in pids:
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:{limit}"], check=True)


def own_libvirt():
    return libvirt.open(SYSTEM_URI)


def define(conn, name):
    return conn.defineXML(XML.format(name=name))


def undefine_ours(conn):
    """Undefine every domain named PREFIX… (ours, whatever run left it)."""
    gone = 0
    for dom in conn.listAllDomains():
        if dom.name().startswith(PREFIX):
            if dom.isActive():
                dom.destroy()
            dom.undefine()
            gone += 1
    return gone


def add_host(cluster, console, name, uri):
    """Add a host through nginx, have every process list it (each connects, one leads), return its id."""
    host_id = console.api("POST", "hosts", json={"name": name, "uri": uri})["id"]
    for process in cluster.processes:
        answer = console.http.get(f"http://127.0.0.1:{process.port}/api/v1/domains",
                                  params={"host": host_id, "limit": 1})
        answer.raise_for_status()
    return host_id


def wait_for_leader(cluster, host_id, timeout=30):
    """The index of the process whose log says it leads host_id (the relay of its events)."""
    pattern = re.compile(rf"this process (now|no longer) does host:{host_id}\b")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for index, process in enumerate(cluster.processes):
            states = pattern.findall(Path(process.log).read_text(errors="replace"))
            if states and states[-1] == "now":
                return index
        time.sleep(0.1)
    raise RuntimeError(f"no process leads host {host_id} after {timeout} s")


def log_problems(cluster):
    """Per process: (lines with ERROR/Traceback/' 500 ', the last of them) in its log."""
    found = []
    for process in cluster.processes:
        lines = [line for line in Path(process.log).read_text(errors="replace").splitlines()
                 if "Traceback" in line or "ERROR" in line or " 500 " in line or "WARNING" in line]
        found.append((len(lines), lines[-3:]))
    return found


def redis_run_id():
    """The run id of the Redis the clusters use: a new one means it restarted (and the bus lost messages)."""
    started = subprocess.run(["sh", "scripts/start-services.sh"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent.parent).stdout
    url = dict(line.split("=", 1) for line in started.splitlines() if "=" in line)["CHANNEL_LAYER_URL"]
    return redis.Redis.from_url(url).info("server")["run_id"]


def keep_logs(cluster, tag):
    """Copy the processes' logs and nginx's error log out of the cluster's directory, which goes at its end."""
    LOGS.mkdir(parents=True, exist_ok=True)
    tag = f"{time.strftime('%Y%m%d-%H%M%S')}-{tag}"  # a later run keeps this one's
    for index, process in enumerate(cluster.processes):
        shutil.copy(process.log, LOGS / f"{tag}-process-{index}.log")
    shutil.copy(cluster.var / "cluster" / "nginx-error.log", LOGS / f"{tag}-nginx-error.log")
    return LOGS


def established(port):
    """TCP connections established to 127.0.0.1:port now (how nginx split the sockets)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


class EventSocket(asyncio.Protocol):
    """An events socket: handshake, hello, subscribe; then each text frame goes to sink(socket, when, payload).

    `when` is time.monotonic() at the data_received that carried the frame (the system-wide clock every
    process of a benchmark shares). The default sink keeps (when, payload) in frames.
    """

    def __init__(self, request, subscribe):
        self.request = request
        self.subscribe = subscribe
        self.transport = None
        self.buffer = b""
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.frames = []
        self.sink = None
        self.closed = None  # why it ended, if it did

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        when = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            status = buffer[:buffer.find(b"\r\n")]
            if b" 101 " not in status:
                self._fail(f"handshake refused: {status.decode(errors='replace')}")
                return
            self.upgraded = True
            buffer = buffer[end + 4:]
        position, size = 0, len(buffer)
        while size - position >= 2:
            length, head = buffer[position + 1] & 0x7F, 2
            if length == 126:
                if size - position < 4:
                    break
                length, head = struct.unpack_from(">H", buffer, position + 2)[0], 4
            elif length == 127:
                if size - position < 10:
                    break
                length, head = struct.unpack_from(">Q", buffer, position + 2)[0], 10
            if size - position < head + length:
                break
            opcode = buffer[position] & 0x0F
            payload = buffer[position + head:position + head + length]
            position += head + length
            self._frame(opcode, payload, when)
        self.buffer = buffer[position:]

    def _frame(self, opcode, payload, when):
        if opcode == 0x1:
            if self.sink is not None and self.ready.done():
                self.sink(self, when, payload)
            elif self.ready.done():
                self.frames.append((when, payload))
            else:
                kind = json.loads(payload).get("type")
                if kind == "hello":
                    self.send(0x1, self.subscribe)
                elif kind == "host.health":  # the last answer to the subscription
                    self.ready.set_result(self)
                elif kind == "error":
                    self._fail(payload.decode())
        elif opcode == 0x9:
            self.send(0xA, payload)  # Daphne closes a socket that leaves its pings unanswered
        elif opcode == 0x8:
            self._fail(f"closed by the server ({struct.unpack('>H', payload[:2])[0] if len(payload) >= 2 else ''})")

    def send(self, opcode, payload):
        mask = os.urandom(4)
        length = len(payload)
        head = (struct.pack(">BB", 0x80 | opcode, 0x80 | length) if length < 126
                else struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, length))
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.transport.write(head + mask + masked)

    def _fail(self, why):
        if self.closed is None:
            self.closed = why
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(why))
        self.transport.close()

    def connection_lost(self, exc):
        if self.closed is None:
            self.closed = f"connection lost ({exc})"
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(self.closed))

    def close(self):
        self.closed = self.closed or "closed by the benchmark"
        self.transport.close()


async def open_socket(url, origin, cookie, host_id):
    parts = urlsplit(url)
    key = "dmNiZW5jaC1jbHVzdGVyIQ=="
    request = (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\nCookie: sessionid={cookie}\r\nOrigin: {origin}\r\n\r\n")
    subscribe = json.dumps({"type": "subscribe", "hosts": [host_id]}).encode()
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(lambda: EventSocket(request.encode(), subscribe),
                                                        parts.hostname, parts.port)
    return await asyncio.wait_for(protocol.ready, 60)


async def open_sockets(base_url, cookie, host_id, count):
    """count sockets to base_url (a process's own port, or nginx's), BATCH at a time."""
    url = base_url.replace("http://", "ws://") + "/ws/v1/events"
    sockets = []
    for start in range(0, count, BATCH):
        sockets += await asyncio.gather(*(open_socket(url, base_url, cookie, host_id)
                                          for _ in range(min(BATCH, count - start))))
    return sockets


# --- the fan-out ------------------------------------------------------------------------------------------------

async def one_event(sockets, call, name, event, timeout=60):
    """Call call() (a libvirt call, in a thread) and wait until each socket got its event.

    Returns ({socket: seconds from the call to its first copy}, counts of problems, the call's own seconds).
    """
    for socket in sockets:
        socket.frames.clear()
    started = time.monotonic()
    await asyncio.to_thread(call)
    call_seconds = time.monotonic() - started
    deadline = started + timeout
    while any(not socket.frames for socket in sockets) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)  # a doubled copy would come now
    delays, problems = {}, {"lost": 0, "duplicate": 0, "other": 0, "closed": 0}
    for socket in sockets:
        ours = []
        for when, payload in socket.frames:
            message = json.loads(payload)
            if message.get("type") == "domain.lifecycle" and (message["name"], message["event"]) == (name, event):
                ours.append(when)
            else:
                problems["other"] += 1
        problems["lost"] += not ours
        problems["duplicate"] += max(0, len(ours) - 1)
        problems["closed"] += socket.closed is not None
        if ours:
            delays[socket] = ours[0] - started
    return delays, problems, call_seconds


def summary(delays):
    first, last = min(delays), max(delays)
    return {"first": first, "p50": percentile(delays, 0.5), "last": last, "spread": last - first}


async def measure(processes, per_process, rounds, conn):
    hard = raise_nofile()
    redis_before = redis_run_id()
    with serve_cluster(processes=processes) as cluster:
        pids = [process.pid for process in cluster.processes]
        prlimit(pids, hard)
        console = Console(cluster.base_url, cluster.username, cluster.password)
        host_id = add_host(cluster, console, "system", "qemu:///system")
        leader = wait_for_leader(cluster, host_id)
        cookie = console.http.cookies["sessionid"]
        ports = [f"http://127.0.0.1:{process.port}" for process in cluster.processes]
        warm = [s for port in ports for s in await open_sockets(port, cookie, host_id, WARM_UP)]
        await asyncio.sleep(1)
        before = [rss_kib(pid) for pid in pids]
        by_process = [await open_sockets(port, cookie, host_id, per_process) for port in ports]
        await asyncio.sleep(2)
        after = [rss_kib(pid) for pid in pids]
        sockets = warm + [s for group in by_process for s in group]
        print(f"\n{processes} process(es), {len(sockets)} sockets ({WARM_UP} warm-up + {per_process} per process); "
              f"host {host_id} led by process {leader} (port {cluster.processes[leader].port})")
        for index, pid in enumerate(pids):
            print(f"  process {index} (pid {pid}): RSS {before[index] / 1024:.0f} -> {after[index] / 1024:.0f} MiB, "
                  f"{(after[index] - before[index]) / per_process:.1f} KiB per idle socket")
        # Not timed: the thread pool's first thread, and the first event of a cluster (see the README).
        for event, call in (("defined", lambda: define(conn, f"{PREFIX}fan-warm")),
                            ("undefined", lambda: conn.lookupByName(f"{PREFIX}fan-warm").undefine())):
            delays, seen, took = await one_event(sockets, call, f"{PREFIX}fan-warm", event)
            print(f"  warm-up {event}: call {took * 1e3:.0f} ms, last socket {max(delays.values()) * 1e3:.0f} ms"
                  + (f"  PROBLEMS {seen}" if any(seen.values()) else ""))
        results = {"defined": [], "undefined": []}
        problems = {"lost": 0, "duplicate": 0, "other": 0, "closed": 0}
        client_cpu = server_cpu = 0.0
        for round_ in range(rounds):
            name = f"{PREFIX}fan-{processes}p-{round_}"
            for event, call in (("defined", lambda: define(conn, name)),
                                ("undefined", lambda: conn.lookupByName(name).undefine())):
                cpu_before, servers_before = time.process_time(), sum(cpu_seconds(pid) for pid in pids)
                delays, seen, took = await one_event(sockets, call, name, event)
                client_cpu += time.process_time() - cpu_before
                server_cpu += sum(cpu_seconds(pid) for pid in pids) - servers_before
                for kind, count in seen.items():
                    problems[kind] += count
                figures = summary(list(delays.values()))
                results[event].append(figures)
                slowest = [max((delays[s] for s in group if s in delays), default=float("nan")) for group in by_process]
                print(f"  round {round_ + 1} {event:9} (call {took * 1e3:4.1f} ms): first {figures['first'] * 1e3:6.1f} ms, p50 "
                      f"{figures['p50'] * 1e3:6.1f} ms, last {figures['last'] * 1e3:6.1f} ms, spread "
                      f"{figures['spread'] * 1e3:6.1f} ms; last per process (ms): "
                      + ", ".join(f"{value * 1e3:.0f}" for value in slowest)
                      + (f"  PROBLEMS {seen}" if any(seen.values()) else ""))
        problems_in_logs = log_problems(cluster)
        keep_logs(cluster, f"fanout-{processes}p")
        for socket in sockets:
            socket.close()
    if redis_run_id() != redis_before:
        print("  REDIS RESTARTED during this run (someone else's doing): its bus lost messages; run it again")
    per_socket = [(a - b) / per_process for a, b in zip(after, before)]
    return {"processes": processes, "sockets": len(sockets), "per_socket_kib": per_socket, "results": results,
            "problems": problems, "client_cpu": client_cpu, "server_cpu": server_cpu, "events": 2 * rounds,
            "logs": problems_in_logs}


def report(run):
    print(f"\n== {run['processes']} process(es), {run['sockets']} sockets: medians over "
          f"{len(run['results']['defined'])} rounds (ms from the libvirt call)")
    for event, rounds in run["results"].items():
        medians = {key: statistics.median(r[key] for r in rounds) * 1e3 for key in ("first", "p50", "last", "spread")}
        print(f"  {event:9}: first {medians['first']:6.1f}  p50 {medians['p50']:6.1f}  last {medians['last']:6.1f}  "
              f"first-to-last {medians['spread']:6.1f}")
    print("  KiB per idle socket, per process: " + ", ".join(f"{v:.1f}" for v in run["per_socket_kib"]))
    print(f"  lost/duplicate/other frames/closed sockets over {run['events']} events: {run['problems']}")
    print(f"  CPU per event: servers {run['server_cpu'] / run['events'] * 1e3:.0f} ms, this client "
          f"{run['client_cpu'] / run['events'] * 1e3:.0f} ms (same 2 cores; the client's includes its waiting loop)")
    for index, (count, last) in enumerate(run["logs"]):
        if count:
            print(f"  process {index} log: {count} ERROR/WARNING/500 lines; last: {last}")


async def main(sizes, per_process, rounds):
    conn = own_libvirt()
    try:
        undefine_ours(conn)
        runs = [await measure(n, per_process, rounds, conn) for n in sizes]
    finally:
        print(f"undefined {undefine_ours(conn)} leftover {PREFIX}* domains")
        conn.close()
    print(f"\n2 cores shared by the servers, libvirtd, Redis, PostgreSQL, nginx and this client; load average "
          f"{os.getloadavg()[0]:.2f}")
    for run in runs:
        report(run)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000, help="idle sockets per process")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="3,1", help="processes of each cluster, in order")
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.sizes.split(",")], args.sockets, args.rounds))
