"""Storage fixtures: the owner/teammate/outsider personas, API callers, a test-driver host and a system host with a
pool directory of its own; every pool a test defines on the system libvirtd is removed afterwards."""

import uuid

import libvirt
import pytest
from django.contrib.auth import get_user_model

from domains.hosts.models import Host
from domains.libvirt.adapter import daemon_uri, forget_host

POOL_PREFIX = "vct-pool-"


@pytest.fixture
def owner(admin):
    """alice, the console's administrator (a superuser)."""
    return admin


@pytest.fixture
def teammate(db):
    """bob: holds only what a test grants him."""
    return get_user_model().objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def as_user(client):
    """as_user(user) -> a Django test client signed in as user."""
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


@pytest.fixture
def pool_name():
    """A fresh pool name no other run uses (the system libvirtd is shared)."""
    return f"{POOL_PREFIX}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def test_driver_host(make_test_host, tmp_path):
    """A test:/// host (its pools live in libvirt's memory only), allowing pools under tmp_path."""
    host = make_test_host("pools-test", domains=1)
    host.pool_paths = [str(tmp_path)]
    host.save()
    return host


def remove_pools(prefix):
    """Stop and undefine every pool on the system libvirtd whose name starts with prefix (own connection)."""
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        for pool in conn.listAllStoragePools(0):
            if pool.name().startswith(prefix):
                if pool.isActive():
                    pool.destroy()
                if pool.isPersistent():
                    pool.undefine()
    finally:
        conn.close()


@pytest.fixture
def system_host(transactional_db, tmp_path, pool_name):
    """A qemu:///system host allowing pools under tmp_path; pools named like this test's are removed afterwards."""
    host = Host.objects.create(name="pools-system", uri="qemu:///system", pool_paths=[str(tmp_path)])
    yield host
    forget_host(host.pk)
    remove_pools(pool_name)


def system_pool_names():
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        return sorted(pool.name() for pool in conn.listAllStoragePools(0))
    finally:
        conn.close()
