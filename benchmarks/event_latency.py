"""Event latency: a libvirt lifecycle call to a websocket client, beside libvirt's own callback latency.

Needs libvirtd (qemu:///system), as `make test` starts it. Defines a
throw-away copy of the demo guest there, starts it, then suspends and
resumes it N times. For each call it records, from the moment the call is
made, when this process's own libvirt callback fires and when the console's
websocket delivers the same event.

    .venv/bin/python benchmarks/event_latency.py [--rounds 100]
"""

import argparse
import asyncio
import json
import threading
import time

import libvirt
from session import REPO, Console, percentile, serve_console
from ws_client import OP_TEXT, connect

from domains.hosts.embedded import demo_domain_xml
from domains.libvirt import events as libvirt_events

NAME = "vcbench-events"


def own_domain(conn):
    try:
        dom = conn.lookupByName(NAME)
    except libvirt.libvirtError:
        dom = conn.defineXML(demo_domain_xml(REPO / "var" / "guest", NAME).replace(
            "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>", ""))
    if not dom.isActive():
        dom.create()
    return dom


async def main(rounds):
    loop = asyncio.get_running_loop()
    libvirt_events.ensure_event_loop()
    conn = libvirt.open("qemu:///system")
    dom = own_domain(conn)
    arrivals = {}  # event word -> list of perf_counter times from our callback

    def callback(_conn, event_dom, event, _detail, _opaque):
        if event_dom.name() == NAME:
            word = {libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "suspended", libvirt.VIR_DOMAIN_EVENT_RESUMED: "resumed"}
            if event in word:
                arrivals.setdefault(word[event], []).append(time.perf_counter())

    conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, callback, None)
    try:
        with serve_console("/var/tmp/vcbench-ev", REPO / "var" / "guest") as (base_url, username, password, _):
            console = Console(base_url, username, password)
            console.api("POST", "hosts", json={"name": "system", "uri": "qemu:///system"})
            uuid = next(d["uuid"] for d in console.api("GET", "domains?limit=1000")["results"] if d["name"] == NAME)
            ws = await connect(console.ws_url("/ws/v1/events"), ["virtconsole.v1"], console.ws_headers)
            await ws.recv()
            await ws.send_text(json.dumps({"type": "subscribe", "domains": [uuid]}))
            await ws.recv()
            socket_arrivals = {}

            async def read():
                while True:
                    opcode, payload = await ws.recv()
                    if opcode == OP_TEXT:
                        event = json.loads(payload)
                        if event.get("type") == "domain.lifecycle" and event.get("uuid") == uuid:
                            socket_arrivals.setdefault(event["event"], []).append(time.perf_counter())

            reader = loop.create_task(read())
            ours, theirs = [], []
            for index in range(rounds * 2):
                word, call = ("suspended", dom.suspend) if index % 2 == 0 else ("resumed", dom.resume)
                seen_cb, seen_ws = len(arrivals.get(word, [])), len(socket_arrivals.get(word, []))
                started = time.perf_counter()
                await asyncio.to_thread(call)
                deadline = time.monotonic() + 5
                while (len(arrivals.get(word, [])) <= seen_cb or len(socket_arrivals.get(word, [])) <= seen_ws):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no {word} event within 5 s")
                    await asyncio.sleep(0.0005)
                theirs.append(arrivals[word][seen_cb] - started)
                ours.append(socket_arrivals[word][seen_ws] - started)
            reader.cancel()
            ws.close()
    finally:
        if dom.isActive():
            dom.destroy()
        dom.undefine()
        conn.close()
    for label, values in (("libvirt callback (this process)", theirs), ("virtconsole websocket client", ours)):
        print(f"{label:34} p50 {percentile(values, 0.5) * 1e3:6.2f} ms   p99 {percentile(values, 0.99) * 1e3:6.2f} ms"
              f"   ({len(values)} events)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    threading.excepthook = lambda args: print("thread failed:", args.exc_value)
    asyncio.run(main(parser.parse_args().rounds))
