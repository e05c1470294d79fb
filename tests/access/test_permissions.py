"""has_perm / restrict / require: superusers, user and group grants on a domain, a host or everything."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from domains.access import permissions
from domains.access.grants import do_revoke
from domains.access.permissions import PermissionDenied, has_perm, require, restrict
from domains.hosts.models import Host
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@pytest.fixture
def two_hosts(make_test_host):
    first = make_test_host("first", domains=3)
    second = make_test_host("second", domains=2)
    for host in (first, second):
        inventory.sync_host(host)
    return first, second


def vm(host, index):
    return Domain.objects.get(host=host, name=f"vm{index:04d}")


def test_it_gives_superusers_everything(owner, two_hosts):
    first, _ = two_hosts
    assert has_perm(owner, "monitor_admin", vm(first, 0))
    assert has_perm(owner, "manage_hosts")
    assert restrict(Domain.objects.all(), owner, "delete").count() == 5


def test_it_gives_anonymous_and_outsiders_nothing(outsider, two_hosts):
    first, _ = two_hosts
    for user in (AnonymousUser(), outsider):
        assert not has_perm(user, "getattr", vm(first, 0))
        assert restrict(Domain.objects.all(), user).count() == 0
        assert restrict(Host.objects.all(), user).count() == 0


def test_it_rejects_inactive_users_even_with_grants(teammate, grant, two_hosts):
    first, _ = two_hosts
    grant("Administrator")
    teammate.is_active = False
    teammate.save()
    assert not has_perm(teammate, "getattr", vm(first, 0))


def test_a_domain_grant_covers_that_domain_only(teammate, grant, two_hosts):
    first, second = two_hosts
    grant("Console user", domain=vm(first, 1))
    assert has_perm(teammate, "open_graphics", vm(first, 1))
    assert not has_perm(teammate, "start", vm(first, 1))
    assert not has_perm(teammate, "getattr", vm(first, 0))
    assert not has_perm(teammate, "getattr", vm(second, 1))
    assert list(restrict(Domain.objects.all(), teammate)) == [vm(first, 1)]
    # The host shows because one of its domains does; nothing more on it.
    assert list(restrict(Host.objects.all(), teammate)) == [first]
    assert has_perm(teammate, "getattr", first)
    assert not has_perm(teammate, "read", first)


def test_a_host_grant_covers_every_domain_of_that_host(teammate, grant, two_hosts):
    first, second = two_hosts
    grant("Operator", host=first)
    assert restrict(Domain.objects.all(), teammate, "start").count() == 3
    assert not has_perm(teammate, "start", vm(second, 0))
    assert list(restrict(Host.objects.all(), teammate)) == [first]


def test_a_global_grant_covers_everything(teammate, grant, two_hosts):
    grant("Viewer")
    assert restrict(Domain.objects.all(), teammate).count() == 5
    assert restrict(Domain.objects.all(), teammate, "start").count() == 0


def test_group_grants_reach_the_groups_members(teammate, make_group, grant, two_hosts):
    first, _ = two_hosts
    ops = make_group("ops")
    grant("Operator", to=ops, domain=vm(first, 2))
    assert not has_perm(teammate, "start", vm(first, 2))
    teammate.groups.add(ops)
    assert has_perm(teammate, "start", vm(first, 2))


def test_host_level_permissions_never_come_from_a_domain_grant(teammate, grant, two_hosts):
    first, _ = two_hosts
    grant("Administrator", domain=vm(first, 0))
    assert has_perm(teammate, "delete", vm(first, 0))
    assert not has_perm(teammate, "manage_hosts", first)
    assert not has_perm(teammate, "define_domains", vm(first, 0))
    assert restrict(Host.objects.all(), teammate, "manage_hosts").count() == 0
    assert restrict(Domain.objects.all(), teammate, "daemon_read").count() == 0


def test_require_hides_invisible_objects_and_names_the_missing_permission(teammate, grant, two_hosts):
    first, _ = two_hosts
    grant("Viewer", domain=vm(first, 0))
    with pytest.raises(Http404):
        require(teammate, "start", vm(first, 1))
    with pytest.raises(PermissionDenied) as refused:
        require(teammate, "start", vm(first, 0))
    assert refused.value.permission == "start"
    assert "'start'" in str(refused.value)


def test_it_rejects_unknown_permission_names(owner):
    with pytest.raises(ValueError, match="not a permission"):
        has_perm(owner, "strat")


def test_restrict_takes_a_constant_number_of_queries(teammate, grant, make_test_host):
    host = make_test_host("many", domains=40)
    inventory.sync_host(host)
    rows = list(Domain.objects.filter(host=host).order_by("name"))
    for row in rows[:20]:
        grant("Viewer", domain=row)
    fresh = type(teammate).objects.get(pk=teammate.pk)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(restrict(Domain.objects.all(), fresh))) == 20
        assert len(list(restrict(Host.objects.all(), fresh))) == 1
        for row in rows:
            has_perm(fresh, "getattr", row)
    assert len(queries) == 3  # the grants once, then one query per restricted list


def test_a_revoked_grant_stops_counting_at_once_for_a_long_lived_user(owner, teammate, grant, two_hosts):
    first, _ = two_hosts
    given = grant("Operator", domain=vm(first, 0))
    assert has_perm(teammate, "start", vm(first, 0))
    do_revoke(owner, given)
    assert not has_perm(teammate, "start", vm(first, 0))


def test_route_permission_refuses_unknown_names():
    with pytest.raises(ValueError):
        permissions.route_permission("open_everything")
