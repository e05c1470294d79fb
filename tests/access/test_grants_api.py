"""POST/GET/DELETE /api/v1/grants, GET/POST /api/v1/roles: who may grant what, and what revoking closes."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from domains.access import permissions
from domains.access.grants import do_grant, do_revoke
from domains.access.models import AuditEntry, Grant, Role
from domains.access.permissions import PermissionDenied, has_perm
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@pytest.fixture
def vms(make_test_host):
    host = make_test_host("grants-host", domains=3)
    inventory.sync_host(host)
    return host, list(Domain.objects.filter(host=host).order_by("name"))


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_owner_grants_a_role_on_a_domain_through_the_api(owner, teammate, vms):
    _, rows = vms
    answer = api_as(owner).post("/api/v1/grants", {"user": "bob", "role": "Console user",
                                                   "domain": str(rows[0].uuid)}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["scope"] == "domain" and answer.json()["domain"] == str(rows[0].uuid)
    assert has_perm(teammate, "open_graphics", rows[0])
    again = api_as(owner).post("/api/v1/grants", {"user": "bob", "role": "Console user",
                                                  "domain": str(rows[0].uuid)}, format="json")
    assert again.status_code == 200 and again.json()["id"] == answer.json()["id"]
    entry = AuditEntry.objects.filter(action="grant.add").get()
    assert entry.target_id == str(rows[0].pk) and entry.parameters["user"] == "bob"


def test_it_grants_to_a_group_on_a_host_and_globally(owner, make_group, vms):
    host, rows = vms
    make_group("ops")
    assert api_as(owner).post("/api/v1/grants", {"group": "ops", "role": "Operator", "host": host.pk},
                              format="json").status_code == 201
    assert api_as(owner).post("/api/v1/grants", {"user": "alice", "role": "Viewer"},
                              format="json").json()["scope"] == "global"


def test_it_rejects_unknown_holders_roles_and_double_scopes(owner, teammate, vms):
    host, rows = vms
    client = api_as(owner)
    cases = [
        ({"user": "nobody", "role": "Viewer"}, "no user named 'nobody'"),
        ({"group": "nogroup", "role": "Viewer"}, "no group named"),
        ({"user": "bob", "role": "Emperor"}, "no role named 'Emperor'"),
        ({"role": "Viewer"}, "exactly one holder"),
        ({"user": "bob", "group": "x", "role": "Viewer"}, "exactly one holder"),
        ({"user": "bob", "role": "Viewer", "domain": str(rows[0].uuid), "host": host.pk}, "only one of them"),
    ]
    for body, message in cases:
        answer = client.post("/api/v1/grants", body, format="json")
        assert answer.status_code == 400, body
        assert message in answer.json()["message"], answer.json()


def test_it_hides_a_domain_the_granter_cannot_see(make_user, teammate, grant, vms):
    _, rows = vms
    carol = make_user("carol")
    grant("Administrator", to=carol, domain=rows[0])
    answer = api_as(carol).post("/api/v1/grants", {"user": "bob", "role": "Viewer", "domain": str(rows[1].uuid)},
                                format="json")
    assert answer.status_code == 404


def test_it_refuses_a_granter_without_manage_grants(make_user, teammate, grant, vms):
    _, rows = vms
    carol = make_user("carol")
    grant("Power user", to=carol, domain=rows[0])
    answer = api_as(carol).post("/api/v1/grants", {"user": "bob", "role": "Viewer", "domain": str(rows[0].uuid)},
                                format="json")
    assert answer.status_code == 403
    assert answer.json()["fields"]["permission"] == "manage_grants"
    assert AuditEntry.objects.filter(action="grant.add", outcome="denied").exists()


def test_a_granter_cannot_give_more_than_they_hold(make_user, teammate, grant, define_role, vms):
    _, rows = vms
    carol = make_user("carol")
    define_role("Console manager", Role.objects.get(name="Console user").permissions + ["manage_grants"])
    grant("Console manager", to=carol, domain=rows[0])
    with pytest.raises(PermissionDenied) as refused:
        do_grant(carol, "Operator", to_user=teammate, domain=rows[0])
    assert refused.value.permission in Role.objects.get(name="Operator").permissions
    given, _ = do_grant(carol, "Console user", to_user=teammate, domain=rows[0])
    assert given.domain == rows[0]


def test_a_domain_administrator_may_grant_administrator_on_that_domain(make_user, teammate, grant, vms):
    _, rows = vms
    carol = make_user("carol")
    grant("Administrator", to=carol, domain=rows[0])
    _, created = do_grant(carol, "Administrator", to_user=teammate, domain=rows[0])
    assert created
    with pytest.raises(PermissionDenied):
        do_grant(carol, "Viewer", to_user=teammate, host=rows[0].host)


def test_listing_shows_managed_scopes_and_ones_own_grants(owner, make_user, teammate, grant, vms):
    _, rows = vms
    carol = make_user("carol")
    grant("Administrator", to=carol, domain=rows[0])
    grant("Viewer", domain=rows[0])
    grant("Viewer", domain=rows[1])
    grant("Viewer", domain=rows[2])
    seen_by_carol = {(g["user"], g["domain"]) for g in api_as(carol).get("/api/v1/grants").json()["results"]}
    assert seen_by_carol == {("carol", str(rows[0].uuid)), ("bob", str(rows[0].uuid))}
    assert len(api_as(teammate).get("/api/v1/grants").json()["results"]) == 3
    assert len(api_as(owner).get("/api/v1/grants").json()["results"]) == 4


def test_delete_revokes_and_audits(owner, teammate, grant, vms):
    _, rows = vms
    given = grant("Operator", domain=rows[0])
    assert api_as(owner).delete(f"/api/v1/grants/{given.pk}").status_code == 204
    assert not Grant.objects.filter(pk=given.pk).exists()
    assert not has_perm(teammate, "getattr", rows[0])
    assert AuditEntry.objects.filter(action="grant.revoke", outcome="ok", target_id=str(rows[0].pk)).exists()


def test_delete_answers_404_for_a_grant_the_caller_cannot_see(make_user, teammate, grant, vms):
    _, rows = vms
    theirs = grant("Operator", to=make_user("dave"), domain=rows[1])
    grant("Administrator", domain=rows[0])
    assert api_as(teammate).delete(f"/api/v1/grants/{theirs.pk}").status_code == 404
    assert Grant.objects.filter(pk=theirs.pk).exists()


def test_revoking_tells_listeners_which_domains_each_user_lost(owner, teammate, make_group, grant, vms):
    host, rows = vms
    ops = make_group("ops", members=[teammate])
    grant("Console user", domain=rows[1])  # keeps this one through another grant
    given = grant("Console user", to=ops, host=host)
    heard = []

    def listener(user, domain):
        heard.append((user.username, domain.name))

    permissions.on_revoke(listener)
    try:
        do_revoke(owner, given)
    finally:
        permissions._revoke_listeners.remove(listener)
    assert sorted(heard) == [("bob", "vm0000"), ("bob", "vm0002")]


def test_a_token_acts_with_its_users_grants_and_can_be_revoked(teammate, grant, vms):
    _, rows = vms
    grant("Viewer", domain=rows[0])
    token = Token.objects.create(user=teammate)  # no action makes tokens: the tokens page writes this row itself
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"/api/v1/domains/{rows[0].uuid}").status_code == 200
    assert client.get(f"/api/v1/domains/{rows[1].uuid}").status_code == 404
    refused = client.post(f"/api/v1/domains/{rows[0].uuid}/actions", {"action": "start"}, format="json")
    assert refused.status_code == 403 and refused.json()["fields"]["permission"] == "start"
    token.delete()
    gone = client.get(f"/api/v1/domains/{rows[0].uuid}")
    # DRF answers 403, not 401, because session authentication comes first and sends no challenge.
    assert gone.status_code == 403 and gone.json()["code"] == "authentication_failed"


def test_roles_are_listed_and_new_ones_defined_within_what_one_holds(owner, outsider):
    names = [r["name"] for r in api_as(owner).get("/api/v1/roles").json()]
    assert names[:8] == ["Administrator", "Console user", "Network user", "Operator", "Pool user", "Pool viewer",
                         "Power user", "Viewer"]
    made = api_as(owner).post("/api/v1/roles", {"name": "Rebooter", "permissions": ["getattr", "init_control"]},
                              format="json")
    assert made.status_code == 201, made.json()
    no_getattr = api_as(owner).post("/api/v1/roles", {"name": "Blind", "permissions": ["start"]}, format="json")
    assert no_getattr.status_code == 400 and "getattr" in no_getattr.json()["message"]
    assert api_as(outsider).post("/api/v1/roles", {"name": "X", "permissions": ["getattr"]},
                                 format="json").status_code == 403
