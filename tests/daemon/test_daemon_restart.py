"""Restart the real libvirtd: the console sees it come back, re-applies the desired settings and records that."""

import json
import time

import pytest

from domains.access.models import AuditEntry
from domains.daemon.models import DaemonSettingsRevision
from tests.conftest import wait_for
from tests.daemon.daemon_helpers import SERVER, virt_admin, virt_admin_table
from tests.libvirt_support import stop_system_libvirtd

from .conftest import start_libvirtd

pytestmark = [pytest.mark.system]

WANTED = {"server": SERVER, "threadpool": {"max_workers": 33}, "client_limits": {"max_clients": 150},
          "logging": {"filters": "3:rpc"}}


def daemon_on_wanted():
    pool = virt_admin_table("srv-threadpool-info", SERVER)
    limits = virt_admin_table("srv-clients-info", SERVER)
    return pool["maxWorkers"] == 33 and limits["nclients_max"] == 150 and "3:*rpc*" in virt_admin("daemon-log-filters")


@pytest.mark.timeout(120)
def test_it_reapplies_the_desired_settings_after_libvirtd_restarts(api, system_host):
    answer = api.patch(f"/api/v1/hosts/{system_host.pk}/daemon", data=json.dumps(WANTED),
                       content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert daemon_on_wanted()

    started = time.monotonic()
    stop_system_libvirtd()
    start_libvirtd()

    wait_for(daemon_on_wanted, timeout=30)
    first = wait_for(lambda: DaemonSettingsRevision.objects.filter(
        settings__host=system_host, reason="reapplied-after-restart").order_by("number").first(), timeout=10)
    elapsed = time.monotonic() - started

    history = list(DaemonSettingsRevision.objects.filter(settings__host=system_host).order_by("number")
                   .values_list("number", "reason"))
    # If the keeper sees the daemon go away twice while it comes up, it re-applies (and records) twice.
    assert history[0] == (1, "api") and {reason for _n, reason in history[1:]} == {"reapplied-after-restart"}, history
    assert first.number == 2 and first.author_name == ""
    assert first.desired == api.get(f"/api/v1/hosts/{system_host.pk}/daemon").json()["desired"]
    assert {change["path"] for change in first.changed} == {
        "servers.libvirtd.threadpool", "servers.libvirtd.client_limits", "logging.filters"}
    entry = AuditEntry.objects.filter(action="daemon.settings.reapply").latest("id")
    assert entry.outcome == "ok" and entry.parameters["reason"] == "reconnected"
    assert entry.actor_name == "system" and entry.parameters["revision"] >= 2
    body = api.get(f"/api/v1/hosts/{system_host.pk}/daemon").json()
    assert body["reachable"] and body["drift"] == []
    listed = api.get(f"/api/v1/hosts/{system_host.pk}/daemon/revisions").json()["results"]
    assert [row["reason"] for row in listed][-2:] == ["reapplied-after-restart", "api"]
    assert 'data-reason="reapplied-after-restart"' in api.get(f"/hosts/{system_host.pk}/daemon/").content.decode()
    print(f"restart to re-applied settings: {elapsed:.1f} s")
