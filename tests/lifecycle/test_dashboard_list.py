"""The overview's domain list: search, filters, sort, undefined rows hidden, one row alone, plain words, row actions."""

import html
import re

import pytest

from domains.libvirt.adapter import connection_for
from domains.lifecycle import overview
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db


def names_in_order(page):
    return re.findall(r'<tr data-uuid="[^"]+" data-host="\d+" data-name="([^"]+)"', page)


def listed(client, query=""):
    return names_in_order(client.get(f"/{query}").content.decode())


def test_it_finds_domains_by_a_part_of_their_name_in_any_case(client, owner, make_test_host):
    make_test_host(domains=3)
    client.force_login(owner)

    assert listed(client, "?q=M0001") == ["vm0001"]
    assert listed(client, "?q=nothing-like-it") == []
    assert "No domain you may see matches these filters." in client.get("/?q=nothing-like-it").content.decode()


def test_it_filters_by_state_and_by_host(client, owner, make_test_host):
    first = make_test_host("first", domains=3, running={1})
    make_test_host("second", domains=2)
    client.force_login(owner)

    assert listed(client, "?state=running") == ["vm0001"]
    assert listed(client, f"?state=shutoff&host={first.pk}") == ["vm0000", "vm0002"]
    assert len(listed(client, "?state=shutoff")) == 4
    assert len(listed(client, f"?host={first.pk}")) == 3
    assert len(listed(client, "?state=not-a-state&host=x")) == 5  # what does not parse filters nothing


def test_it_sorts_by_name_state_host_memory_and_vcpus_both_ways(client, owner, make_test_host):
    make_test_host("b-host", domains=2, running={1})
    make_test_host("a-host", domains=1)
    client.force_login(owner)

    # Same names on both hosts: the order by name keeps both, sorted by name
    assert listed(client, "?sort=name") == ["vm0000", "vm0000", "vm0001"]
    assert listed(client, "?sort=name&dir=desc") == ["vm0001", "vm0000", "vm0000"]
    assert listed(client, "?sort=state")[0] == "vm0001"  # running before shut off
    assert listed(client, "?sort=state&dir=desc")[-1] == "vm0001"
    page = client.get("/?sort=host").content.decode()
    assert page.index("a-host</td>") < page.index("b-host</td>")
    for column in ("memory", "vcpus"):
        assert sorted(listed(client, f"?sort={column}")) == ["vm0000", "vm0000", "vm0001"]
    assert 'aria-sort="descending"' in client.get("/?sort=memory&dir=desc").content.decode()


def test_it_shows_a_page_of_rows_at_a_time_with_links_to_the_pages_before_and_after_in_the_same_order(
        client, owner, make_test_host, monkeypatch):
    monkeypatch.setattr(overview, "PAGE_ROWS", 2)
    host = make_test_host(domains=5)
    client.force_login(owner)

    def page_and_links(query):
        page = client.get(f"/{query}").content.decode()
        links = {rel: html.unescape(link) for rel, link in re.findall(r'rel="(prev|next)" href="([^"]+)"', page)}
        return page, names_in_order(page), links

    page, names, links = page_and_links(f"?host={host.pk}&sort=name&dir=desc")
    assert names == ["vm0004", "vm0003"] and set(links) == {"next"}
    assert "Domains 1–2 of 5" in page
    page, names, links = page_and_links(links["next"])
    assert names == ["vm0002", "vm0001"] and set(links) == {"prev", "next"}
    assert "Domains 3–4 of 5" in page
    # Where the page begins and ends in the order, so the live list adds only rows that sort within it.
    assert 'data-first-state="shutoff" data-first-key="[&quot;vm0002&quot;]"' in page
    assert 'data-last-state="shutoff" data-last-key="[&quot;vm0001&quot;]"' in page
    page, names, links = page_and_links(links["next"])
    assert names == ["vm0000"] and set(links) == {"prev"}
    assert "Domains 5–5 of 5" in page
    assert page_and_links(links["prev"])[1] == ["vm0002", "vm0001"]
    # A page past the last shows the last; a page that is no number, the first.
    assert page_and_links(f"?host={host.pk}&page=99")[1] == ["vm0004"]
    assert page_and_links(f"?host={host.pk}&page=x")[1] == ["vm0000", "vm0001"]
    # Digits int() refuses, or more than any page or id has: the first page, every host, not a server error.
    assert page_and_links(f"?host={host.pk}&page=²")[1] == ["vm0000", "vm0001"]
    assert page_and_links(f"?host={host.pk}&page={'9' * 30}")[1] == ["vm0004"]
    assert len(page_and_links("?host=²")[1]) == 2 and len(page_and_links(f"?host={'9' * 30}")[1]) == 2
    # Filters and sort links start again at the first page; one page needs no links.
    assert "data-pager" not in client.get(f"/?host={host.pk}&q=vm0001&page=2").content.decode()
    assert "page=" not in re.search(r'class="sort-link" href="([^"]+)"', page).group(1)


