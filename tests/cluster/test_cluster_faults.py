"""Three processes while what they stand on restarts: Redis, PostgreSQL, libvirtd. Events go on once each, or the
sockets are told to start afresh; the console serves again within seconds.

Each restart is of the service the whole run shares (scripts/start-services.sh, the system libvirtd): these tests
run in the default part of the suite, before the part that runs on PostgreSQL and Redis.
"""

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.cluster.client import (
    PREFIX,
    closing_message,
    define,
    events_socket,
    hear_each_once,
    leader_of,
    lifecycle_until,
)
from tests.cluster_support import REPO
from tests.daemon.conftest import start_libvirtd
from tests.libvirt_support import own_connection, stop_system_libvirtd

pytestmark = [pytest.mark.system]

REDIS_PORT = "6380"  # scripts/start-services.sh


def restart_redis():
    subprocess.run(["redis-cli", "-p", REDIS_PORT, "shutdown", "nosave"], capture_output=True, timeout=30)
    subprocess.run(["sh", str(REPO / "scripts/start-services.sh")], check=True, capture_output=True, timeout=120)


def restart_postgresql():
    version = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))[-1].name
    subprocess.run(["pg_ctlcluster", version, "virtconsole", "restart"], check=True, capture_output=True, timeout=120)


def serves_again(cluster, http, timeout=30):
    """Seconds until the console answers an API request through nginx again."""
    started = time.monotonic()
    while True:
        try:
            if http.get(f"{cluster.base_url}/api/v1/hosts", timeout=5).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        assert time.monotonic() - started < timeout, f"the console did not serve again within {timeout} s"
        time.sleep(0.1)


async def sockets_on_every_process(cluster, http, host_id):
    return [await events_socket(process.port, http, host_id) for process in cluster.processes]


async def each_hears_once(sockets, libvirtd, label, count=5):
    """Define and undefine count domains: every socket gets each event once, in order; closes the sockets."""
    names = [f"{PREFIX}{label}-{i}" for i in range(count)]
    for name in names:
        define(libvirtd, name).undefine()
    await hear_each_once(sockets, names, prefix=f"{PREFIX}{label}-")


async def test_a_redis_restart_tells_every_events_socket_to_start_afresh(cluster, system_host, libvirtd):
    host_id, http = system_host
    sockets = await sockets_on_every_process(cluster, http, host_id)

    restart_redis()

    # Redis forgot the bus's group and what was in flight: each process tells its sockets so.
    for socket in sockets:
        message = await closing_message(socket, timeout=30)
        assert message is not None and message.get("reason") == "events_gap", message
    print(f"the console served again {serves_again(cluster, http):.1f} s after Redis came back")
    # The page reconnects, and events flow again, once each.
    sockets = await sockets_on_every_process(cluster, http, host_id)
    await each_hears_once(sockets, libvirtd, "after-redis")


async def test_a_postgresql_restart_loses_and_doubles_no_event(cluster, system_host, libvirtd):
    host_id, http = system_host
    sockets = await sockets_on_every_process(cluster, http, host_id)
    names = [f"{PREFIX}during-pg-{i}" for i in range(20)]

    # The restart on a thread; events all through it: the leader loses its lock, the processes hold what they
    # hear until one leads again, and that one sends what nobody sent.
    restart = asyncio.get_running_loop().run_in_executor(None, restart_postgresql)
    for name in names:
        define(libvirtd, name).undefine()
        await asyncio.sleep(0.1)
    await restart
    print(f"the console served again {serves_again(cluster, http):.1f} s after PostgreSQL came back")
    last = f"{PREFIX}after-pg"
    define(libvirtd, last).undefine()

    await hear_each_once(sockets, [*names, last])
    assert leader_of(cluster, host_id) is not None


async def test_events_go_on_once_each_after_libvirtd_restarts(cluster, system_host, libvirtd):
    host_id, http = system_host
    sockets = await sockets_on_every_process(cluster, http, host_id)

    stop_system_libvirtd()
    start_libvirtd()

    # Every process reconnects on its own, the one that led maybe after the others: probe until every socket
    # hears the host again, then count.
    own = own_connection()
    try:
        deaf = list(sockets)
        started = time.monotonic()
        probe = 0
        while deaf:
            assert time.monotonic() - started < 30, "the console did not hear the host again within 30 s"
            probe += 1
            name = f"{PREFIX}probe-{probe}"
            define(own, name).undefine()
            for socket in list(deaf):
                try:
                    await lifecycle_until(socket, name, timeout=1)
                    deaf.remove(socket)
                except asyncio.TimeoutError:
                    pass
        print(f"events heard again {time.monotonic() - started:.1f} s after libvirtd was back")
        await each_hears_once(sockets, own, "after-libvirtd")
    finally:
        own.close()
