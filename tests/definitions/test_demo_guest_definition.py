"""Definitions on the real demo guest (embedded QEMU): form-style PATCH, raw edit, rollback, import.

Between steps, drain_event_workers() lets the DEFINED event handlers finish their writes: the test
database (SQLite's shared-cache memory database) refuses concurrent writers instead of waiting.
"""

import pytest

from domains.definitions.actions import do_define
from domains.libvirt import adapter
from tests.conftest import drain_event_workers
from tests.definitions.conftest import domain_names, inactive_xml
from tests.definitions.test_definition_pages import FORM_CASES


def test_it_edits_the_demo_guest_by_fields_raw_xml_and_rolls_back(api, demo, embedded_host):
    original = inactive_xml(embedded_host, "demo")
    patched = api.patch(f"/api/v1/domains/{demo.uuid}", {"max_vcpus": 2, "vcpus": 1, "memory_kib": 196608},
                        format="json")
    assert patched.status_code == 200, patched.json()
    drain_event_workers()
    after = inactive_xml(embedded_host, "demo")
    assert "<vcpu placement='static' current='1'>2</vcpu>" in after
    assert "<currentMemory unit='KiB'>196608</currentMemory>" in after

    raw = after.replace("</devices>", "  <qemu-ignored/>\n  </devices>")
    refused = api.put(f"/api/v1/domains/{demo.uuid}/xml", {"xml": raw}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["xml"][0]["line"]
    raw = after.replace("<title>virtconsole demo guest</title>", "<title>edited raw</title>")
    assert api.put(f"/api/v1/domains/{demo.uuid}/xml", {"xml": raw}, format="json").status_code == 200
    drain_event_workers()
    assert "<title>edited raw</title>" in inactive_xml(embedded_host, "demo")

    rolled = api.post(f"/api/v1/domains/{demo.uuid}/revisions/1/rollback", {}, format="json")
    assert rolled.status_code == 200, rolled.json()
    assert inactive_xml(embedded_host, "demo") == original
    sources = list(demo.revisions.order_by("number").values_list("source", flat=True))
    assert sources == ["external", "api", "api", "rollback"]


def test_it_imports_a_copy_of_the_demo_guest_on_the_embedded_host(owner, demo, embedded_host):
    xml = inactive_xml(embedded_host, "demo").replace("<name>demo</name>", "<name>demo-copy</name>")
    xml = "\n".join(line for line in xml.splitlines() if "<uuid>" not in line and "<mac " not in line)
    change = do_define(owner, embedded_host, xml, source="import")
    drain_event_workers()
    try:
        assert "demo-copy" in domain_names(embedded_host)
        assert change.revision.source == "import" and change.domain.name == "demo-copy"
    finally:
        from domains.access.lookups import libvirt_domain

        libvirt_domain(change.domain).undefine()


# The demo guest has serial port 0 as its serial console already: a second port comes without one,
# and a virtio console takes the next console port.
DEMO_FORM_CASES = [case for case in FORM_CASES if case[0] not in ("serial-add", "console-add")] + [
    ("serial-add", {"kind": "pty"}, "<target type='isa-serial' port='1'>"),
    ("console-add", {"kind": "pty", "target_type": "virtio"}, "<target type='virtio' port='1'/>"),
]


@pytest.mark.parametrize("form, data, expected", DEMO_FORM_CASES, ids=[c[0] for c in DEMO_FORM_CASES])
def test_each_form_edits_the_demo_guest(client, owner, demo, embedded_host, form, data, expected):
    client.force_login(owner)
    drain_event_workers()
    answer = client.post(f"/domains/{demo.uuid}/definition/edit/{form}/", data)
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    assert expected in inactive_xml(embedded_host, "demo")


def test_the_demo_guest_is_imported_exported_and_rolled_back_through_the_pages(client, owner, demo, embedded_host):
    client.force_login(owner)
    drain_event_workers()
    original = inactive_xml(embedded_host, "demo")
    exported = client.get(f"/domains/{demo.uuid}/definition/export/").content.decode()
    assert exported == original
    raw = exported.replace("<on_crash>destroy</on_crash>", "<on_crash>restart</on_crash>")
    assert client.post(f"/domains/{demo.uuid}/definition/xml/", {"xml": raw}).status_code == 302
    drain_event_workers()
    assert client.post(f"/domains/{demo.uuid}/definition/history/1/rollback/").status_code == 302
    drain_event_workers()
    assert inactive_xml(embedded_host, "demo") == original
    copy = exported.replace("<name>demo</name>", "<name>demo-imported</name>")
    copy = "\n".join(line for line in copy.splitlines() if "<uuid>" not in line and "<mac " not in line)
    answer = client.post(f"/hosts/{embedded_host.pk}/domains/import/", {"xml": copy})
    assert answer.status_code == 302
    from domains.libvirt import adapter

    adapter.connection_for(embedded_host).get().lookupByName("demo-imported").undefine()


def test_a_domain_is_created_from_the_embedded_hosts_capabilities_with_a_new_qcow2_disk(
        client, owner, demo, embedded_host, tmp_path):
    client.force_login(owner)
    page = client.get(f"/hosts/{embedded_host.pk}/domains/new/")
    offer = page.context["offer"]
    assert offer.emulator and "x86_64" in offer.arches and offer.pools == [] and offer.networks == []
    assert "The embedded host has no storage pools" in page.content.decode()
    answer = client.post(f"/hosts/{embedded_host.pk}/domains/new/", {
        "name": "created", "domain_type": "qemu", "arch": "x86_64", "machine": offer.machines["x86_64"][0],
        "firmware": "bios", "vcpus": "1", "memory_mib": "128", "disk": "new", "disk_dir": str(tmp_path),
        "disk_gib": "1", "network": "user"})
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    drain_event_workers()
    try:
        xml = inactive_xml(embedded_host, "created")
        assert f"<source file='{tmp_path}/created.qcow2'/>" in xml and "<interface type='user'>" in xml
        assert (tmp_path / "created.qcow2").read_bytes()[:4] == b"QFI\xfb"
        refused = client.post(f"/hosts/{embedded_host.pk}/domains/new/", {
            "name": "created", "domain_type": "qemu", "arch": "x86_64", "machine": offer.machines["x86_64"][0],
            "disk": "none", "network": "user"})
        assert refused.status_code == 400 and "already exists" in refused.content.decode()
    finally:
        adapter.connection_for(embedded_host).get().lookupByName("created").undefine()
