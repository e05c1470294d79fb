"""The libvirt admin binding against a real libvirtd: thread pool, client limits, logging, clients, errors."""

import os
import threading
import time

import libvirt
import pytest

from domains.daemon.admin import ctypes_binding
from domains.daemon.admin.connection import (
    VIR_ERR_INVALID_ARG,
    VIR_ERR_NO_CLIENT,
    VIR_ERR_NO_SERVER,
    VIR_ERR_NO_SUPPORT,
    AdminConnection,
    VirtError,
    admin_uri_for,
    client_version,
    supports,
)
from domains.daemon.log_syntax import normalize_log_filters
from domains.libvirt.adapter import daemon_uri

from .daemon_helpers import SERVER, virt_admin, virt_admin_table

pytestmark = [pytest.mark.system]


def settable(pool):
    return (pool.min_workers, pool.max_workers, pool.prio_workers)


def test_it_lists_the_daemons_servers(admin_connection):
    assert {"admin", "libvirtd"} <= set(admin_connection.list_servers())
    assert admin_connection.is_alive()
    assert admin_connection.uri == "libvirtd:///system"
    assert admin_connection.daemon_version() == client_version()


def test_it_reads_the_thread_pool_as_virt_admin_does(admin_connection):
    pool = admin_connection.thread_pool(SERVER)
    shown = virt_admin_table("srv-threadpool-info", SERVER)

    assert (pool.min_workers, pool.max_workers, pool.prio_workers) == (
        shown["minWorkers"],
        shown["maxWorkers"],
        shown["prioWorkers"],
    )
    assert 0 < pool.min_workers <= pool.max_workers
    assert 0 <= pool.free_workers <= pool.current_workers <= pool.max_workers
    assert pool.job_queue_depth >= 0


def test_it_sets_max_workers_and_virt_admin_reads_it_back(restored_daemon):
    before = restored_daemon.thread_pool(SERVER)

    restored_daemon.set_thread_pool(SERVER, max_workers=before.max_workers + 7)

    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == before.max_workers + 7
    after = restored_daemon.thread_pool(SERVER)
    assert settable(after) == (before.min_workers, before.max_workers + 7, before.prio_workers)


def test_it_sets_min_max_and_priority_workers_in_one_call(restored_daemon):
    restored_daemon.set_thread_pool(SERVER, min_workers=3, max_workers=9, prio_workers=2)

    # libvirt reports the priority workers running now; the extra ones exit on their own time.
    deadline = time.monotonic() + 5
    while settable(restored_daemon.thread_pool(SERVER)) != (3, 9, 2) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert settable(restored_daemon.thread_pool(SERVER)) == (3, 9, 2)


def test_it_rejects_min_workers_above_max_and_changes_nothing(restored_daemon):
    before = restored_daemon.thread_pool(SERVER)

    with pytest.raises(VirtError, match="minWorkers cannot be larger than maxWorkers") as raised:
        restored_daemon.set_thread_pool(SERVER, min_workers=before.max_workers + 1)
    assert raised.value.code == VIR_ERR_INVALID_ARG

    with pytest.raises(VirtError, match="minWorkers cannot be larger than maxWorkers"):
        restored_daemon.set_thread_pool(SERVER, min_workers=10, max_workers=8, prio_workers=before.prio_workers + 1)

    assert settable(restored_daemon.thread_pool(SERVER)) == settable(before)
    shown = virt_admin_table("srv-threadpool-info", SERVER)
    assert (shown["minWorkers"], shown["maxWorkers"], shown["prioWorkers"]) == settable(before)


def test_it_refuses_a_negative_worker_count_before_calling_libvirt(admin_connection):
    with pytest.raises(ValueError, match="maxWorkers must be a whole number"):
        admin_connection.set_thread_pool(SERVER, max_workers=-1)


