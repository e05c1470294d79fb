"""Definitions on the real demo guest (embedded QEMU): form-style PATCH, raw edit, rollback, import."""

import pytest

from domains.definition_actions import do_define
from tests.definitions_integration.conftest import domain_names, inactive_xml


def test_it_edits_the_demo_guest_by_fields_raw_xml_and_rolls_back(api, demo, embedded_host):
    original = inactive_xml(embedded_host, "demo")
    patched = api.patch(f"/api/v1/domains/{demo.uuid}", {"max_vcpus": 2, "vcpus": 1, "memory_kib": 196608},
                        format="json")
    assert patched.status_code == 200, patched.json()
    after = inactive_xml(embedded_host, "demo")
    assert "<vcpu placement='static' current='1'>2</vcpu>" in after
    assert "<currentMemory unit='KiB'>196608</currentMemory>" in after

    raw = after.replace("</devices>", "  <qemu-ignored/>\n  </devices>")
    refused = api.put(f"/api/v1/domains/{demo.uuid}/xml", {"xml": raw}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["xml"][0]["line"]
    raw = after.replace("<title>virtconsole demo guest</title>", "<title>edited raw</title>")
    assert api.put(f"/api/v1/domains/{demo.uuid}/xml", {"xml": raw}, format="json").status_code == 200
    assert "<title>edited raw</title>" in inactive_xml(embedded_host, "demo")

    rolled = api.post(f"/api/v1/domains/{demo.uuid}/revisions/1/rollback", {}, format="json")
    assert rolled.status_code == 200, rolled.json()
    assert inactive_xml(embedded_host, "demo") == original
    sources = list(demo.revisions.order_by("number").values_list("source", flat=True))
    assert sources == ["external", "api", "api", "rollback"]


def test_it_imports_a_copy_of_the_demo_guest_on_the_embedded_host(admin, demo, embedded_host):
    xml = inactive_xml(embedded_host, "demo").replace("<name>demo</name>", "<name>demo-copy</name>")
    xml = "\n".join(line for line in xml.splitlines() if "<uuid>" not in line and "<mac " not in line)
    change = do_define(admin, embedded_host, xml, source="import")
    try:
        assert "demo-copy" in domain_names(embedded_host)
        assert change.revision.source == "import" and change.domain.name == "demo-copy"
    finally:
        from domains.actions import lookup

        lookup(change.domain).undefine()
