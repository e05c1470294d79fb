"""GET/PATCH /api/v1/hosts/{id}/daemon and its revisions, clients and TLS reload, against the real libvirtd."""

import json
import subprocess
import sys
import time

import pytest

from domains.access.models import AuditEntry
from domains.daemon.actions import stored_desired
from domains.daemon.models import DaemonSettingsRevision
from tests.conftest import wait_for
from tests.daemon.daemon_helpers import SERVER, virt_admin, virt_admin_table

pytestmark = [pytest.mark.system]


def url(host, rest=""):
    return f"/api/v1/hosts/{host.pk}/daemon{rest}"


def patch(api, host, body):
    return api.patch(url(host), data=json.dumps(body), content_type="application/json")


def test_it_reads_the_live_settings_of_libvirtd(api, system_host):
    answer = api.get(url(system_host))

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["reachable"] is True and body["error"] is None
    assert body["admin_uri"] == "libvirtd:///system"
    assert body["desired"] == {} and body["revision"] is None and body["drift"] == []
    assert {"libvirtd", "admin"} <= set(body["live"]["servers"])
    pool = body["live"]["servers"][SERVER]["threadpool"]
    shown = virt_admin_table("srv-threadpool-info", SERVER)
    assert (pool["min_workers"], pool["max_workers"]) == (shown["minWorkers"], shown["maxWorkers"])
    assert body["daemon_version"].count(".") == 2


def test_it_sets_max_workers_and_virt_admin_reads_it_back(api, system_host, owner):
    answer = patch(api, system_host, {"server": "libvirtd", "threadpool": {"max_workers": 30}})

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["desired"] == {"servers": {"libvirtd": {"threadpool": {"max_workers": 30}}}}
    assert body["revision"] == 1 and body["drift"] == []
    assert body["changes"][0]["path"] == "servers.libvirtd.threadpool"
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 30
    revision = DaemonSettingsRevision.objects.get(settings__host=system_host)
    assert (revision.number, revision.reason, revision.author_name) == (1, "api", owner.username)
    entry = AuditEntry.objects.filter(action="daemon.settings.apply").latest("id")
    assert entry.outcome == "ok" and entry.parameters["changed"][0]["after"]["max_workers"] == 30

    listed = api.get(url(system_host, "/revisions")).json()
    assert listed["results"][0]["reason"] == "api" and listed["results"][0]["author"] == "alice"


def test_it_sets_client_limits(api, system_host):
    answer = patch(api, system_host, {"client_limits": {"max_clients": 100, "max_unauth_clients": 10}})

    assert answer.status_code == 200, answer.content
    shown = virt_admin_table("srv-clients-info", SERVER)
    assert (shown["nclients_max"], shown["nclients_unauth_max"]) == (100, 10)


def test_it_sets_a_log_filter_and_null_stops_managing_it(api, system_host):
    answer = patch(api, system_host, {"logging": {"filters": "3:qemu 1:util.json"}})

    assert answer.status_code == 200, answer.content
    assert virt_admin("daemon-log-filters").split(":", 1)[1].split() == ["3:*qemu*", "1:*util.json*"]

    answer = patch(api, system_host, {"logging": {"filters": None}})
    assert answer.status_code == 200 and answer.json()["desired"] == {}
    assert "3:*qemu*" in virt_admin("daemon-log-filters"), "no longer managed: the daemon keeps its value"


def test_it_names_the_bad_filter_before_the_daemon_sees_it(api, system_host):
    before = virt_admin("daemon-log-filters")

    answer = patch(api, system_host, {"logging": {"filters": "3:qemu debug"}})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert "log filter 'debug' is not LEVEL:NAME" in answer.json()["message"]
    assert virt_admin("daemon-log-filters") == before


def test_a_value_the_daemon_rejects_leaves_daemon_and_desired_state_as_they_were(api, system_host):
    assert patch(api, system_host, {"client_limits": {"max_clients": 200}}).status_code == 200
    pool = virt_admin_table("srv-threadpool-info", SERVER)
    limits = virt_admin_table("srv-clients-info", SERVER)
    desired = stored_desired(system_host.pk)

    # Two changes in one request: the client limits go through first, then libvirt refuses min
    # workers above its (unmanaged) max, so the limits must be taken back too.
    answer = patch(api, system_host, {"client_limits": {"max_clients": 300},
                                      "threadpool": {"min_workers": pool["maxWorkers"] + 1}})

    assert answer.status_code == 400, answer.content
    error = answer.json()
    assert error["code"] == "rejected"
    assert "minWorkers cannot be larger than maxWorkers" in error["message"]
    assert virt_admin_table("srv-threadpool-info", SERVER)["minWorkers"] == pool["minWorkers"]
    assert virt_admin_table("srv-clients-info", SERVER)["nclients_max"] == limits["nclients_max"] == 200
    assert stored_desired(system_host.pk) == desired
    assert DaemonSettingsRevision.objects.filter(settings__host=system_host).count() == 1
    assert AuditEntry.objects.filter(action="daemon.settings.apply").latest("id").outcome.startswith("refused:")