def test_it_sets_client_limits_and_virt_admin_reads_them_back(restored_daemon):
    restored_daemon.set_client_limits(SERVER, max_clients=4321, max_unauth_clients=17)

    limits = restored_daemon.client_limits(SERVER)
    assert (limits.max_clients, limits.max_unauth_clients) == (4321, 17)
    shown = virt_admin_table("srv-clients-info", SERVER)
    assert (shown["nclients_max"], shown["nclients_unauth_max"]) == (4321, 17)
    assert limits.clients == shown["nclients"] or limits.clients >= 0  # other tests may connect meanwhile


def test_it_rejects_an_unauthenticated_limit_above_the_total_and_changes_nothing(restored_daemon):
    before = restored_daemon.client_limits(SERVER)

    with pytest.raises(VirtError, match="must not be less than") as raised:
        restored_daemon.set_client_limits(SERVER, max_clients=10, max_unauth_clients=11)
    assert raised.value.code == VIR_ERR_INVALID_ARG

    after = restored_daemon.client_limits(SERVER)
    assert (after.max_clients, after.max_unauth_clients) == (before.max_clients, before.max_unauth_clients)


def test_it_sets_a_log_filter_and_reads_it_back(restored_daemon):
    wanted = "3:qemu 1:+util.json"

    restored_daemon.set_logging_filters(wanted)

    assert restored_daemon.logging_filters() == "3:*qemu* 1:*util.json*" == normalize_log_filters(wanted)
    assert "3:*qemu* 1:*util.json*" in virt_admin("daemon-log-filters")

    restored_daemon.set_logging_filters("")
    assert restored_daemon.logging_filters() == ""


def test_it_sets_log_outputs_and_reads_them_back(restored_daemon):
    wanted = "3:file:/var/log/libvirt/libvirtd.log 4:stderr"

    restored_daemon.set_logging_outputs(wanted)

    assert restored_daemon.logging_outputs() == wanted


def test_it_rejects_a_bad_log_filter_in_libvirts_words_and_keeps_the_old_one(restored_daemon):
    restored_daemon.set_logging_filters("2:rpc")

    with pytest.raises(VirtError, match="Invalid priority '5' for filter '5:qemu'"):
        restored_daemon.set_logging_filters("5:qemu")

    assert restored_daemon.logging_filters() == "2:*rpc*"


def test_it_lists_a_connected_client_and_disconnects_it(admin_connection):
    before = {client.id for client in admin_connection.clients(SERVER)}
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        mine = [
            client
            for client in admin_connection.clients(SERVER)
            if client.id not in before and client.unix_process_id == os.getpid()
        ]
        assert len(mine) == 1
        client = mine[0]
        assert client.transport == "unix"
        assert client.readonly is False
        assert client.unix_user_id == os.getuid()
        assert client.unix_user_name == "root"
        assert client.connected_at.tzinfo is not None
        assert admin_connection.client(SERVER, client.id) == client

        admin_connection.disconnect_client(SERVER, client.id)

        assert client.id not in {c.id for c in admin_connection.clients(SERVER)}
        with pytest.raises(libvirt.libvirtError):
            conn.getVersion()
    finally:
        try:
            conn.close()
        except libvirt.libvirtError:
            pass  # already cut off by the daemon: nothing left to close


def test_it_works_in_a_process_that_also_uses_libvirt_connections(libvirtd):
    # libvirt 9.0 crashes a process that uses both libvirt.so and libvirt-admin.so
    # objects; AdminConnection keeps the admin side in its worker process.
    before = libvirt.open("test:///default")
    with AdminConnection(libvirtd) as conn:
        assert "libvirtd" in conn.list_servers()
        after = libvirt.open("test:///default")
        assert after.getVersion() == before.getVersion()
        after.close()
    before.close()


