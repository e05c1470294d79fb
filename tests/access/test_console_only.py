"""A user with a console-only grant opens the console of their VM, and can do nothing else anywhere."""

import pytest

from domains.access.permission_names import AUTHENTICATED, PUBLIC
from tests.access.test_authorization_matrix import CASES, send

# Requests any signed-in user may make that touch no VM: their session, their token, checking some XML,
# cancelling a job or switching a migration to post-copy (their own: anyone else's needs a host grant beyond
# viewing, see tests/jobs; the switch also needs migrate on the domain, see tests/migration), and the overview's
# bulk actions (each domain needs the action's own permission: a console user changes nothing, see below).
PERSONAL = {"logout-POST", "account-POST-create", "api-domain-xml-validate-POST", "job-cancel-POST",
            "api-job-cancel-POST", "api-job-postcopy-POST", "domain-bulk-action-POST-reboot"}


def _guarded(case):
    return case.need not in (PUBLIC, AUTHENTICATED)


@pytest.mark.parametrize("case", [c for c in CASES if _guarded(c)], ids=lambda c: c.id)
def test_a_console_user_gets_only_the_console_of_their_vm(client, world, case):
    client.force_login(world["people"]["Console user"])
    answer = send(client, case, world)
    may_do = {"getattr", "read", "open_device", "open_graphics"}
    # A route that needs a second permission (case.also: host-level ones) is refused to a console user.
    if case.need in may_do and not case.grant_object and not case.also:
        assert answer.status_code == case.ok, f"{case.id}: {answer.status_code}"
    else:
        assert answer.status_code in (403, 404), f"{case.id} was allowed: {answer.status_code}"


def test_the_only_changes_a_console_user_may_make_are_console_tickets():
    changing = {c.id for c in CASES if c.method != "GET" and c.need in ("open_device", "open_graphics")}
    assert changing == {"api-console-tickets-POST-serial", "api-console-tickets-POST-vnc"}
    assert {c.id for c in CASES if c.method != "GET" and c.need == AUTHENTICATED} == PERSONAL


def test_a_console_user_cannot_open_the_console_of_another_vm(client, world):
    from domains.lifecycle.models import Domain

    client.force_login(world["people"]["Console user"])
    other = Domain.objects.get(host=world["host"], name="vm0001")
    for kind in ("serial", "vnc"):
        answer = client.post(f"/api/v1/domains/{other.uuid}/console-tickets", {"kind": kind},
                             content_type="application/json")
        assert answer.status_code == 404


def test_the_domain_page_offers_a_console_user_no_action_buttons(client, world):
    client.force_login(world["people"]["Console user"])
    page = client.get(f"/domains/{world['target'].uuid}/").content.decode()
    assert "/actions/" not in page
    assert "/access/" not in page
    assert f"/domains/{world['target'].uuid}/audit/" in page


def test_the_domain_page_offers_an_operator_power_buttons_but_not_undefine(client, world):
    client.force_login(world["people"]["Operator"])
    page = client.get(f"/domains/{world['target'].uuid}/").content.decode()
    assert "/actions/start/" in page
    assert "/actions/undefine/" not in page
    assert "/actions/autostart_on/" not in page


def test_the_hosts_page_offers_no_host_management_without_manage_hosts(client, world):
    client.force_login(world["people"]["Administrator"])
    page = client.get("/hosts/").content.decode()
    assert "matrix" in page
    assert "/hosts/add/" not in page and "/remove/" not in page and "/update/" not in page
    client.force_login(world["people"]["admin"])
    page = client.get("/hosts/").content.decode()
    assert "/hosts/add/" in page and "/update/" in page


def test_a_console_users_bulk_start_of_their_vm_is_refused_audited_and_changes_nothing(client, world):
    from domains.access.lookups import libvirt_domain
    from domains.access.models import AuditEntry

    target = world["target"]
    assert not libvirt_domain(target).isActive()
    person = world["people"]["Console user"]
    client.force_login(person)

    answer = client.post("/domains/actions/", {"action": "start", "uuid": str(target.uuid)}, follow=True)

    assert not libvirt_domain(target).isActive()
    assert f"Not allowed: {target.name}." in answer.content.decode()
    assert AuditEntry.objects.filter(actor=person, action="domain.start", outcome="denied").exists()
