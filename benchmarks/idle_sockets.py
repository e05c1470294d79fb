"""Idle event sockets one Daphne process holds, and its memory per socket at 1,000 sockets.

Each socket signs in, subscribes to the demo guest and its host, then stays
idle. At the end one lifecycle event must reach every socket: held means
still working, not merely not closed.

    .venv/bin/python benchmarks/idle_sockets.py [--sockets 1000] [--beyond 3000]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import time

from session import REPO, Console, percentile, rss_kib, serve_console
from ws_client import OP_TEXT, connect

BATCH = 50


async def open_socket(console, uuid, host_id):
    ws = await connect(console.ws_url("/ws/v1/events"), ["virtconsole.v1"], console.ws_headers)
    await ws.recv()  # hello
    await ws.send_text(json.dumps({"type": "subscribe", "domains": [uuid], "hosts": [host_id]}))
    await ws.recv()  # subscribed
    await ws.recv()  # host.health
    return ws


async def open_many(console, uuid, host_id, count):
    sockets = []
    for start in range(0, count, BATCH):
        sockets += await asyncio.gather(*(open_socket(console, uuid, host_id)
                                          for _ in range(min(BATCH, count - start))))
    return sockets


async def all_hear(sockets, trigger):
    """Seconds from trigger() until each socket got the lifecycle event it causes: (first, p50, last).

    last - first is the fan-out: the time the event took from the first socket to the last (the action's own
    time, until libvirt sends the event, is in first).
    """
    async def hear(ws):
        while True:
            opcode, payload = await ws.recv()
            if opcode == OP_TEXT and json.loads(payload).get("type") == "domain.lifecycle":
                return time.perf_counter()

    waiting = [asyncio.ensure_future(hear(ws)) for ws in sockets]
    started = time.perf_counter()
    await asyncio.to_thread(trigger)
    print(f"  (the action call returned after {(time.perf_counter() - started) * 1e3:.0f} ms)")
    done = await asyncio.wait_for(asyncio.gather(*waiting), 60)
    delays = [t - started for t in done]
    return min(delays), percentile(delays, 0.5), max(delays)


async def main(count, beyond):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with serve_console("/var/tmp/vcbench-idle", REPO / "var" / "guest") as (base_url, username, password, server):
        subprocess.run(["prlimit", f"--pid={server.pid}", f"--nofile={hard}:{hard}"], check=True)
        console = Console(base_url, username, password)
        demo = console.domain("demo")
        uuid, host_id = demo["uuid"], demo["host"]
        warm = await open_many(console, uuid, host_id, 20)  # imports and caches, not sockets, before measuring
        before = rss_kib(server.pid)
        sockets = await open_many(console, uuid, host_id, count)
        await asyncio.sleep(2)
        at_count = rss_kib(server.pid)
        first, p50, worst = await all_hear(warm + sockets, lambda: console.api(
            "POST", f"domains/{uuid}/actions", json={"action": "start"}))
        print(f"{count} idle event sockets: Daphne RSS {before / 1024:.0f} -> {at_count / 1024:.0f} MiB, "
              f"{(at_count - before) / count:.1f} KiB per socket")
        print(f"one lifecycle event reached all {len(sockets) + len(warm)} sockets: first {first * 1e3:.0f} ms, "
              f"p50 {p50 * 1e3:.0f} ms, last {worst * 1e3:.0f} ms (fan-out {(worst - first) * 1e3:.0f} ms)")
        more = []
        if beyond:
            try:
                more = await open_many(console, uuid, host_id, beyond - count)
            except (OSError, asyncio.IncompleteReadError) as exc:
                print(f"stopped opening at {count + len(more)} sockets: {exc}")
            held = sockets + more + warm
            first, p50, worst = await all_hear(held, lambda: console.api(
                "POST", f"domains/{uuid}/actions", json={"action": "destroy"}))
            print(f"{len(held)} sockets held, Daphne RSS {rss_kib(server.pid) / 1024:.0f} MiB; one event reached "
                  f"all: first {first * 1e3:.0f} ms, p50 {p50 * 1e3:.0f} ms, last {worst * 1e3:.0f} ms "
                  f"(fan-out {(worst - first) * 1e3:.0f} ms)")
        for ws in sockets + more + warm:
            ws.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--beyond", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.sockets, args.beyond))
