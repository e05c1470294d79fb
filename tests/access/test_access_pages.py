"""The Access, Roles, Audit and My account pages: they show, grant, revoke and filter through the same actions."""

import html

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from domains.access import audit
from domains.access.models import AuditEntry, Grant
from domains.access.permission_names import BUILTIN_ROLES, PERMISSIONS
from domains.lifecycle.models import Domain


def text(answer):
    return html.unescape(answer.content.decode())


def test_a_domain_administrator_grants_and_revokes_on_the_access_tab(client, world):
    carol = world["people"]["Administrator"]
    client.force_login(carol)
    target = world["target"]
    page = text(client.get(f"/domains/{target.uuid}/access/"))
    assert "target-person" in page and "Viewer" in page
    answer = client.post(f"/domains/{target.uuid}/access/", {"role": "Operator", "holder": "user:outsider-two"})
    assert answer.status_code == 302
    grant = Grant.objects.get(user__username="outsider-two", domain=target)
    assert grant.role.name == "Operator"
    back = client.post(f"/access/grants/{grant.pk}/revoke/", {"next": f"/domains/{target.uuid}/access/"})
    assert back["Location"] == f"/domains/{target.uuid}/access/"
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_the_access_tab_says_why_a_grant_is_refused(client, world, define_role, grant):
    define_role("Console manager", ["getattr", "read", "open_device", "manage_grants"])
    person = world["person"]
    grant("Console manager", to=person, domain=world["target"])
    client.force_login(person)
    answer = client.post(f"/domains/{world['target'].uuid}/access/", {"role": "Operator", "holder": "user:mallory"})
    assert answer.status_code == 403
    assert "You lack the permission" in text(answer)


def test_a_host_access_page_lists_host_grants_and_grants_on_everything(client, world, grant):
    grant("Operator", to=world["person"], host=world["host"])
    client.force_login(world["people"]["admin"])
    page = text(client.get(f"/hosts/{world['host'].pk}/access/"))
    assert "every domain of host matrix" in page and "target-person" in page


def test_a_users_page_lists_their_own_and_their_groups_grants(client, world, make_group, grant):
    ops = make_group("night-ops", members=[world["person"]])
    grant("Operator", to=ops, host=world["host"])
    client.force_login(world["people"]["admin"])
    page = text(client.get(f"/access/users/{world['person'].pk}/"))
    assert "night-ops" in page and "Viewer" in page and "Operator" in page


def test_the_roles_page_defines_a_role_for_a_global_administrator(client, world):
    client.force_login(world["people"]["admin"])
    assert "Console user" in text(client.get("/access/roles/"))
    client.post("/access/roles/", {"name": "Rebooter", "permissions": ["getattr", "init_control"],
                                   "description": "Reboots only"})
    page = text(client.get("/access/roles/"))
    assert "Rebooter" in page and "Reboots only" in page


def test_the_audit_pages_filter_and_stay_within_what_one_may_read(client, world):
    other = Domain.objects.get(host=world["host"], name="vm0001")
    audit.record(world["people"]["admin"], "domain.start", world["target"])
    audit.record(world["people"]["admin"], "domain.start", other)
    audit.record(world["people"]["admin"], "host.update", world["host"])
    client.force_login(world["people"]["Viewer"])
    page = text(client.get("/audit/"))
    assert "vm0000 on matrix" in page and "vm0001 on matrix" not in page and "host.update" not in page
    tab = text(client.get(f"/domains/{world['target'].uuid}/audit/"))
    assert "domain.start" in tab
    client.force_login(world["people"]["admin"])
    filtered = text(client.get("/audit/", {"action": "host."}))
    assert "host.update" in filtered and "domain.start" not in filtered
    bad = text(client.get("/audit/", {"since": "yesterday"}))
    assert "is not a date and time" in bad


def test_the_audit_api_filters_by_domain_actor_and_outcome(client, world):
    admin = world["people"]["admin"]
    audit.record(admin, "domain.start", world["target"], outcome="denied")
    audit.record(admin, "domain.stop", world["target"])
    client.force_login(admin)
    rows = client.get("/api/v1/audit", {"domain": str(world["target"].uuid), "outcome": "denied"}).json()["results"]
    assert [r["action"] for r in rows] == ["domain.start"]
    assert client.get("/api/v1/audit", {"host": "x"}).status_code == 400
    assert client.get("/api/v1/audit", {"actor": "alice", "action": "login"}).json()["count"] >= 1


def test_my_account_makes_shows_and_revokes_a_token(client, world):
    person = world["person"]
    client.force_login(person)
    shown = text(client.post("/account/", {"token": "create"}, follow=True))
    token = Token.objects.get(user=person)
    assert token.key in shown
    assert token.key not in text(client.get("/account/"))
    client.post("/account/", {"token": "revoke"})
    assert not Token.objects.filter(user=person).exists()
    assert list(AuditEntry.objects.filter(actor_name="target-person", action__startswith="token.")
                .order_by("id").values_list("action", flat=True)) == ["token.create", "token.revoke"]


def test_drf_create_token_makes_a_token_that_acts_with_the_users_grants(world, client):
    call_command("drf_create_token", "target-person")
    key = Token.objects.get(user=world["person"]).key
    answer = client.get(f"/api/v1/domains/{world['target'].uuid}", HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 200
    refused = client.post(f"/api/v1/domains/{world['target'].uuid}/actions", {"action": "start"},
                          content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 403


@pytest.mark.parametrize("name", list(PERMISSIONS) + list(BUILTIN_ROLES))
def test_docs_permissions_md_names_every_permission_and_role(name):
    from django.conf import settings

    assert f"`{name}`" in (settings.BASE_DIR / "docs" / "permissions.md").read_text() or \
        f"### {name}" in (settings.BASE_DIR / "docs" / "permissions.md").read_text()