def test_it_hides_undefined_rows_until_asked_and_says_how_many(client, owner, make_test_host):
    host = make_test_host(domains=2)
    client.force_login(owner)
    client.get("/")
    connection_for(host).get().lookupByName("vm0001").undefine()

    page = client.get("/").content.decode()

    assert names_in_order(page) == ["vm0000"]
    assert "1 undefined domain is hidden." in page
    shown = client.get("/?gone=1").content.decode()
    assert names_in_order(shown) == ["vm0000", "vm0001"]
    assert 'data-state="gone"' in shown and ">Undefined</span>" in shown
    assert listed(client, "?state=gone") == ["vm0001"]


def test_it_shows_states_in_plain_words_with_libvirts_reason_as_detail_and_memory_in_binary_units(
        client, owner, make_test_host):
    make_test_host(domains=2, running={0})
    client.force_login(owner)

    page = client.get("/").content.decode()

    assert ">Running</span>" in page and ">Shut off</span>" in page
    assert 'title="libvirt: shutoff' in page
    assert "shutoff (unknown)" not in page
    assert " MB" not in page and "\xa0MB" not in page


@pytest.mark.parametrize("kib, shown", [(262144, "256\xa0MiB"), (1572864, "1.5\xa0GiB"), (16777216, "16\xa0GiB"),
                                        (512, "512\xa0KiB"), (None, "—")])
def test_it_writes_memory_in_binary_units(kib, shown):
    from console.templatetags.binary_units import binary_kib

    assert binary_kib(kib) == shown


def test_it_draws_one_row_alone_for_the_live_list_only_if_it_matches_the_filters(client, owner, make_test_host):
    host = make_test_host(domains=2, running={0})
    client.force_login(owner)
    client.get("/")
    uuid = Domain.objects.get(host=host, name="vm0000").uuid

    alone = client.get(f"/?row={uuid}", headers={"HX-Request": "true"}).content.decode()
    filtered_out = client.get(f"/?row={uuid}&state=shutoff", headers={"HX-Request": "true"}).content.decode()

    assert names_in_order(alone) == ["vm0000"] and "<html" not in alone
    assert filtered_out.strip() == ""


def test_it_answers_the_list_alone_to_the_filters_htmx_request(client, owner, make_test_host):
    make_test_host(domains=3)
    client.force_login(owner)

    answer = client.get("/?q=0002", headers={"HX-Request": "true", "HX-Target": "domain-list"}).content.decode()

    assert "<html" not in answer and names_in_order(answer) == ["vm0002"]
    assert 'name="sort"' in answer  # the sort is carried with the next filter change


def test_it_hides_a_row_that_a_viewer_may_not_touch_from_actions_and_selection(client, make_test_host, teammate,
                                                                               grant):
    host = make_test_host(domains=2, running={0})
    client.force_login(teammate)
    grant("Viewer", to=teammate, host=host)

    page = client.get("/").content.decode()

    assert names_in_order(page) == ["vm0000", "vm0001"]
    assert "data-row-action" not in page and "data-select-row" not in page and "data-bulk-action" not in page


def test_it_offers_an_operator_the_actions_that_fit_each_rows_state(client, make_test_host, teammate, grant):
    host = make_test_host(domains=2, running={0})
    client.force_login(teammate)
    grant("Operator", to=teammate, host=host)

    page = client.get("/").content.decode()
    running, shut_off = page.split('data-name="vm0001"')

    assert 'data-row-action="destroy"' in running and 'data-row-action="start"' not in running
    assert 'data-row-action="start"' in shut_off and 'data-row-action="destroy"' not in shut_off
    assert 'data-bulk-action="start"' in page
    assert "data-confirm=" in running  # force off asks first


def test_it_shows_each_host_with_its_cpus_memory_domains_pools_and_networks(client, owner, make_test_host):
    host = make_test_host(domains=3, running={2})
    client.force_login(owner)

    page = client.get("/").content.decode()
    card = page[page.index(f'data-host="{host.pk}" aria-labelledby'):page.index('id="domains"')]

    assert "CPUs" in card and "16\xa0GiB" in card
    assert "1 running of 3" in card
    assert re.search(rf'href="/hosts/{host.pk}/pools/">\d+<', card)
    assert re.search(rf'href="/hosts/{host.pk}/networks/">\d+<', card)


def test_it_links_to_pools_and_networks_only_where_the_user_may_open_them(client, owner, make_test_host, teammate,
                                                                         grant):
    host = make_test_host(domains=1)
    client.force_login(owner)
    client.get("/")
    grant("Viewer", to=teammate, domain=Domain.objects.get(host=host))
    client.force_login(teammate)

    page = client.get("/").content.decode()

    assert f"/hosts/{host.pk}/networks/" not in page  # network.getattr is host-level
    assert client.get(f"/hosts/{host.pk}/pools/").status_code == 200  # the pools page needs a sight of the host
    assert f"/hosts/{host.pk}/pools/" in page
    # ... but not how many pools the host has: some may not be theirs to see.
    pools_link = page[page.index(f'href="/hosts/{host.pk}/pools/">'):]
    assert pools_link[len(f'href="/hosts/{host.pk}/pools/">'):].startswith("Open")
