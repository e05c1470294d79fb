"""Three processes on one libvirtd: each event reaches every socket once, the relay fails over, endings reach everyone.

The cluster is the module's; the test that kills the host's relay comes last.
"""

import asyncio
import json
import re
import time
import uuid

import pytest
import requests

from benchmarks.ws_client import OP_TEXT, connect
from domains.api.ws_protocol import SUBPROTOCOL
from tests.cluster.test_make_cluster import signed_in
from tests.cluster_support import serve_cluster
from tests.libvirt_support import own_connection

pytestmark = [pytest.mark.system]

PREFIX = "vc-cluster-"
LEADS = re.compile(r"this process (now|no longer) does host:(\d+)")


@pytest.fixture(scope="module")
def cluster():
    with serve_cluster(processes=3) as running:
        yield running


@pytest.fixture(scope="module")
def libvirtd():
    conn = own_connection()
    yield conn
    for dom in conn.listAllDomains():
        if dom.name().startswith(PREFIX):
            dom.undefine()
    conn.close()


@pytest.fixture(scope="module")
def system_host(cluster, libvirtd):
    """The system libvirtd as the cluster's host, connected from every process (each one asked about it)."""
    http = signed_in(cluster.base_url, cluster.username, cluster.password)
    answer = http.post(f"{cluster.base_url}/api/v1/hosts", json={"name": "system", "uri": "qemu:///system"},
                       headers={"X-CSRFToken": http.cookies["csrftoken"], "Origin": cluster.base_url,
                                "Referer": f"{cluster.base_url}/"})
    assert answer.status_code == 201, answer.text
    host_id = answer.json()["id"]
    for process in cluster.processes:
        listed = http.get(f"http://127.0.0.1:{process.port}/api/v1/domains", params={"host": host_id})
        assert listed.status_code == 200, listed.text
    return host_id, http


def define(conn, name):
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


async def next_message(socket, timeout=15):
    opcode, payload = await asyncio.wait_for(socket.recv(), timeout)
    assert opcode == OP_TEXT
    return json.loads(payload)


async def lifecycle_until(socket, last_name, timeout=30):
    """Every domain.lifecycle event of our domains the socket gets, until the undefine of last_name."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        message = await next_message(socket, timeout=max(0.1, deadline - time.monotonic()))
        if message.get("type") == "domain.lifecycle" and message["name"].startswith(PREFIX):
            seen.append((message["name"], message["event"]))
            if (message["name"], message["event"]) == (last_name, "undefined"):
                return seen


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


async def test_each_event_reaches_each_socket_of_every_process_once(cluster, system_host, libvirtd):
    host_id, http = system_host
    sockets = [await events_socket(process.port, http, host_id) for process in cluster.processes]
    names = [f"{PREFIX}once-{i}" for i in range(5)]

    for name in names:
        define(libvirtd, name).undefine()

    expected = [(name, event) for name in names for event in ("defined", "undefined")]
    try:
        for socket in sockets:
            # In libvirt's order, each once: a doubled event would come before the last one.
            assert await lifecycle_until(socket, names[-1]) == expected
    finally:
        for socket in sockets:
            socket.close()


async def test_logging_out_on_one_process_closes_the_sockets_on_the_others_within_a_second(cluster, system_host):
    host_id, _admin = system_host
    http = signed_in(cluster.base_url, cluster.username, cluster.password)
    sockets = [await events_socket(process.port, http, host_id) for process in cluster.processes[1:]]

    started = time.monotonic()
    first = f"http://127.0.0.1:{cluster.processes[0].port}"
    answer = http.post(f"{first}/logout/", headers={"X-CSRFToken": http.cookies["csrftoken"], "Origin": first,
                                                    "Referer": f"{first}/"})
    assert answer.status_code in (200, 302), answer.text

    for socket in sockets:
        message = await next_message(socket, timeout=2)
        while message.get("type") != "error":
            message = await next_message(socket, timeout=2)
        assert message["reason"] == "logged_out"
    assert time.monotonic() - started < 1.0
    for socket in sockets:
        socket.close()


async def test_the_events_of_a_host_survive_the_death_of_its_relay(cluster, system_host, libvirtd):
    host_id, http = system_host
    leader = leader_of(cluster, host_id)
    assert leader is not None, "no process says it leads the host"
    alive = [i for i in range(len(cluster.processes)) if i != leader]
    survivors = [cluster.processes[i] for i in alive]
    sockets = [await events_socket(process.port, http, host_id) for process in survivors]
    names = [f"{PREFIX}failover-{i}" for i in range(40)]

    killed = time.monotonic()
    cluster.kill(leader)
    # Events all through the takeover: before a survivor leads, while it takes over, and after.
    taken_over = None
    for name in names:
        define(libvirtd, name).undefine()
        if taken_over is None and leader_of(cluster, host_id, alive) is not None:
            taken_over = time.monotonic() - killed
        await asyncio.sleep(0.1)
    while taken_over is None:
        assert time.monotonic() - killed < 10, "no process took the host over within 10 s"
        if leader_of(cluster, host_id, alive) is not None:
            taken_over = time.monotonic() - killed
        await asyncio.sleep(0.05)
    last = f"{PREFIX}failover-last"
    define(libvirtd, last).undefine()

    expected = [(name, event) for name in [*names, last] for event in ("defined", "undefined")]
    try:
        for socket in sockets:
            assert await lifecycle_until(socket, last) == expected, "an event was lost or doubled"
    finally:
        for socket in sockets:
            socket.close()
    assert taken_over < 10
    print(f"host taken over {taken_over:.2f} s after its relay was killed")
    requests.get(cluster.base_url + "/login/", timeout=5).raise_for_status()
