"""Three processes on one libvirtd: each event reaches every socket once, endings reach everyone, the relay fails over.

The cluster is the module's; the test that kills the host's relay comes last.
"""

import asyncio
import time

import pytest
import requests

from django.conf import settings

from domains.hosts.embedded import demo_domain_xml
from tests.cluster.client import (
    PREFIX,
    closing_message,
    define,
    events_socket,
    hear_each_once,
    leader_of,
    next_message,
    serial_socket,
    signed_in,
)
from tests.conftest import wait_for

pytestmark = [pytest.mark.system]


async def test_each_event_reaches_each_socket_of_every_process_once(cluster, system_host, libvirtd):
    host_id, http = system_host
    sockets = [await events_socket(process.port, http, host_id) for process in cluster.processes]
    names = [f"{PREFIX}once-{i}" for i in range(5)]

    for name in names:
        define(libvirtd, name).undefine()

    # In libvirt's order, each once: a doubled event would come before the last one.
    await hear_each_once(sockets, names)


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


async def test_taking_over_a_serial_console_held_on_another_process_tells_its_holder(cluster, system_host, libvirtd):
    host_id, http = system_host
    dom = libvirtd.defineXML(demo_domain_xml(settings.DEMO_GUEST_DIR, f"{PREFIX}serial"))
    dom.create()
    try:
        uuid = dom.UUIDString()
        # The console knows the domain once the host's leader wrote its row from the DEFINED event.
        wait_for(lambda: http.get(f"{cluster.base_url}/api/v1/domains/{uuid}").status_code == 200)
        holder = await serial_socket(cluster.processes[0].port, http, uuid)
        # The holder reads all along, as a page does: one left unread while the taker opens lost the closing
        # message to the server's close timeout (its reset drops what the client had not read yet).
        closing = asyncio.create_task(closing_message(holder, timeout=10))
        started = time.monotonic()
        taker = await serial_socket(cluster.processes[1].port, http, uuid, takeover=True)

        message = await closing
        assert message["type"] == "console.closed" and message["reason"] == "taken_over", message
        assert time.monotonic() - started < 1.0
        taker.close()
    finally:
        dom.destroy()
        dom.undefine()


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

    await hear_each_once(sockets, [*names, last])
    assert taken_over < 10
    print(f"host taken over {taken_over:.2f} s after its relay was killed")
    requests.get(cluster.base_url + "/login/", timeout=5).raise_for_status()
