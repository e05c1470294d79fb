"""Event storms: defining and undefining many domains on libvirtd with the console attached, and without it.

Needs libvirtd (qemu:///system, as `make test` starts it). For each storm
size N (shut off domains named storm-NNNN, all undefined at the end, even on
failure) it times, in this order:

- without: defineXML N times, then undefine N times, from this process with
  no console attached (the anchor: libvirt's own cost);
- with: the same with a served console attached to the host, one events
  socket subscribed to the host as an open dashboard is. Timed: the calls,
  until the socket has heard all N events (or none more for 10 s: "heard"
  says how many came), and until the console has written what the events say
  (its process idle again), plus its CPU per event.

The console's cost per event must stay flat as N grows (no work in
proportion to the domains per event); the ratio to libvirt's own time is
printed beside it.

    .venv/bin/python benchmarks/event_storm.py [--sizes 250,1000]
"""

import argparse
import asyncio
import json
import time

import libvirt
from session import REPO, Console, cpu_seconds, serve_console
from ws_client import OP_TEXT, connect

PREFIX = "storm-"
URI = "qemu:///system"
XML = ("<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
       "<os><type arch='x86_64'>hvm</type></os></domain>")


def define(conn, count):
    for index in range(count):
        conn.defineXML(XML.format(name=f"{PREFIX}{index:04d}"))


def undefine(conn):
    for dom in conn.listAllDomains():
        if dom.name().startswith(PREFIX):
            if dom.isActive():
                dom.destroy()
            dom.undefine()


def timed(call):
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


async def until_idle(pid, quiet=0.3, step=0.5):
    """Seconds until pid used less than quiet of a core over one step (what the events started is written)."""
    started = time.perf_counter()
    while True:
        before = cpu_seconds(pid)
        await asyncio.sleep(step)
        if cpu_seconds(pid) - before < quiet * step:
            return time.perf_counter() - started - step


async def storm(conn, ws, server_pid, count, call, word):
    """(call seconds, seconds to the last event heard on the socket, seconds until the console is idle, console CPU,
    events heard)."""
    heard = []

    async def read():
        while len(heard) < count:
            opcode, payload = await ws.recv()
            if opcode == OP_TEXT:
                event = json.loads(payload)
                if event.get("type") == "domain.lifecycle" and event.get("event") == word \
                        and event.get("name", "").startswith(PREFIX):
                    heard.append(time.perf_counter())

    reader = asyncio.ensure_future(read())
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    calls = await asyncio.to_thread(timed, call)
    while not reader.done():  # all heard, or none more for 10 s: the rest were lost
        seen = len(heard)
        await asyncio.wait([reader], timeout=10)
        if len(heard) == seen:
            reader.cancel()
    last_event = (heard[-1] - started) if heard else float("nan")
    idle = await until_idle(server_pid) + (time.perf_counter() - started)
    return calls, last_event, idle, cpu_seconds(server_pid) - cpu_before, len(heard)


async def main(sizes):
    conn = libvirt.open(URI)
    undefine(conn)
    rows = []
    try:
        for count in sizes:
            alone = (timed(lambda: define(conn, count)), timed(lambda: undefine(conn)))
            with serve_console("/var/tmp/vcbench-storm", REPO / "var" / "guest") as (base_url, username, password,
                                                                                     server):
                console = Console(base_url, username, password)
                host_id = console.api("POST", "hosts", json={"name": "system", "uri": URI})["id"]
                console.http.get(f"{base_url}/").raise_for_status()
                ws = await connect(console.ws_url("/ws/v1/events"), ["virtconsole.v1"], console.ws_headers)
                await ws.recv()  # hello
                await ws.send_text(json.dumps({"type": "subscribe", "hosts": [host_id]}))
                await until_idle(server.pid)
                defined = await storm(conn, ws, server.pid, count, lambda: define(conn, count), "defined")
                undefined = await storm(conn, ws, server.pid, count, lambda: undefine(conn), "undefined")
                ws.close()
            rows.append((count, alone, defined, undefined))
    finally:
        undefine(conn)
        conn.close()

    print(f"storms of shut off domains on {URI}; times in seconds, CPU of the console process")
    print(f"{'N':>5} {'what':9} {'libvirt alone':>13} {'with console: calls':>20} {'last event':>10} "
          f"{'written':>8} {'ratio':>6} {'console CPU/event':>18} {'heard':>6}")
    for count, alone, defined, undefined in rows:
        for word, bare, (calls, last_event, idle, cpu, heard) in (("define", alone[0], defined),
                                                                  ("undefine", alone[1], undefined)):
            print(f"{count:5d} {word:9} {bare:13.2f} {calls:20.2f} {last_event:10.2f} {idle:8.2f} "
                  f"{idle / bare:6.2f} {cpu / count * 1e3:15.2f} ms {heard:6d}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000")
    asyncio.run(main([int(size) for size in parser.parse_args().sizes.split(",")]))
