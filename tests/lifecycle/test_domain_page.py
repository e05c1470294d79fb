"""The domain page on the test driver: actions first and only those the user may do (no empty card), the questions
destructive ones ask, a refused undefine keeping what was typed, states and sizes in words, the parts read again
after a lifecycle event, and the Snapshots tab's own page."""

import json
import re

import pytest

from console.units import binary_size
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lab(make_test_host):
    host = make_test_host("pagelab", domains=2, running=(0,))
    inventory.sync_host(host)
    return {"running": Domain.objects.get(host=host, name="vm0000"), "stopped": Domain.objects.get(host=host,
                                                                                                    name="vm0001")}


def page_of(client, domain, tail=""):
    answer = client.get(f"/domains/{domain.uuid}/{tail}")
    assert answer.status_code == 200
    return answer.content.decode()


def button(page, action):
    """The lifecycle button of action (its whole tag), or None."""
    found = re.search(rf'<button [^>]*value="{action}"[^>]*>', page)
    return found.group(0) if found else None


def test_a_console_user_sees_no_actions_card_and_no_qemu_card(client, teammate, grant, lab):
    grant("Console user", to=teammate, domain=lab["running"])
    client.force_login(teammate)

    page = page_of(client, lab["running"])

    assert 'id="domain-actions"' in page  # the place htmx fills again after a lifecycle event, empty
    assert "domain-actions-title" not in page and "data-more-actions" not in page and 'value="destroy"' not in page
    assert "qemu-extras" not in page and "QEMU extras" not in page
    assert "Serial console" in page  # what the grant gives is there


def test_the_owner_sees_start_first_and_the_rarer_actions_under_more(client, owner, lab):
    client.force_login(owner)

    page = page_of(client, lab["stopped"])

    start = button(page, "start")
    assert start and "btn btn-primary" in start
    assert page.index("domain-actions-title") < page.index('class="card mb-3 live-panel"') < \
        page.index("domain-facts-title")
    more = page.split("data-more-actions", 1)[1].split("</ul>", 1)[0]
    assert f'href="/domains/{lab["stopped"].uuid}/clone/"' in more and 'href="#migrate"' in more
    assert 'value="autostart_on"' in more and 'data-bs-target="#undefine-panel"' in more
    assert button(page, "destroy") is None  # shut off: nothing to force off


def test_an_operator_has_the_power_buttons_but_neither_clone_nor_undefine(client, teammate, grant, lab):
    grant("Operator", to=teammate, domain=lab["running"])
    client.force_login(teammate)

    page = page_of(client, lab["running"])

    assert button(page, "shutdown") and "btn-primary" in button(page, "shutdown")
    assert button(page, "destroy")
    assert "/clone/" not in page and "undefine-panel" not in page


def test_force_off_and_reset_ask_first_saying_what_is_lost(client, owner, lab):
    client.force_login(owner)

    page = page_of(client, lab["running"])

    for action, question in (("destroy", "Force off vm0000?"), ("reset", "Reset vm0000?")):
        tag = button(page, action)
        assert f'data-confirm="{question}"' in tag
        details = json.loads(re.search(r'data-confirm-details="([^"]*)"', tag).group(1).replace("&quot;", '"'))
        assert any("lost" in line for line in details)
    assert button(page, "shutdown") and "data-confirm" not in button(page, "shutdown")
    undefine = page.split('class="undefine-form', 1)[1].split(">", 1)[0]
    assert 'data-confirm="Undefine vm0000?"' in undefine and "data-confirm-details" in undefine


def test_a_refused_undefine_keeps_what_was_typed_and_points_at_the_name(client, owner, lab):
    client.force_login(owner)
    domain = lab["stopped"]

    answer = client.post(f"/domains/{domain.uuid}/actions/undefine/",
                         {"confirm_name": "vm000", "remove_storage": "on"})

    assert answer.status_code == 400
    page = answer.content.decode()
    assert '<div class="collapse show" id="undefine-panel">' in page
    field = re.search(r'<input id="undefine-confirm-name"[^>]*>', page).group(0)
    assert 'value="vm000"' in field and "is-invalid" in field and "autofocus" in field
    assert 'id="undefine-confirm-name-error"' in page
    assert re.search(r'name="remove_storage" id="undefine-remove-storage" checked', page)
    assert Domain.objects.get(pk=domain.pk).gone is False


def test_states_read_in_words_with_the_reason_and_memory_in_binary_units(client, owner, lab):
    client.force_login(owner)

    page = page_of(client, lab["running"])

    assert '<span class="state state-running" data-state="running">Running</span>' in page
    assert "64\xa0MiB (at most 64\xa0MiB)" in page
    assert " MB" not in page and "shutoff" not in page.split("<main", 1)[1].split("live.js", 1)[0]
    stopped = page_of(client, lab["stopped"])
    assert 'data-state="shutoff">Shut off</span>' in stopped


def test_the_summary_carries_the_actions_and_the_state_and_facts_out_of_band(client, owner, lab):
    client.force_login(owner)

    summary = page_of(client, lab["running"], "summary/")

    assert summary.lstrip().startswith("<div id=\"domain-actions\"") or 'id="domain-actions"' in summary.split("\n")[1]
    assert 'hx-trigger="vc:domain-lifecycle from:body"' in summary
    assert '<span id="domain-state" class="domain-state" hx-swap-oob="true">' in summary
    assert 'id="domain-facts"' in summary and summary.count('hx-swap-oob="true"') == 2
    assert "<html" not in summary


def test_the_snapshots_tab_opens_a_page_with_the_snapshots_and_the_backups(client, owner, teammate, grant, lab):
    client.force_login(owner)
    domain = lab["running"]

    overview = page_of(client, domain)
    assert f'href="/domains/{domain.uuid}/snapshots/">Snapshots</a>' in overview
    assert 'id="snapshots"' not in overview and 'id="backups"' not in overview

    page = page_of(client, domain, "snapshots/")
    assert 'id="snapshots"' in page and 'id="backups"' in page and 'aria-current="page"' in page
    # A console user reads the snapshots and backups, and is offered nothing to change there.
    grant("Console user", to=teammate, domain=domain)
    client.force_login(teammate)
    page = page_of(client, domain, "snapshots/")
    assert 'id="snapshots"' in page and "Take a snapshot" not in page and 'method="post"' not in page.split(
        'id="snapshots"', 1)[1].split("<footer", 1)[0].replace('action="/logout/"', "")


@pytest.mark.parametrize("size,words", [(0, "0\xa0B"), (1023, "1023\xa0B"), (268435456, "256\xa0MiB"),
                                        (1610612736, "1.5\xa0GiB"), (1024 ** 4, "1\xa0TiB"), (None, "—")])
def test_sizes_are_said_in_binary_units(size, words):
    assert binary_size(size) == words