def test_it_reports_an_unknown_client_and_an_unknown_server(admin_connection):
    with pytest.raises(VirtError) as no_client:
        admin_connection.disconnect_client(SERVER, 2**63)
    assert no_client.value.code == VIR_ERR_NO_CLIENT

    with pytest.raises(VirtError, match="No server named 'nosuch'") as no_server:
        admin_connection.thread_pool("nosuch")
    assert no_server.value.code == VIR_ERR_NO_SERVER


def test_it_calls_back_when_the_daemon_closes_the_admin_connection(admin_connection, libvirtd):
    watched = AdminConnection(libvirtd)
    closed = threading.Event()
    reasons = []
    watched.on_close(lambda reason: (reasons.append(reason), closed.set()))
    try:
        (new_id,) = [c.id for c in admin_connection.clients("admin") if c.unix_process_id == watched.worker_pid]
        admin_connection.disconnect_client("admin", new_id)

        # The worker watches the socket on libvirt's event loop: no call is needed to notice.
        assert closed.wait(5)
        assert reasons == ["eof"]
        assert not watched.is_alive()
    finally:
        watched.close()


def test_it_reloads_the_tls_files_of_a_libvirtd_listening_for_tls(admin_connection):
    # scripts/start-libvirtd.sh has the system libvirtd listen for TLS on 127.0.0.1 (make-tls-certs.sh's files).
    admin_connection.update_tls_files(SERVER)


def test_it_says_why_a_tls_reload_fails_without_a_tls_listener(virtlockd):
    with AdminConnection(virtlockd.URI) as conn, pytest.raises(VirtError, match="no tls service found"):
        conn.update_tls_files("virtlockd")


def test_it_sets_the_daemon_timeout_where_libvirt_supports_it(admin_connection):
    assert supports("virAdmConnectSetDaemonTimeout")  # libvirt 8.6.0 and newer

    admin_connection.set_daemon_timeout(0)  # 0: never exit for idleness, as libvirtd -d starts


def test_it_says_a_call_missing_from_this_libvirt_is_not_supported():
    with pytest.raises(VirtError, match="virAdmNoSuchCall is not supported by this libvirt") as raised:
        ctypes_binding.function("virAdmNoSuchCall")
    assert raised.value.code == VIR_ERR_NO_SUPPORT
    assert not supports("virAdmNoSuchCall")


def test_a_closed_connection_says_so(libvirtd):
    conn = AdminConnection(libvirtd)
    conn.close()
    conn.close()

    assert not conn.is_alive()
    with pytest.raises(VirtError, match="admin connection is closed"):
        conn.list_servers()


def test_it_names_the_socket_when_the_daemon_is_not_there():
    with pytest.raises(VirtError, match="virtnosuchd-admin-sock"):
        AdminConnection("virtnosuchd:///system")


@pytest.mark.parametrize(
    ("host_uri", "admin_uri"),
    [
        ("qemu:///system", "libvirtd:///system"),
        ("qemu+unix:///system", "libvirtd:///system"),
        ("qemu:///session", "libvirtd:///session"),
    ],
)
def test_it_finds_the_admin_uri_of_a_local_daemon(host_uri, admin_uri):
    if admin_uri.endswith("/system") and os.path.exists("/run/libvirt/virtqemud-admin-sock"):
        admin_uri = "virtqemud:///system"  # a host with modular daemons
    assert admin_uri_for(host_uri) == admin_uri


@pytest.mark.parametrize(
    ("host_uri", "reason"),
    [
        ("qemu+ssh://far/system", "reaches only local daemons"),
        ("qemu+tls://far.example/system", "reaches only local daemons"),
        ("qemu:///embed?root=/var/x", "not served by a libvirt daemon"),
        ("test:///default", "not served by a libvirt daemon"),
    ],
)
def test_it_says_why_a_host_has_no_daemon_to_manage(host_uri, reason):
    with pytest.raises(VirtError, match=reason) as raised:
        admin_uri_for(host_uri)
    assert raised.value.code == VIR_ERR_NO_SUPPORT
