"""Domain list cost: the API's pages and the dashboard beside one bare bulk libvirt call, at 1,000 domains.

Needs libvirtd (qemu:///system, as `make test` starts it) and the machine to
itself for a minute. Defines N throw-away shut
off domains there (vcbench-list-NNNN), serves the console, adds the host, and
then, in interleaved rounds, times from this process:

- bare: `listAllDomains()` + `getAllDomainStats()` of the listing's stats
  groups on a persistent connection (the anchor);
- all pages: every page of `GET /api/v1/domains?host=…&limit=100`, one after
  the other;
- one page: `GET /api/v1/domains?host=…&limit=100&offset=…` (the middle one);
- limit=1000: `GET /api/v1/domains?host=…&limit=1000`;
- dashboard: `GET /`;
- floor: `GET /api/v1/version`, what any request costs through Daphne and
  the middleware (ten of these are the least ten pages can cost).

Each as wall time (ratio to the bare call in the same round, median over the
rounds) and as CPU time of libvirtd plus the side that asked (the console's
process for a request, this process for the bare call; ratio of the sums). The domains are undefined at
the end, even on failure.

    .venv/bin/python benchmarks/domain_listing.py [--domains 1000] [--rounds 15]
"""

import argparse
import statistics
import time
from pathlib import Path

import libvirt
from session import REPO, Console, cpu_seconds, serve_console

from domains.lifecycle.inventory import BULK_STATS

PREFIX = "vcbench-list-"
URI = "qemu:///system"
XML = ("<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
       "<os><type arch='x86_64'>hvm</type></os></domain>")


def define_domains(conn, count):
    existing = {dom.name() for dom in conn.listAllDomains()}
    for index in range(count):
        name = f"{PREFIX}{index:04d}"
        if name not in existing:
            conn.defineXML(XML.format(name=name))


def undefine_domains(conn):
    for dom in conn.listAllDomains():
        if dom.name().startswith(PREFIX):
            if dom.isActive():
                dom.destroy()
            dom.undefine()


def libvirtd_pid():
    return int(Path("/run/libvirtd.pid").read_text())


def timed(action, daemon, server, client_side):
    """(wall seconds, CPU seconds of libvirtd plus the side that asked) of one call of action.

    The side that asked is the console's process for a request, this process for the bare call (its libvirt
    client decoding the answer); process CPU times are read in clock ticks (10 ms), so only sums mean much.
    """
    asking = (lambda: time.process_time()) if client_side else (lambda: cpu_seconds(server))
    cpu_before = cpu_seconds(daemon) + asking()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, cpu_seconds(daemon) + asking() - cpu_before


def main(domains, rounds, page_size):
    conn = libvirt.open(URI)
    daemon = libvirtd_pid()
    try:
        define_domains(conn, domains)
        with serve_console("/var/tmp/vcbench-list", REPO / "var" / "guest") as (base_url, username, password, server):
            console = Console(base_url, username, password)
            host = console.api("POST", "hosts", json={"name": "system", "uri": URI})["id"]
            listed = f"domains?host={host}"
            total = console.api("GET", f"{listed}&limit=1000")["count"]  # first sight makes the rows
            pages = -(-total // page_size)

            def bare():
                conn.listAllDomains(0)
                conn.getAllDomainStats(BULK_STATS, 0)

            def all_pages():
                seen = 0
                for page in range(pages):
                    seen += len(console.api("GET", f"{listed}&limit={page_size}&offset={page * page_size}")["results"])
                assert seen == total, (seen, total)

            def one_page():
                console.api("GET", f"{listed}&limit={page_size}&offset={(pages // 2) * page_size}")

            def limit_1000():
                console.api("GET", f"{listed}&limit=1000")

            def dashboard():
                console.http.get(f"{base_url}/").raise_for_status()

            def floor():
                console.api("GET", "version")

            cases = {"bare listAllDomains + getAllDomainStats": bare,
                     f"all {pages} pages, limit={page_size}": all_pages,
                     f"one page, limit={page_size}": one_page,
                     "one page, limit=1000": limit_1000,
                     "dashboard": dashboard,
                     "floor: one GET /api/v1/version": floor}
            for action in cases.values():  # warm-up
                action()
            results = {label: [] for label in cases}
            for _ in range(rounds):
                for label, action in cases.items():
                    results[label].append(timed(action, daemon, server.pid, action is bare))
    finally:
        undefine_domains(conn)
        conn.close()

    bare_label = next(iter(cases))
    print(f"{total} domains on {URI}, {rounds} interleaved rounds; ratio = case / bare in the same round (median)")
    print(f"{'case':42} {'wall p50':>9} {'ratio':>6} {'CPU (libvirtd + asker) mean':>28} {'ratio':>6}")
    for label, values in results.items():
        walls = [wall for wall, _cpu in values]
        cpus = [cpu for _wall, cpu in values]
        wall_ratio = statistics.median(wall / base[0] for (wall, _c), base in zip(values, results[bare_label]))
        cpu_ratio = sum(cpus) / max(sum(cpu for _w, cpu in results[bare_label]), 1e-9)
        print(f"{label:42} {statistics.median(walls) * 1e3:7.1f} ms {wall_ratio:6.2f} "
              f"{statistics.mean(cpus) * 1e3:25.1f} ms {cpu_ratio:6.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--page-size", type=int, default=100)
    arguments = parser.parse_args()
    main(arguments.domains, arguments.rounds, arguments.page_size)
