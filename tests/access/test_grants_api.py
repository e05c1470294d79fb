"""POST/GET/DELETE /api/v1/grants, GET/POST /api/v1/roles: who may grant what, and what revoking closes."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from domains.access import permissions
from domains.access.grants import do_grant, do_revoke
from domains.access.models import AuditEntry, Grant
from domains.access.permissions import PermissionDenied, has_perm
from domains.lifecycle.models import Domain


@pytest.fixture
def vms(make_test_host):
    host = make_test_host("grants-host", domains=3)
    rows = [Domain.objects.create(host=host, uuid=f"00000000-0000-4000-8000-{i:012d}", name=f"vm{i:04d}")
            for i in range(3)]
    return host, rows


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_admin_grants_a_role_on_a_domain_through_the_api(admin, make_user, vms):
    _, rows = vms
    bob = make_user("bob")
    answer = api_as(admin).post("/api/v1/grants", {"user": "bob", "role": "Console user",
                                                   "domain": str(rows[0].uuid)}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["scope"] == "domain" and answer.json()["domain"] == str(rows[0].uuid)
    assert has_perm(bob, "open_graphics", rows[0])
    again = api_as(admin).post("/api/v1/grants", {"user": "bob", "role": "Console user",
                                                  "domain": str(rows[0].uuid)}, format="json")
    assert again.status_code == 200 and again.json()["id"] == answer.json()["id"]
    entry = AuditEntry.objects.filter(action="grant.add").get()
    assert entry.target_id == str(rows[0].pk) and entry.parameters["user"] == "bob"


def test_it_grants_to_a_group_on_a_host_and_globally(admin, make_user, vms):
    host, rows = vms
    Group.objects.create(name="ops")
    assert api_as(admin).post("/api/v1/grants", {"group": "ops", "role": "Operator", "host": host.pk},
                              format="json").status_code == 201
    assert api_as(admin).post("/api/v1/grants", {"user": "alice", "role": "Viewer"},
                              format="json").json()["scope"] == "global"


def test_it_rejects_unknown_holders_roles_and_double_scopes(admin, make_user, vms):
    host, rows = vms
    make_user("bob")
    client = api_as(admin)
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


def test_it_hides_a_domain_the_granter_cannot_see(make_user, give, vms):
    _, rows = vms
    carol = make_user("carol")
    make_user("bob")
    give(carol, "Administrator", domain=rows[0])
    answer = api_as(carol).post("/api/v1/grants", {"user": "bob", "role": "Viewer", "domain": str(rows[1].uuid)},
                                format="json")
    assert answer.status_code == 404


def test_it_refuses_a_granter_without_manage_grants(make_user, give, vms):
    _, rows = vms
    carol = make_user("carol")
    make_user("bob")
    give(carol, "Power user", domain=rows[0])
    answer = api_as(carol).post("/api/v1/grants", {"user": "bob", "role": "Viewer", "domain": str(rows[0].uuid)},
                                format="json")
    assert answer.status_code == 403
    assert answer.json()["fields"]["permission"] == "manage_grants"
    assert AuditEntry.objects.filter(action="grant.add", outcome="denied").exists()


def test_a_granter_cannot_give_more_than_they_hold(make_user, give, role, vms):
    _, rows = vms
    carol = make_user("carol")
    bob = make_user("bob")
    from domains.access.models import Role

    Role.objects.create(name="Console manager", permissions=role("Console user").permissions + ["manage_grants"])
    give(carol, "Console manager", domain=rows[0])
    with pytest.raises(PermissionDenied) as refused:
        do_grant(carol, "Operator", to_user=bob, domain=rows[0])
    assert refused.value.permission in role("Operator").permissions
    grant, _ = do_grant(carol, "Console user", to_user=bob, domain=rows[0])
    assert grant.domain == rows[0]


def test_a_domain_administrator_may_grant_administrator_on_that_domain(make_user, give, vms):
    _, rows = vms
    carol = make_user("carol")
    bob = make_user("bob")
    give(carol, "Administrator", domain=rows[0])
    grant, created = do_grant(carol, "Administrator", to_user=bob, domain=rows[0])
    assert created
    with pytest.raises(PermissionDenied):
        do_grant(carol, "Viewer", to_user=bob, host=rows[0].host)


def test_listing_shows_managed_scopes_and_ones_own_grants(admin, make_user, give, vms):
    _, rows = vms
    carol = make_user("carol")
    bob = make_user("bob")
    give(carol, "Administrator", domain=rows[0])
    give(bob, "Viewer", domain=rows[0])
    give(bob, "Viewer", domain=rows[1])
    give(bob, "Viewer", domain=rows[2])
    seen_by_carol = {(g["user"], g["domain"]) for g in api_as(carol).get("/api/v1/grants").json()["results"]}
    assert seen_by_carol == {("carol", str(rows[0].uuid)), ("bob", str(rows[0].uuid))}
    assert len(api_as(bob).get("/api/v1/grants").json()["results"]) == 3
    assert len(api_as(admin).get("/api/v1/grants").json()["results"]) == 4


def test_delete_revokes_and_audits(admin, make_user, give, vms):
    _, rows = vms
    bob = make_user("bob")
    grant = give(bob, "Operator", domain=rows[0])
    assert api_as(admin).delete(f"/api/v1/grants/{grant.pk}").status_code == 204
    assert not Grant.objects.filter(pk=grant.pk).exists()
    assert not has_perm(bob, "getattr", rows[0])
    assert AuditEntry.objects.filter(action="grant.revoke", outcome="ok", target_id=str(rows[0].pk)).exists()


def test_delete_answers_404_for_a_grant_the_caller_cannot_see(make_user, give, vms):
    _, rows = vms
    bob = make_user("bob")
    grant = give(make_user("dave"), "Operator", domain=rows[1])
    give(bob, "Administrator", domain=rows[0])
    assert api_as(bob).delete(f"/api/v1/grants/{grant.pk}").status_code == 404
    assert Grant.objects.filter(pk=grant.pk).exists()


def test_revoking_tells_listeners_which_domains_each_user_lost(admin, make_user, give, vms):
    host, rows = vms
    bob = make_user("bob")
    ops = Group.objects.create(name="ops")
    bob.groups.add(ops)
    give(bob, "Console user", domain=rows[1])  # keeps this one through another grant
    grant = give(ops, "Console user", host=host)
    heard = []

    def listener(user, domain):
        heard.append((user.username, domain.name))

    permissions.on_revoke(listener)
    try:
        do_revoke(admin, grant)
    finally:
        permissions._revoke_listeners.remove(listener)
    assert sorted(heard) == [("bob", "vm0000"), ("bob", "vm0002")]


def test_a_token_acts_with_its_users_grants_and_can_be_revoked(make_user, give, vms):
    _, rows = vms
    bob = make_user("bob")
    give(bob, "Viewer", domain=rows[0])
    token = Token.objects.create(user=bob)
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


def test_roles_are_listed_and_new_ones_defined_within_what_one_holds(admin, make_user, give):
    names = [r["name"] for r in api_as(admin).get("/api/v1/roles").json()]
    assert names[:7] == ["Administrator", "Console user", "Operator", "Pool user", "Pool viewer", "Power user", "Viewer"]
    made = api_as(admin).post("/api/v1/roles", {"name": "Rebooter", "permissions": ["getattr", "init_control"]},
                              format="json")
    assert made.status_code == 201, made.json()
    no_getattr = api_as(admin).post("/api/v1/roles", {"name": "Blind", "permissions": ["start"]}, format="json")
    assert no_getattr.status_code == 400 and "getattr" in no_getattr.json()["message"]
    carol = make_user("carol")
    assert api_as(carol).post("/api/v1/roles", {"name": "X", "permissions": ["getattr"]},
                              format="json").status_code == 403
