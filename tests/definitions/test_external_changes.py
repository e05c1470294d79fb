"""Definitions changed outside the console (libvirt's DEFINED events) become external revisions, once."""

import pytest

from domains.definitions.actions import do_edit
from domains.definitions.xml import set_vcpus
from domains.libvirt import adapter
from domains.lifecycle import inventory
from tests.definitions.conftest import inactive_xml, wait_for_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched_vm(make_test_host):
    host = make_test_host("exthost", domains=1)
    inventory.sync_host(host)
    domain = host.domains.get(name="vm0000")
    return host, domain


def test_it_records_a_change_made_directly_in_libvirt(owner, watched_vm):
    host, domain = watched_vm
    conn = adapter.connection_for(host).get()
    xml = inactive_xml(host, "vm0000")
    conn.defineXML(xml.replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>2</vcpu>"))
    revision = wait_for_row(lambda: domain.revisions.filter(source="external").order_by("-number").first())
    assert revision.max_vcpus == 2 and revision.author is None
    assert "outside the console" in revision.reason


def test_it_records_no_external_revision_for_its_own_define(owner, watched_vm):
    host, domain = watched_vm
    do_edit(owner, domain, lambda document: set_vcpus(document, 2))
    conn = adapter.connection_for(host).get()
    # A later outside change proves the events were delivered and handled in order.
    conn.defineXML(inactive_xml(host, "vm0000").replace("<vcpu placement='static'>2</vcpu>",
                                                        "<vcpu placement='static'>3</vcpu>"))
    wait_for_row(lambda: domain.revisions.filter(max_vcpus=3).exists())
    assert list(domain.revisions.order_by("number").values_list("number", "source")) == [
        (1, "external"), (2, "console"), (3, "external")]


def test_it_records_a_domain_defined_outside_as_its_first_revision(owner, watched_vm):
    host, _ = watched_vm
    conn = adapter.connection_for(host).get()
    conn.defineXML("<domain type='test'><name>outsider-made</name><memory>65536</memory>"
                   "<os><type>hvm</type></os></domain>")
    revision = wait_for_row(lambda: host.domains.filter(name="outsider-made", revisions__isnull=False).first())
    assert revision.revisions.get().reason == "Defined outside the console."
