"""Rolling the daemon settings back to an earlier revision, through the same apply as any change (real libvirtd)."""

import pytest

from domains.access.models import AuditEntry
from domains.daemon.actions import DaemonSettingsError, do_apply_daemon_settings, do_rollback_daemon_settings
from domains.daemon.models import DaemonSettings
from domains.hosts.actions import do_add_host
from tests.daemon.daemon_helpers import SERVER, virt_admin_table

pytestmark = [pytest.mark.system]


def test_it_puts_the_daemon_back_on_an_earlier_revision_and_records_a_rollback(system_host, owner):
    first = do_apply_daemon_settings(owner, system_host, {"threadpool": {"max_workers": 30}})
    second = do_apply_daemon_settings(owner, system_host, {"threadpool": {"max_workers": 40},
                                                     "client_limits": {"max_clients": 100}})

    rolled = do_rollback_daemon_settings(owner, system_host, first)

    assert (rolled.number, rolled.reason, rolled.rollback_of, rolled.who) == (3, "rollback", 1, "alice")
    assert rolled.desired == first.desired == DaemonSettings.objects.get(host=system_host).desired
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 30
    assert first.diff_lines(rolled) == [] and first.has_content(rolled.content_text())
    assert ("remove", '"max_clients": 100') in [(line.kind, line.text.strip()) for line in second.diff_lines(rolled)]
    entry = AuditEntry.objects.filter(action="daemon.settings.apply").latest("id")
    assert entry.outcome == "ok" and entry.parameters["rollback_to"] == 1 and entry.parameters["revision"] == 3


def test_it_refuses_a_revision_of_another_host(system_host, owner):
    other = do_add_host(owner, "other", "test:///default")
    # Written directly: a test:/// host has no daemon whose settings an action could apply.
    theirs = DaemonSettings.objects.create(host=other).revisions.create(number=1, desired={}, reason="api")
    do_apply_daemon_settings(owner, system_host, {"threadpool": {"max_workers": 30}})

    with pytest.raises(DaemonSettingsError, match="belongs to another daemon settings") as refused:
        do_rollback_daemon_settings(owner, system_host, theirs)
    assert refused.value.status == 400


def test_the_daemon_page_offers_a_rollback_and_it_applies(api, system_host, owner):
    do_apply_daemon_settings(owner, system_host, {"threadpool": {"max_workers": 30}})
    do_apply_daemon_settings(owner, system_host, {"threadpool": {"max_workers": 40}})
    page = api.get(f"/hosts/{system_host.pk}/daemon/").content.decode()
    assert f"/hosts/{system_host.pk}/daemon/revisions/1/rollback/" in page

    answer = api.post(f"/hosts/{system_host.pk}/daemon/revisions/1/rollback/", follow=True)

    assert "Rolled back to revision 1: stored as revision 3." in answer.content.decode()
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 30
