"""Network fixtures: API callers, a test-driver host (networks in libvirt's memory), the system libvirtd as a host
with every network a test makes there removed afterwards."""

import uuid

import libvirt
import pytest

from domains.hosts.actions import do_add_host
from domains.libvirt.adapter import daemon_uri, forget_host

NETWORK_PREFIX = "vct-net-"


@pytest.fixture
def as_user(client):
    """as_user(user) -> a Django test client signed in as user."""
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


@pytest.fixture
def network_name():
    """A fresh network name no other run uses (the system libvirtd is shared); at most 15 characters of it
    make a bridge name, so the random part comes first."""
    return f"{NETWORK_PREFIX}{uuid.uuid4().hex[:8]}"


@pytest.fixture
def test_driver_host(make_test_host):
    """A test:/// host with one domain; its networks live in libvirt's memory only."""
    return make_test_host("networks-test", domains=1)


def remove_networks(prefix):
    """Stop and undefine every network on the system libvirtd whose name starts with prefix (own connection)."""
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        for network in conn.listAllNetworks(0):
            try:
                if network.name().startswith(prefix):
                    if network.isActive():
                        network.destroy()
                    if network.isPersistent():
                        network.undefine()
            except libvirt.libvirtError:
                continue  # gone meanwhile (a transient network stopped by the test itself)
    finally:
        conn.close()


@pytest.fixture
def system_host(transactional_db, owner, network_name):
    """The system libvirtd as a console host (added by the owner); networks named like network_name are removed
    afterwards."""
    host = do_add_host(owner, "system", "qemu:///system")
    yield host
    forget_host(host.pk)
    remove_networks(network_name)
