"""The dashboard: every visible domain with live state, at a cost that does not grow with the domain count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domains.lifecycle.models import Domain
from tests.lifecycle.libvirt_calls import LibvirtCallCounter

pytestmark = pytest.mark.django_db


def test_it_lists_every_domain_of_a_host_with_its_state(client, owner, make_test_host):
    host = make_test_host(domains=3, running={1})
    client.force_login(owner)

    page = client.get("/").content.decode()

    assert host.name in page
    for name in ("vm0000", "vm0001", "vm0002"):
        assert name in page
    assert page.count("state-running") == 1
    assert page.count("state-shutoff") == 2


def test_it_costs_one_bulk_libvirt_call_and_constant_queries_at_1000_domains(client, owner, make_test_host, monkeypatch):
    small = make_test_host("small", domains=10, running={0})
    client.force_login(owner)
    client.get("/")  # first sight creates the rows
    counter = LibvirtCallCounter(monkeypatch)
    with CaptureQueriesContext(connection) as small_queries:
        client.get("/")
    small_calls, counter.calls = counter.calls, []
    small.delete()

    make_test_host("large", domains=1000, running=set(range(0, 1000, 3)))
    client.get("/")
    assert Domain.objects.filter(host__name="large").count() == 1000
    counter.calls = []
    with CaptureQueriesContext(connection) as large_queries:
        page = client.get("/").content.decode()

    # A page of the list, which knows how many there are.
    assert page.count("<tr data-uuid=") == 100 and "Domains 1–100 of 1000" in page
    # The domains: one bulk call, no call per domain; the host's card: the same handful of calls at 10 and 1,000.
    assert [call for call in counter.calls if "Domain" in call] == ["virConnect.getAllDomainStats"]
    assert counter.calls == small_calls
    assert len(large_queries) == len(small_queries)


def test_it_shows_a_domain_undefined_outside_the_console_as_gone_and_keeps_its_row(client, owner, make_test_host):
    host = make_test_host(domains=2)
    client.force_login(owner)
    client.get("/")
    from domains.libvirt.adapter import connection_for

    connection_for(host).get().lookupByName("vm0001").undefine()

    client.get("/")

    row = Domain.objects.get(host=host, name="vm0001")
    assert row.gone
    detail = client.get(row.get_absolute_url()).content.decode()
    assert "was undefined in libvirt" in detail


def test_it_follows_a_rename_outside_the_console(client, owner, make_test_host):
    host = make_test_host(domains=1)
    client.force_login(owner)
    client.get("/")
    from domains.libvirt.adapter import connection_for

    connection_for(host).get().lookupByName("vm0000").rename("renamed-vm", 0)

    page = client.get("/").content.decode()

    assert "renamed-vm" in page
    assert Domain.objects.get(host=host).name == "renamed-vm"


def test_it_shows_an_unreachable_host_with_libvirts_message(client, owner, db):
    from domains.hosts.models import Host

    # A raw row, as a host that went away after it was added: do_add_host refuses one it cannot reach.
    Host.objects.create(name="gone-host", uri="qemu+tcp://127.0.0.1:1/system")
    client.force_login(owner)

    page = client.get("/").content.decode()

    assert "gone-host" in page
    assert "unable to connect" in page.lower() or "connection refused" in page.lower()


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_bounds_the_uptime_of_a_domain_first_seen_running(client, owner, make_test_host):
    host = make_test_host(domains=2, running={0})
    client.force_login(owner)

    page = client.get("/").content.decode()

    row = Domain.objects.get(host=host, name="vm0000")
    assert row.running_since is not None and not row.running_since_exact
    assert "running since at least" in page
    assert Domain.objects.get(host=host, name="vm0001").running_since is None


@pytest.mark.django_db(transaction=True)
def test_it_knows_the_exact_start_time_from_the_started_event(client, owner, make_test_host):
    from domains.lifecycle.actions import do_domain_action
    from tests.conftest import wait_for

    host = make_test_host(domains=1)
    client.force_login(owner)
    client.get("/")
    row = Domain.objects.get(host=host)

    do_domain_action(owner, row, "start")

    wait_for(lambda: Domain.objects.get(pk=row.pk).running_since_exact)
    assert ">started " in client.get("/").content.decode().replace('title="', ">")
