"""GET /api/v1/domains a page at a time: libvirt is asked about the page's domains only, in the dashboard's order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from domains.api.pagination import Pages
from domains.hosts.models import Host
from domains.libvirt.adapter import connection_for
from domains.lifecycle.listing import list_domains
from domains.lifecycle.models import Domain
from tests.lifecycle.libvirt_calls import LibvirtCallCounter

pytestmark = pytest.mark.django_db

DOMAIN_XML = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"


@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_authenticate(owner)
    return client


def names(body):
    return [item["name"] for item in body["results"]]


def every_page(api, query, limit):
    """Every page of a list, one after the other, as one list of items."""
    items, offset = [], 0
    while True:
        body = api.get(f"/api/v1/domains?{query}&limit={limit}&offset={offset}").json()
        items += body["results"]
        offset += limit
        if body["next"] is None:
            return items


def test_a_page_asks_libvirt_about_its_own_domains_only(api, make_test_host, monkeypatch):
    small = make_test_host("small", domains=10, running={0})
    api.get(f"/api/v1/domains?host={small.pk}")  # first sight lists the host and makes the rows
    with CaptureQueriesContext(connection) as small_queries:
        api.get(f"/api/v1/domains?host={small.pk}&limit=5")
    # All left running: the test driver starts every domain of its file, and each stop would be an event that
    # the one row writer takes in turn, after this test too (a later test's host reuses the id and UUIDs).
    host = make_test_host("large", domains=1000, running=set(range(1000)))
    api.get(f"/api/v1/domains?host={host.pk}&limit=1")
    counter = LibvirtCallCounter(monkeypatch)

    with CaptureQueriesContext(connection) as large_queries:
        body = api.get(f"/api/v1/domains?host={host.pk}&limit=100&offset=300").json()

    assert body["count"] == 1000
    assert names(body) == [f"vm{index:04d}" for index in range(300, 400)]
    assert counter.domains_asked == [100]
    assert "virConnect.getAllDomainStats" not in counter.calls
    assert "virConnect.listAllDomains" not in counter.calls  # nothing changed: the last listing holds
    assert len(large_queries) == len(small_queries)
    assert {item["state"] for item in body["results"]} == {"running"}
    assert all(item["running_since"] is not None for item in body["results"])


def test_every_page_together_is_the_dashboards_list_in_the_dashboards_order(api, owner, make_test_host):
    first = make_test_host("b-host", domains=4, running={1, 2})
    second = make_test_host("a-host", domains=3, running={0})
    conn = connection_for(first).get()
    # Names whose order differs by case and by accent, and a row whose domain was undefined.
    for name in ("Zeta", "alpha", "Éclair", "beta"):
        conn.defineXML(DOMAIN_XML.format(name))
    api.get("/api/v1/domains")
    conn.lookupByName("vm0003").undefine()
    conn.lookupByName("vm0002").suspend()

    paged = every_page(api, "", limit=2)

    dashboard = [item for section in list_domains(owner) for item in section.items]
    assert [(item["name"], item["host"], item["state"]) for item in paged] == [
        (item.name, item.host, item.state) for item in dashboard]
    assert [item["name"] for item in paged if item["host"] == first.pk] == [
        "Zeta", "alpha", "beta", "vm0000", "vm0001", "vm0002", "Éclair", "vm0003"]
    assert paged[-1]["state"] == "gone"
    assert {item["host"] for item in paged[:3]} == {second.pk}


@pytest.mark.parametrize("query, expected", [
    ("state=running", ["vm0001"]),
    ("state=paused", ["vm0002"]),
    ("state=shutoff", ["vm0000", "vm0003"]),
    ("state=gone", ["vm0004"]),
    ("state=crashed", []),
    ("state=sideways", []),
    ("name=3&state=shutoff", ["vm0003"]),
])
def test_a_state_filter_is_libvirts_state_now_counted_and_paged_like_any_list(api, make_test_host, query, expected):
    host = make_test_host(domains=5, running={1, 2})
    conn = connection_for(host).get()
    api.get("/api/v1/domains")
    conn.lookupByName("vm0002").suspend()
    conn.lookupByName("vm0004").undefine()

    body = api.get(f"/api/v1/domains?host={host.pk}&{query}&limit=1").json()
    every = every_page(api, f"host={host.pk}&{query}", limit=1)

    assert body["count"] == len(expected)
    assert [item["name"] for item in every] == expected
    assert {item["state"] for item in every} <= {query.split("state=")[1]}


def test_a_domain_defined_outside_the_console_is_listed_on_the_next_page(api, make_test_host, monkeypatch):
    host = make_test_host(domains=2)
    api.get("/api/v1/domains")
    connection_for(host).get().defineXML(DOMAIN_XML.format("newcomer"))

    body = api.get(f"/api/v1/domains?host={host.pk}&limit=1&offset=0").json()

    assert body["count"] == 3
    assert names(body) == ["newcomer"] and body["results"][0]["state"] == "shutoff"
    assert Domain.objects.filter(host=host, name="newcomer", gone=False).exists()


def test_a_domain_undefined_outside_the_console_answers_gone_and_its_row_says_so(api, make_test_host):
    host = make_test_host(domains=3)
    api.get("/api/v1/domains")
    connection_for(host).get().lookupByName("vm0001").undefine()

    body = api.get(f"/api/v1/domains?host={host.pk}").json()

    assert [(item["name"], item["state"]) for item in body["results"]] == [
        ("vm0000", "shutoff"), ("vm0002", "shutoff"), ("vm0001", "gone")]
    assert Domain.objects.get(host=host, name="vm0001").gone


def test_a_domain_renamed_outside_the_console_shows_its_new_name(api, make_test_host):
    host = make_test_host(domains=2)
    api.get("/api/v1/domains")
    connection_for(host).get().lookupByName("vm0000").rename("renamed-vm", 0)

    body = api.get(f"/api/v1/domains?host={host.pk}").json()

    assert "renamed-vm" in names(body) and "vm0000" not in names(body)


def test_the_domains_of_an_unreachable_or_disabled_host_answer_unknown(api, make_test_host):
    make_test_host(domains=1)
    away = Host.objects.create(name="away", uri="qemu+tcp://127.0.0.1:1/system")
    resting = Host.objects.create(name="resting", uri="test:///default", enabled=False)
    Domain.objects.create(host=away, uuid="5b0e5b36-1111-4222-8333-444455556666", name="far-vm")
    Domain.objects.create(host=resting, uuid="5b0e5b36-1111-4222-8333-444455556667", name="idle-vm")
    Domain.objects.create(host=resting, uuid="5b0e5b36-1111-4222-8333-444455556668", name="old-vm", gone=True)

    unknown = api.get("/api/v1/domains?state=unknown").json()
    everything = api.get("/api/v1/domains").json()

    assert names(unknown) == ["far-vm", "idle-vm"]
    assert [(item["name"], item["state"]) for item in everything["results"]] == [
        ("far-vm", "unknown"), ("idle-vm", "unknown"), ("old-vm", "gone"), ("vm0000", "shutoff")]


def test_a_limit_above_the_largest_page_answers_the_largest_page_and_the_way_on(api, make_test_host, monkeypatch):
    # The largest page is 1,000 (tests/api/test_pagination.py); 5 here spares the test driver 1,001 domains.
    monkeypatch.setattr(Pages, "max_limit", 5)
    host = make_test_host("largest", domains=7)

    body = api.get(f"/api/v1/domains?host={host.pk}&limit=5000").json()
    rest = api.get(body["next"]).json()

    assert body["count"] == 7
    assert names(body) == [f"vm{index:04d}" for index in range(5)]
    assert "limit=5" in body["next"] and "offset=5" in body["next"]
    assert names(rest) == ["vm0005", "vm0006"] and rest["next"] is None


def test_one_domain_asks_libvirt_about_that_domain_only(api, make_test_host, monkeypatch):
    host = make_test_host(domains=50, running=set(range(50)))
    api.get("/api/v1/domains")
    domain = Domain.objects.get(host=host, name="vm0007")
    counter = LibvirtCallCounter(monkeypatch)

    body = api.get(f"/api/v1/domains/{domain.uuid}").json()

    assert (body["name"], body["state"]) == ("vm0007", "running")
    assert counter.domains_asked == [1]