def test_min_above_max_in_one_patch_is_refused_with_a_clear_message(api, system_host):
    answer = patch(api, system_host, {"threadpool": {"min_workers": 40, "max_workers": 10}})

    assert answer.status_code == 400
    assert "min_workers cannot be larger than max_workers" in answer.json()["message"]
    assert stored_desired(system_host.pk) == {}


def test_it_refuses_unknown_settings(api, system_host):
    answer = patch(api, system_host, {"threads": 3})

    assert answer.status_code == 400 and "threads" in answer.json()["fields"]


def test_it_lists_a_connected_client_and_disconnects_it(api, system_host):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import libvirt, sys, time; c = libvirt.open('qemu:///system'); "
                               "print('open', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"

        def mine():
            clients = api.get(url(system_host)).json()["clients"][SERVER]
            return [c for c in clients if c["identity"].get("unix_process_id") == holder.pid]

        (client,) = wait_for(mine)
        assert client["transport"] == "unix" and client["readonly"] is False
        assert client["identity"]["unix_user_name"] == "root"

        answer = api.post(url(system_host, f"/clients/{client['id']}/disconnect"), data={},
                          content_type="application/json")

        assert answer.status_code == 200, answer.content
        assert not mine()
        assert AuditEntry.objects.filter(action="daemon.client.disconnect").latest("id").outcome == "ok"
        again = api.post(url(system_host, f"/clients/{client['id']}/disconnect"), data={},
                         content_type="application/json")
        assert again.status_code == 404 and again.json()["code"] == "no_client"
    finally:
        holder.kill()
        holder.wait()


def test_tls_reload_reloads_or_answers_in_libvirts_words_when_the_daemon_has_no_tls(api, system_host):
    answer = api.post(url(system_host, "/tls-reload"), data={}, content_type="application/json")

    # The test daemon listens for TLS on 127.0.0.1 (scripts/start-libvirtd.sh), unless no certificates could be
    # made: then libvirt says it has no TLS service, and nothing breaks.
    assert answer.status_code in (200, 409), answer.content
    if answer.status_code == 409:
        assert "no tls service found" in answer.json()["message"]


def test_a_host_without_an_admin_interface_says_why(api, make_test_host):
    host = make_test_host("no-daemon", domains=1)

    body = api.get(f"/api/v1/hosts/{host.pk}/daemon").json()

    assert body["reachable"] is False and body["admin_uri"] is None
    assert "not served by a libvirt daemon" in body["error"]
    answer = patch(api, host, {"threadpool": {"max_workers": 30}})
    assert answer.status_code == 409 and answer.json()["code"] == "no_admin_interface"


def test_when_the_database_refuses_the_revision_the_daemon_is_put_back(api, system_host):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the refusing trigger is written for SQLite")
    before = virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TRIGGER refuse_daemon_revision BEFORE INSERT ON domains_daemonsettingsrevision "
                       "BEGIN SELECT RAISE(ABORT, 'the disk is full (test trigger)'); END")
    try:
        answer = patch(api, system_host, {"threadpool": {"max_workers": before + 7}})
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_daemon_revision")

    assert answer.status_code == 500
    error = answer.json()
    assert error["code"] == "not_stored" and "the disk is full" in error["message"]
    assert "The daemon was put back: nothing changed." in error["message"]
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == before
    assert stored_desired(system_host.pk) == {}
    assert "daemon put back" in AuditEntry.objects.filter(action="daemon.settings.apply").latest("id").outcome


def test_reading_the_daemon_stays_cheap(api, system_host, django_assert_max_num_queries):
    api.get(url(system_host))  # the keeper connects and applies once
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        with django_assert_max_num_queries(12):
            assert api.get(url(system_host)).status_code == 200
        timings.append(time.perf_counter() - started)

    median = sorted(timings)[len(timings) // 2]
    print(f"GET /api/v1/hosts/{{id}}/daemon: median {median * 1000:.1f} ms over 10")
    assert median < 0.5
