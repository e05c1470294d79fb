"""What an idle open dashboard costs libvirtd: CPU per second beside the bare calls the stats ticker makes.

Needs libvirtd (qemu:///system, as `make test` starts it) and the machine to
itself for a few minutes. Defines N throw-away shut off domains there
(vcbench-list-NNNN, as domain_listing.py does; undefined at the end), serves
the console, adds the host, opens the dashboard once and then, in
interleaved windows of W seconds each, measures the CPU libvirtd uses:

- quiet: nobody asks anything (the daemon's own floor);
- bare before: this process calls `getAllDomainStats` of every domain with
  every live group every 2 s, what the ticker asked before issue 19;
- bare after: this process calls `domainListGetStats` over the handles of
  the rows on screen with the groups the dashboard shows, every 2 s (the anchor);
- dashboard: one events socket subscribed as the dashboard is (every row and
  the host) watching the rows on screen, and nothing else.

Printed: libvirtd CPU (% of a core, quiet floor subtracted) per case, the
console process's own CPU for the dashboard, and the ratios to the anchor and
to "before".

    .venv/bin/python benchmarks/idle_dashboard.py [--domains 1000] [--on-screen 25] [--window 20] [--rounds 2]
"""

import argparse
import asyncio
import json
import time

import libvirt
from domain_listing import URI, define_domains, libvirtd_pid, undefine_domains
from session import REPO, Console, cpu_seconds, serve_console
from ws_client import OP_TEXT, connect

from domains.lifecycle.stats import FIGURES, LIVE_STATS, groups_for

TICK = 2.0


async def every_tick(call, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        await asyncio.to_thread(call)
        await asyncio.sleep(max(0.0, TICK - (time.monotonic() - started)))


async def window(pids, seconds, work):
    """CPU seconds each pid used while work(seconds) ran."""
    before = [cpu_seconds(pid) for pid in pids]
    await work(seconds)
    return [cpu_seconds(pid) - start for pid, start in zip(pids, before)]


async def open_dashboard(console, host_id, rows, on_screen):
    ws = await connect(console.ws_url("/ws/v1/events"), ["virtconsole.v1"], console.ws_headers)
    await ws.recv()  # hello
    await ws.send_text(json.dumps({"type": "subscribe", "domains": rows, "hosts": [host_id]}))
    await ws.send_text(json.dumps({"type": "watch_stats", "domains": on_screen, "stats": list(FIGURES)}))
    stats = []

    async def read():
        while True:
            opcode, payload = await ws.recv()
            if opcode == OP_TEXT and json.loads(payload).get("type") == "domain.stats":
                stats.append(len(json.loads(payload)["domains"]))

    return ws, asyncio.ensure_future(read()), stats


async def main(domains, on_screen, seconds, rounds):
    conn = libvirt.open(URI)
    daemon = libvirtd_pid()
    try:
        define_domains(conn, domains)
        with serve_console("/var/tmp/vcbench-idle-dash", REPO / "var" / "guest") as (base_url, username, password,
                                                                                     server):
            console = Console(base_url, username, password)
            host_id = console.api("POST", "hosts", json={"name": "system", "uri": URI})["id"]
            console.http.get(f"{base_url}/").raise_for_status()  # the page load lists the host once
            listed = console.api("GET", f"domains?host={host_id}&limit=1000")["results"]
            rows = [item["uuid"] for item in listed]
            shown = rows[:on_screen]
            handles = [conn.lookupByUUIDString(uuid) for uuid in shown]
            groups = groups_for(FIGURES)

            async def quiet(s):
                await asyncio.sleep(s)

            async def bare_before(s):
                await every_tick(lambda: conn.getAllDomainStats(LIVE_STATS, 0), s)

            async def bare_after(s):
                await every_tick(lambda: conn.domainListGetStats(handles, groups, 0), s)

            async def dashboard(s):
                ws, reader, stats = await open_dashboard(console, host_id, rows, shown)
                await asyncio.sleep(s)
                reader.cancel()
                ws.close()
                assert stats and max(stats) == len(shown), f"the page got stats of {stats[-1:]} rows"

            cases = {"quiet (floor)": quiet, "bare before: getAllDomainStats, all": bare_before,
                     f"bare after: domainListGetStats, {len(shown)}": bare_after,
                     f"dashboard, {len(shown)} rows on screen": dashboard}
            used = {label: [] for label in cases}
            for _ in range(rounds):
                for label, work in cases.items():
                    used[label].append(await window([daemon, server.pid], seconds, work))
                    await asyncio.sleep(TICK)  # the last tick of a case ends before the next case starts
    finally:
        undefine_domains(conn)
        conn.close()

    def percent(label, which=0):
        return 100.0 * sum(cpu[which] for cpu in used[label]) / (seconds * rounds)

    labels = list(cases)
    floor = percent(labels[0])
    print(f"{len(rows)} shut off domains on {URI}; {rounds} interleaved windows of {seconds:.0f} s per case")
    print(f"libvirtd at rest: {floor:.2f} % of a core (subtracted below)")
    anchor, before = percent(labels[2]) - floor, percent(labels[1]) - floor
    for label in labels[1:]:
        net = percent(label) - floor
        print(f"{label:45} libvirtd {net:6.2f} % of a core   / anchor {net / max(anchor, 0.01):6.2f}   "
              f"/ before {net / max(before, 0.01):5.2f}")
    print(f"console process while the dashboard was open: {percent(labels[3], 1):.2f} % of a core")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--on-screen", type=int, default=25)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.domains, arguments.on_screen, arguments.window, arguments.rounds))
