"""Fixtures for the definition tests: a test:/// host with domains, XML to import, libvirt's view."""

import os

import libvirt
import pytest
from rest_framework.test import APIClient

from domains.libvirt import adapter

NEW_DOMAIN_XML = """<domain type='test'>
  <!-- imported by the definitions tests -->
  <name>{name}</name>
  <memory unit='KiB'>131072</memory>
  <vcpu>1</vcpu>
  <os><type arch='i686'>hvm</type><boot dev='hd'/></os>
  <devices/>
</domain>
"""


def inactive_xml(host, name):
    """The inactive definition of the domain called name, as libvirt has it now."""
    conn = adapter.connection_for(host).get()
    return conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def wait_for_row(query, timeout=10.0):
    """wait_for(query) that treats "table is locked" as not yet: the event worker writes meanwhile.

    (The test database is SQLite's shared-cache memory database, where readers do not wait for writers.)
    """
    from django.db import OperationalError

    from tests.conftest import wait_for

    def attempt():
        try:
            return query()
        except OperationalError:
            return None

    return wait_for(attempt, timeout)


def drain_event_workers(timeout=10.0):
    """Return once every task handed to the event loop's worker threads so far has finished, and the event writes.

    One barrier task per worker thread: the barrier opens only when all threads are free,
    which (the queue being first in, first out) is after every earlier task. A write still
    running at the flush that ends a transactional test deadlocks with it on PostgreSQL.
    """
    import asyncio
    import threading

    from domains.libvirt import events

    loop = events.event_loop()
    workers = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default size
    barrier = threading.Barrier(workers + 1, timeout=timeout)

    async def submit():
        for _ in range(workers):
            loop.run_in_executor(None, barrier.wait)

    asyncio.run_coroutine_threadsafe(submit(), loop).result(timeout)
    barrier.wait()
    events.wait_for_event_writes(timeout)


def domain_names(host):
    return sorted(dom.name() for dom in adapter.connection_for(host).get().listAllDomains())


@pytest.fixture
def test_host(make_test_host):
    return make_test_host("defhost", domains=2)


@pytest.fixture
def vm(test_host):
    """The Domain row of vm0000 (shut off) on the private test host."""
    from domains.lifecycle import inventory

    inventory.sync_host(test_host)
    return test_host.domains.get(name="vm0000")


@pytest.fixture
def demo(embedded_host, transactional_db):
    """The demo guest's Domain row on the embedded host; its definition is put back afterwards.

    Transactional: the event worker writes revisions from its own connection, and the
    embedded host row outlives single tests, so nothing may be left behind but a flush.
    """
    from domains.lifecycle import inventory
    from domains.revisions.models import digest_of

    embedded_host.save()  # an earlier transactional test flushed it
    conn = adapter.connection_for(embedded_host).get()
    original = conn.lookupByName("demo").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)
    inventory.sync_host(embedded_host)
    domain = embedded_host.domains.get(name="demo")
    yield domain
    conn.defineXML(original)
    # Let the worker record the restore before the flush, so it writes nothing after it.
    restored = digest_of(inactive_xml(embedded_host, "demo"))
    wait_for_row(lambda: domain.revisions.filter(xml_sha256=restored).exists() or not domain.revisions.exists())
    drain_event_workers()

@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_authenticate(owner)
    return client
