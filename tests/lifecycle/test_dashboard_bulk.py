"""Bulk actions from the overview (POST /domains/actions/): each domain checked, done and audited on its own."""

import json

import pytest

from domains.access.models import AuditEntry
from domains.libvirt.adapter import connection_for
from domains.lifecycle.models import Domain

# Transactional: the flush waits for the event writes the actions set off (tests/conftest.py)
pytestmark = pytest.mark.django_db(transaction=True)


def running(host, name):
    return bool(connection_for(host).get().lookupByName(name).isActive())


def uuids(host, *names):
    return [str(Domain.objects.get(host=host, name=name).uuid) for name in names]


@pytest.fixture
def three(client, owner, make_test_host):
    """A host with vm0000 and vm0001 running, vm0002 shut off, its rows listed."""
    host = make_test_host(domains=3, running={0, 1})
    client.force_login(owner)
    client.get("/")
    return host


def test_it_forces_off_every_selected_domain_audits_each_and_says_so(client, owner, three):
    answer = client.post("/domains/actions/", {"action": "destroy", "uuid": uuids(three, "vm0000", "vm0001")},
                         follow=True)

    assert not running(three, "vm0000") and not running(three, "vm0001")
    page = answer.content.decode()
    assert "msg-success" in page and "Force off: vm0000, vm0001." in page
    entries = AuditEntry.objects.filter(action="domain.destroy", actor=owner, outcome="ok")
    assert sorted(entries.values_list("target_label", flat=True)) == ["vm0000 on testhost", "vm0001 on testhost"]


def test_it_skips_a_domain_not_in_a_state_for_the_action_and_does_the_others(client, three):
    answer = client.post("/domains/actions/", {"action": "destroy", "uuid": uuids(three, "vm0000", "vm0002")},
                         follow=True).content.decode()

    assert not running(three, "vm0000")
    assert "Force off: vm0000." in answer and "vm0002 (Shut off)" in answer and "msg-warning" in answer
    assert not AuditEntry.objects.filter(action="domain.destroy", target_label__startswith="vm0002").exists()


def test_it_refuses_and_audits_each_domain_the_user_may_not_act_on(client, three, teammate, grant):
    vm0, vm1 = Domain.objects.get(host=three, name="vm0000"), Domain.objects.get(host=three, name="vm0001")
    grant("Operator", to=teammate, domain=vm0)
    grant("Viewer", to=teammate, domain=vm1)
    client.force_login(teammate)

    answer = client.post("/domains/actions/", {"action": "destroy", "uuid": uuids(three, "vm0000", "vm0001")},
                         follow=True).content.decode()

    assert not running(three, "vm0000") and running(three, "vm0001")
    assert "Not allowed: vm0001." in answer
    refusal = AuditEntry.objects.get(action="domain.destroy", actor=teammate, target_label__startswith="vm0001")
    assert refusal.outcome == "denied"


def test_it_counts_a_domain_the_user_may_not_see_as_not_found_and_touches_nothing(client, three, outsider):
    client.force_login(outsider)

    answer = client.post("/domains/actions/", {"action": "destroy", "uuid": uuids(three, "vm0000") + ["not-a-uuid"]},
                         follow=True)

    # The id of a domain the outsider may not see and a malformed one: both told as not found, neither touched.
    assert answer.status_code == 200 and running(three, "vm0000")
    assert "2 not found" in answer.content.decode() and "msg-error" in answer.content.decode()


def test_it_refuses_an_action_that_is_not_for_several_domains(client, three):
    answer = client.post("/domains/actions/", {"action": "undefine", "uuid": uuids(three, "vm0002")},
                         follow=True).content.decode()

    assert "cannot be done on several domains at once" in answer
    assert Domain.objects.filter(host=three, name="vm0002", gone=False).exists()


def test_it_answers_htmx_with_a_toast_and_no_page(client, three):
    answer = client.post("/domains/actions/", {"action": "start", "uuid": uuids(three, "vm0002")},
                         headers={"HX-Request": "true"})

    assert answer.status_code == 204
    assert json.loads(answer["HX-Trigger"])["vc-toast"] == {"text": "Start: vm0002.", "kind": "success"}
    assert running(three, "vm0002")


def test_it_goes_back_to_the_list_as_it_was_filtered(client, three):
    answer = client.post("/domains/actions/", {"action": "start", "uuid": uuids(three, "vm0002"),
                                               "list_query": "q=vm&state=shutoff"})

    assert answer.status_code == 302 and answer["Location"] == "/?q=vm&state=shutoff"


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    client.logout()

    answer = client.post("/domains/actions/", {"action": "start"})

    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


def test_more_domains_than_it_acts_on_at_once_are_refused_whole_saying_how_many(client, three):
    from domains.lifecycle.bulk import MOST_AT_ONCE

    # Ids of no domain (not the test driver's 00000000-… ones), past the limit with the two running domains:
    # nothing may be done, not even to the first 500.
    too_many = [f"11111111-0000-4000-8000-{n:012x}" for n in range(MOST_AT_ONCE)] + uuids(three, "vm0000", "vm0001")
    answer = client.post("/domains/actions/", {"action": "destroy", "uuid": too_many}, follow=True).content.decode()

    assert running(three, "vm0000") and running(three, "vm0001")
    assert "msg-error" in answer and f"{MOST_AT_ONCE + 2} domains were selected; at most {MOST_AT_ONCE}" in answer
    assert not AuditEntry.objects.filter(action="domain.destroy").exists()
