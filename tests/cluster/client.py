"""What the cluster tests do as a browser would: sign in, hold events sockets on each process, read their events."""

import asyncio
import json
import re
import time
import uuid

import requests

from benchmarks.ws_client import OP_TEXT, WebSocketClosed, connect
from domains.api.ws_protocol import SUBPROTOCOL

PREFIX = "vc-cluster-"
LEADS = re.compile(r"this process (now|no longer) does host:(\d+)")


def signed_in(base_url, username, password):
    """A requests session signed in through base_url's sign-in page, as a browser does (CSRF cookie, Origin)."""
    http = requests.Session()
    http.get(f"{base_url}/login/").raise_for_status()
    http.post(f"{base_url}/login/", data={"username": username, "password": password,
                                          "csrfmiddlewaretoken": http.cookies["csrftoken"]},
              headers={"Origin": base_url, "Referer": f"{base_url}/login/"})
    assert "sessionid" in http.cookies, "the sign-in did not open a session"
    return http


def define(conn, name):
    """Define a small domain named name on conn (libvirt sends a DEFINED event); returns it."""
    xml = (f"<domain type='qemu'><name>{name}</name><uuid>{uuid.uuid4()}</uuid><memory>65536</memory>"
           "<os><type arch='x86_64'>hvm</type></os></domain>")
    return conn.defineXML(xml)


async def events_socket(port, http, host_id):
    """An events socket on one process, subscribed to host_id, past its greeting and subscription answers."""
    origin = f"http://127.0.0.1:{port}"
    socket = await connect(f"ws://127.0.0.1:{port}/ws/v1/events", subprotocols=[SUBPROTOCOL],
                           headers={"Cookie": f"sessionid={http.cookies['sessionid']}", "Origin": origin})
    assert (await next_message(socket))["type"] == "hello"
    await socket.send_text(json.dumps({"type": "subscribe", "hosts": [host_id]}))
    while (await next_message(socket))["type"] != "subscribed":
        pass
    return socket


async def serial_socket(port, http, domain_uuid, takeover=False):
    """The serial console of a domain through one process (a ticket asked of that process), once opened."""
    origin = f"http://127.0.0.1:{port}"
    ticket = http.post(f"{origin}/api/v1/domains/{domain_uuid}/console-tickets", json={"kind": "serial"},
                       headers={"X-CSRFToken": http.cookies["csrftoken"], "Origin": origin, "Referer": f"{origin}/"})
    assert ticket.status_code == 201, ticket.text
    url = f"ws://127.0.0.1:{port}{ticket.json()['url']}" + ("&takeover=1" if takeover else "")
    socket = await connect(url, subprotocols=[SUBPROTOCOL],
                           headers={"Cookie": f"sessionid={http.cookies['sessionid']}", "Origin": origin})
    while (await next_console_message(socket))["type"] != "console.opened":
        pass
    return socket


async def next_message(socket, timeout=15):
    opcode, payload = await asyncio.wait_for(socket.recv(), timeout)
    assert opcode == OP_TEXT
    return json.loads(payload)


async def next_console_message(socket, timeout=15):
    """The next JSON message of a serial socket, past the guest's output (binary frames: a booting guest prints)."""
    deadline = time.monotonic() + timeout
    while True:
        opcode, payload = await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))
        if opcode == OP_TEXT:
            return json.loads(payload)


async def closing_message(socket, timeout=15):
    """The last message the server sent before it closed the socket (a serial socket's guest output skipped)."""
    last = None
    deadline = time.monotonic() + timeout
    while True:
        try:
            last = await next_console_message(socket, timeout=max(0.1, deadline - time.monotonic()))
        except WebSocketClosed:
            return last


async def lifecycle_until(socket, last_name, timeout=30, prefix=PREFIX):
    """Every domain.lifecycle event of domains named prefix... the socket gets, until the undefine of last_name."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        message = await next_message(socket, timeout=max(0.1, deadline - time.monotonic()))
        if message.get("type") == "domain.lifecycle" and message["name"].startswith(prefix):
            seen.append((message["name"], message["event"]))
            if (message["name"], message["event"]) == (last_name, "undefined"):
                return seen


async def hear_each_once(sockets, names, prefix=PREFIX):
    """Every socket gets the defined and undefined events of names (in that order), each once; closes them."""
    expected = [(name, event) for name in names for event in ("defined", "undefined")]
    try:
        for socket in sockets:
            heard = await lifecycle_until(socket, names[-1], prefix=prefix)
            assert heard == expected, "an event was lost or doubled"
    finally:
        for socket in sockets:
            socket.close()


def leader_of(cluster, host_id, among=None):
    """The index of the process (of those among) whose log says it leads host_id now, or None."""
    leader = None
    for index, process in enumerate(cluster.processes):
        if among is not None and index not in among:
            continue
        state = None
        with open(process.log, errors="replace") as log:
            for match in LEADS.finditer(log.read()):
                if int(match.group(2)) == host_id:
                    state = match.group(1)
        if state == "now":
            leader = index
    return leader
