"""QEMU monitor passthrough: one command through the console's API beside the direct libvirt call, same run.

Needs libvirtd (qemu:///system, as `make test` starts it). Defines a
throw-away copy of the demo guest there (vcbench-monitor, undefined at the
end), starts it, serves the console, adds the host as the console's
administrator would, and then, in interleaved rounds, times:

- direct: `libvirt_qemu.qemuMonitorCommand(dom, query-status)` on a
  persistent connection of this process (the anchor);
- API: `POST /api/qemu/v1/domains/{uuid}/monitor` with the same command on a
  kept-alive HTTP session: auth, permission checks, the audit intent
  committed before the call and the outcome after it, the call, the answer;
- socket: the same command on an open monitor websocket
  (`/ws/v1/domains/{uuid}/monitor`, what the monitor page uses): the same
  checks and audit pair, without a request's sign-in and middleware;
- floor: `GET /api/v1/version`, what any request costs through Daphne and the
  middleware.

Printed: medians, the API's ratio to the direct call and its difference
(the reach: at most 2 ms more).

    .venv/bin/python benchmarks/monitor_passthrough.py [--rounds 300]
"""

import argparse
import asyncio
import json
import statistics
import time

import libvirt
import libvirt_qemu
from session import REPO, Console, serve_console
from ws_client import OP_TEXT, connect

from domains.hosts.embedded import demo_domain_xml
from qemu_extras.version import EXTRAS_WS_SUBPROTOCOL

NAME = "vcbench-monitor"
URI = "qemu:///system"
COMMAND = '{"execute": "query-status"}'


def own_domain(conn):
    try:
        dom = conn.lookupByName(NAME)
    except libvirt.libvirtError:
        dom = conn.defineXML(demo_domain_xml(REPO / "var" / "guest", NAME).replace(
            "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>", ""))
    if not dom.isActive():
        dom.create()
    return dom


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(rounds):
    conn = libvirt.open(URI)
    dom = own_domain(conn)
    try:
        with serve_console("/var/tmp/vcbench-monitor", REPO / "var" / "guest") as (base_url, username, password, _):
            console = Console(base_url, username, password)
            console.api("POST", "hosts", json={"name": "system", "uri": URI})
            uuid = console.domain(NAME)["uuid"]
            monitor = f"{base_url}/api/qemu/v1/domains/{uuid}/monitor"
            headers = {"X-CSRFToken": console.http.cookies["csrftoken"], "Referer": base_url}

            def direct():
                libvirt_qemu.qemuMonitorCommand(dom, COMMAND, 0)

            def api():
                response = console.http.post(monitor, json={"command": COMMAND}, headers=headers)
                response.raise_for_status()
                assert "status" in response.json()["return"], response.text

            loop = asyncio.new_event_loop()
            ws = loop.run_until_complete(connect(console.ws_url(f"/ws/v1/domains/{uuid}/monitor"),
                                                 [EXTRAS_WS_SUBPROTOCOL], console.ws_headers))

            async def answer(request_id):
                while True:
                    opcode, payload = await ws.recv()
                    message = json.loads(payload) if opcode == OP_TEXT else {}
                    if message.get("id") == request_id:
                        assert message["type"] == "result", message
                        return

            def socket():
                request_id = time.perf_counter_ns()
                loop.run_until_complete(ws.send_text(json.dumps({"type": "command", "id": request_id,
                                                                 "command": COMMAND})))
                loop.run_until_complete(answer(request_id))

            def floor():
                console.api("GET", "version")

            cases = {"direct qemuMonitorCommand (persistent connection)": direct,
                     "API POST .../monitor": api, "monitor websocket command": socket,
                     "floor: GET /api/v1/version": floor}
            for action in cases.values():  # warm-up: the schema cache, imports, the connection
                for _ in range(5):
                    action()
            times = {label: [] for label in cases}
            for _ in range(rounds):
                for label, action in cases.items():
                    times[label].append(timed(action))
            ws.close()
            loop.close()
    finally:
        if dom.isActive():
            dom.destroy()
        dom.undefine()
        conn.close()

    medians = {label: statistics.median(values) * 1e3 for label, values in times.items()}
    anchor = medians[next(iter(cases))]
    print(f"{rounds} interleaved rounds of query-status on {NAME} ({URI}); medians")
    for label, median in medians.items():
        print(f"{label:52} {median:7.2f} ms   ratio {median / anchor:5.2f}   difference {median - anchor:+6.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    main(parser.parse_args().rounds)
