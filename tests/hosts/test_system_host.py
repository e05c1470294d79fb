"""A host reached through libvirtd (qemu:///system, started by make test): lifecycle and outside changes."""

import subprocess
import time
import uuid

import libvirt
import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.hosts.embedded import demo_domain_xml
from domains.libvirt.adapter import connection_for, daemon_uri
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.models import Domain
from tests.conftest import wait_for
from tests.libvirt_support import stop_system_libvirtd

pytestmark = [pytest.mark.system]


@pytest.fixture
def system_domain(transactional_db, owner):
    host = do_add_host(owner, "system", "qemu:///system")
    name = f"vc-test-{uuid.uuid4().hex[:8]}"
    conn = connection_for(host).get()
    conn.defineXML(demo_domain_xml(settings.DEMO_GUEST_DIR, name))
    yield host, name
    connection_for(host).close()
    # A connection of its own: the adapter's may be waiting out a backoff after a daemon restart.
    cleanup = libvirt.open(daemon_uri("qemu:///system"))
    for each in cleanup.listAllDomains():
        if each.name().startswith(name):
            if each.isActive():
                each.destroy()
            each.undefine()
    cleanup.close()


def virsh(*args):
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], capture_output=True, text=True, timeout=60, check=True)


def test_it_starts_and_stops_a_domain_through_libvirtd(client, owner, system_domain):
    host, name = system_domain
    client.force_login(owner)
    assert name in client.get("/").content.decode()
    row = Domain.objects.get(host=host, name=name)

    do_domain_action(owner, row, "start")
    assert connection_for(host).get().lookupByName(name).state()[0] == libvirt.VIR_DOMAIN_RUNNING
    do_domain_action(owner, row, "destroy")
    assert connection_for(host).get().lookupByName(name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF


def test_it_follows_virsh_rename_and_undefine_by_events_without_a_page_load(client, owner, system_domain):
    host, name = system_domain
    client.force_login(owner)
    client.get("/")
    row = Domain.objects.get(host=host, name=name)

    virsh("domrename", name, f"{name}-renamed")
    wait_for(lambda: Domain.objects.get(pk=row.pk).name == f"{name}-renamed")

    virsh("undefine", f"{name}-renamed")
    wait_for(lambda: Domain.objects.get(pk=row.pk).gone)

    conn = connection_for(host).get()
    conn.defineXML(demo_domain_xml(settings.DEMO_GUEST_DIR, name).replace(
        "<name>", f"<uuid>{row.uuid}</uuid><name>", 1))
    wait_for(lambda: not Domain.objects.get(pk=row.pk).gone)
    assert Domain.objects.filter(host=host, uuid=row.uuid).count() == 1


def restart_libvirtd():
    stop_system_libvirtd()
    subprocess.run(["bash", "scripts/start-libvirtd.sh"], check=True, timeout=60)


def test_it_reconnects_after_libvirtd_restarts_and_events_flow_again(client, owner, system_domain):
    from domains.libvirt import adapter as libvirt_adapter

    host, name = system_domain
    client.force_login(owner)
    client.get("/")
    row = Domain.objects.get(host=host, name=name)

    before = time.time()
    restart_libvirtd()

    wait_for(lambda: libvirt_adapter.health_of(host).state == libvirt_adapter.CONNECTED
             and libvirt_adapter.health_of(host).since > before, timeout=30)
    virsh("domrename", name, f"{name}-after")
    wait_for(lambda: Domain.objects.get(pk=row.pk).name == f"{name}-after")
