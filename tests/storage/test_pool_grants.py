"""Grants on one pool: through the grants API (by pool id) and the pool's Access page; roles that give nothing there."""

import pytest
from django.http import Http404

from domains.access import permissions
from domains.access.grants import GrantError, do_grant
from domains.access.models import Grant
from domains.storage.pools.actions import do_define_pool


@pytest.fixture
def pool(owner, test_driver_host, tmp_path):
    row, _ = do_define_pool(owner, test_driver_host, fields={"name": "granted", "type": "dir",
                                                             "target": str(tmp_path / "g")}, start=True)
    return row


def test_the_grants_api_gives_a_role_on_a_pool_by_its_id(as_user, owner, teammate, pool):
    answer = as_user(owner).post("/api/v1/grants", {"user": "bob", "role": "Pool user", "pool": pool.pk},
                                 content_type="application/json")

    assert answer.status_code == 201, answer.content
    assert (answer.json()["scope"], answer.json()["pool"], answer.json()["pool_name"]) == ("pool", pool.pk, "granted")
    assert permissions.has_perm(teammate, "storage_pool.refresh", pool)
    assert not permissions.has_perm(teammate, "storage_pool.write", pool)


def test_the_grants_api_answers_404_for_a_pool_the_caller_cannot_see(as_user, owner, teammate, outsider, pool):
    answer = as_user(outsider).post("/api/v1/grants", {"user": "bob", "role": "Pool user", "pool": pool.pk},
                                    content_type="application/json")

    assert answer.status_code == 404
    assert not Grant.objects.filter(pool=pool).exists()


def test_it_refuses_a_domain_role_on_a_pool_saying_which_roles_fit(owner, teammate, pool):
    with pytest.raises(GrantError, match="'Viewer' gives nothing on a pool.*'Pool viewer' or 'Pool user'"):
        do_grant(owner, "Viewer", to_user=teammate, pool=pool)
    assert not Grant.objects.filter(pool=pool).exists()


def test_the_pool_access_page_grants_a_pool_role(as_user, owner, teammate, pool, test_driver_host):
    client = as_user(owner)
    url = f"/hosts/{test_driver_host.pk}/pools/granted/access/"
    assert "Grant on pool granted" in client.get(url).content.decode()

    client.post(url, {"role": "Pool viewer", "holder": "user:bob"})

    assert Grant.objects.filter(pool=pool, user=teammate, role__name="Pool viewer").exists()


def test_a_pool_action_answers_404_to_an_outsider_and_403_to_a_viewer_lacking_it(as_user, outsider, teammate, grant,
                                                                                 pool, test_driver_host):
    grant("Pool viewer", to=teammate, pool=pool)
    url = f"/api/v1/hosts/{test_driver_host.pk}/pools/granted/actions"

    hidden = as_user(outsider).post(url, {"action": "stop"}, content_type="application/json")
    refused = as_user(teammate).post(url, {"action": "stop"}, content_type="application/json")

    assert hidden.status_code == 404, hidden.content
    assert refused.status_code == 403, refused.content
    assert "storage_pool.stop" in refused.json()["message"]


def test_require_hides_a_pool_from_whoever_may_not_see_it_and_names_what_a_viewer_lacks(make_user, teammate,
                                                                                       grant, pool, test_driver_host):
    # A domain Viewer of the whole host sees its domains, not its pools; a Pool viewer sees the pool.
    domain_viewer = make_user("carol")
    grant("Viewer", to=domain_viewer, host=test_driver_host)
    grant("Pool viewer", to=teammate, pool=pool)

    with pytest.raises(Http404):
        permissions.require(domain_viewer, "storage_pool.stop", pool)
    with pytest.raises(permissions.PermissionDenied) as refused:
        permissions.require(teammate, "storage_pool.stop", pool)
    assert refused.value.permission == "storage_pool.stop"
