"""has_perm / restrict / require: superusers, user and group grants on a domain, a host or everything."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from domains.access import permissions
from domains.access.permissions import PermissionDenied, has_perm, require, restrict
from domains.hosts.models import Host
from domains.lifecycle.models import Domain


@pytest.fixture
def two_hosts(make_test_host):
    first = make_test_host("first", domains=3)
    second = make_test_host("second", domains=2)
    for host in (first, second):
        for index in range(3 if host is first else 2):
            Domain.objects.create(host=host, uuid=f"00000000-0000-4000-8000-{index:012d}", name=f"vm{index:04d}")
    return first, second


def vm(host, index):
    return Domain.objects.get(host=host, name=f"vm{index:04d}")


def test_it_gives_superusers_everything(admin, two_hosts):
    first, _ = two_hosts
    assert has_perm(admin, "monitor_admin", vm(first, 0))
    assert has_perm(admin, "manage_hosts")
    assert restrict(Domain.objects.all(), admin, "delete").count() == 5


def test_it_gives_anonymous_and_outsiders_nothing(outsider, two_hosts):
    first, _ = two_hosts
    for user in (AnonymousUser(), outsider):
        assert not has_perm(user, "getattr", vm(first, 0))
        assert restrict(Domain.objects.all(), user).count() == 0
        assert restrict(Host.objects.all(), user).count() == 0


def test_it_rejects_inactive_users_even_with_grants(make_user, give, two_hosts):
    first, _ = two_hosts
    bob = make_user("bob")
    give(bob, "Administrator")
    bob.is_active = False
    bob.save()
    assert not has_perm(bob, "getattr", vm(first, 0))


def test_a_domain_grant_covers_that_domain_only(make_user, give, two_hosts):
    first, second = two_hosts
    bob = make_user("bob")
    give(bob, "Console user", domain=vm(first, 1))
    assert has_perm(bob, "open_graphics", vm(first, 1))
    assert not has_perm(bob, "start", vm(first, 1))
    assert not has_perm(bob, "getattr", vm(first, 0))
    assert not has_perm(bob, "getattr", vm(second, 1))
    assert list(restrict(Domain.objects.all(), bob)) == [vm(first, 1)]
    # The host shows because one of its domains does; nothing more on it.
    assert list(restrict(Host.objects.all(), bob)) == [first]
    assert has_perm(bob, "getattr", first)
    assert not has_perm(bob, "read", first)


def test_a_host_grant_covers_every_domain_of_that_host(make_user, give, two_hosts):
    first, second = two_hosts
    bob = make_user("bob")
    give(bob, "Operator", host=first)
    assert restrict(Domain.objects.all(), bob, "start").count() == 3
    assert not has_perm(bob, "start", vm(second, 0))
    assert list(restrict(Host.objects.all(), bob)) == [first]


def test_a_global_grant_covers_everything(make_user, give, two_hosts):
    bob = make_user("bob")
    give(bob, "Viewer")
    assert restrict(Domain.objects.all(), bob).count() == 5
    assert restrict(Domain.objects.all(), bob, "start").count() == 0


def test_group_grants_reach_the_groups_members(make_user, give, two_hosts):
    first, _ = two_hosts
    bob = make_user("bob")
    ops = Group.objects.create(name="ops")
    give(ops, "Operator", domain=vm(first, 2))
    assert not has_perm(bob, "start", vm(first, 2))
    bob.groups.add(ops)
    assert has_perm(bob, "start", vm(first, 2))


def test_host_level_permissions_never_come_from_a_domain_grant(make_user, give, two_hosts):
    first, _ = two_hosts
    bob = make_user("bob")
    give(bob, "Administrator", domain=vm(first, 0))
    assert has_perm(bob, "delete", vm(first, 0))
    assert not has_perm(bob, "manage_hosts", first)
    assert not has_perm(bob, "define_domains", vm(first, 0))
    assert restrict(Host.objects.all(), bob, "manage_hosts").count() == 0
    assert restrict(Domain.objects.all(), bob, "daemon_read").count() == 0


def test_require_hides_invisible_objects_and_names_the_missing_permission(make_user, give, two_hosts):
    first, _ = two_hosts
    bob = make_user("bob")
    give(bob, "Viewer", domain=vm(first, 0))
    with pytest.raises(Http404):
        require(bob, "start", vm(first, 1))
    with pytest.raises(PermissionDenied) as refused:
        require(bob, "start", vm(first, 0))
    assert refused.value.permission == "start"
    assert "'start'" in str(refused.value)


def test_it_rejects_unknown_permission_names(admin):
    with pytest.raises(ValueError, match="not a permission"):
        has_perm(admin, "strat")


def test_restrict_takes_a_constant_number_of_queries(make_user, give, make_test_host):
    host = make_test_host("many", domains=1)
    bob = make_user("bob")
    rows = [Domain.objects.create(host=host, uuid=f"10000000-0000-4000-8000-{i:012d}", name=f"d{i}") for i in range(40)]
    for row in rows[:20]:
        give(bob, "Viewer", domain=row)
    fresh = type(bob).objects.get(pk=bob.pk)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(restrict(Domain.objects.all(), fresh))) == 20
        assert len(list(restrict(Host.objects.all(), fresh))) == 1
        for row in rows:
            has_perm(fresh, "getattr", row)
    assert len(queries) == 3  # the grants once, then one query per restricted list


def test_a_revoked_grant_stops_counting_at_once_for_a_long_lived_user(make_user, give, two_hosts):
    first, _ = two_hosts
    bob = make_user("bob")
    grant = give(bob, "Operator", domain=vm(first, 0))
    assert has_perm(bob, "start", vm(first, 0))
    grant.delete()
    assert not has_perm(bob, "start", vm(first, 0))


def test_route_permission_refuses_unknown_names():
    with pytest.raises(ValueError):
        permissions.route_permission("open_everything")
