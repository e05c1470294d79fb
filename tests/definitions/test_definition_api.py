"""API v1 definitions on test:/// domains: read, replace, validate, revisions, diff, rollback, create, PATCH."""

import pytest
from rest_framework.test import APIClient

from domains.definitions.models import DefinitionRevision
from tests.definitions.conftest import NEW_DOMAIN_XML, domain_names, inactive_xml


def test_it_answers_the_persistent_xml_and_records_the_first_revision(api, vm, test_host):
    answer = api.get(f"/api/v1/domains/{vm.uuid}/xml")
    assert answer.status_code == 200
    assert answer.json()["xml"] == inactive_xml(test_host, "vm0000")
    assert answer.json()["revision"] == 1
    assert vm.revisions.get().source == "external"


def test_it_replaces_the_xml_and_keeps_what_it_does_not_understand(api, vm, test_host):
    xml = api.get(f"/api/v1/domains/{vm.uuid}/xml").json()["xml"]
    edited = xml.replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>3</vcpu>").replace(
        "</devices>", "</devices>\n  <metadata><app:x xmlns:app='https://example.org/app'>kept</app:x></metadata>")
    answer = api.put(f"/api/v1/domains/{vm.uuid}/xml", {"xml": edited, "reason": "more cpus"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["revision"]["number"] == 2 and answer.json()["changed"] is True
    now = inactive_xml(test_host, "vm0000")
    assert "<vcpu placement='static'>3</vcpu>" in now and "kept</app:x>" in now
    revision = vm.revisions.get(number=2)
    assert (revision.source, revision.reason, revision.author_name, revision.max_vcpus) == ("api", "more cpus", "alice", 3)


def test_it_validates_without_defining(api, vm, test_host):
    before = inactive_xml(test_host, "vm0000")
    good = api.post("/api/v1/domain-xml/validate", {"xml": before}, format="json").json()
    assert good == {"valid": True, "errors": []}
    bad = api.post("/api/v1/domain-xml/validate",
                   {"xml": before.replace("<on_crash>destroy</on_crash>", "<on_crash>explode</on_crash>")},
                   format="json").json()
    assert bad["valid"] is False
    assert bad["errors"][0]["line"] and bad["errors"][0]["path"].startswith("/domain")
    assert inactive_xml(test_host, "vm0000") == before


def test_it_lists_diffs_and_rolls_back_revisions(api, vm, test_host):
    original = inactive_xml(test_host, "vm0000")
    assert api.patch(f"/api/v1/domains/{vm.uuid}", {"max_vcpus": 4, "vcpus": 2}, format="json").status_code == 200
    listed = api.get(f"/api/v1/domains/{vm.uuid}/revisions").json()
    assert [r["number"] for r in listed["results"]] == [2, 1]
    diff = api.get(f"/api/v1/domains/{vm.uuid}/revisions/diff?from=1&to=2").json()
    assert {"kind": "add", "text": "  <vcpu placement='static' current='2'>4</vcpu>"} in diff["lines"]
    assert "+  <vcpu placement='static' current='2'>4</vcpu>" in diff["unified"]
    assert api.get(f"/api/v1/domains/{vm.uuid}/revisions/1").json()["xml"] == original
    rolled = api.post(f"/api/v1/domains/{vm.uuid}/revisions/1/rollback", {}, format="json")
    assert rolled.status_code == 200, rolled.json()
    assert rolled.json()["revision"]["number"] == 3 and rolled.json()["revision"]["rollback_of"] == 1
    assert inactive_xml(test_host, "vm0000") == original


def test_it_patches_structured_fields_losslessly(api, vm, test_host):
    before = inactive_xml(test_host, "vm0000")
    answer = api.patch(f"/api/v1/domains/{vm.uuid}", {
        "title": "Web server", "description": "two lines\nof text", "memory_kib": 32768, "max_memory_kib": 65536,
        "boot_order": ["network", "hd"], "boot_menu": True, "autostart": True}, format="json")
    assert answer.status_code == 200, answer.json()
    after = inactive_xml(test_host, "vm0000")
    assert "<title>Web server</title>" in after and "<description>two lines\nof text</description>" in after
    assert "<currentMemory unit='KiB'>32768</currentMemory>" in after
    assert "<boot dev='network'/>\n    <boot dev='hd'/>" in after and "<bootmenu enable='yes'/>" in after
    from domains.access.lookups import libvirt_domain
    assert libvirt_domain(vm).autostart() == 1
    untouched = [line for line in before.splitlines() if "memory" not in line.lower() and "boot" not in line]
    assert all(line in after.splitlines() for line in untouched)


def test_it_creates_a_domain_from_xml_on_a_host(api, test_host):
    answer = api.post(f"/api/v1/hosts/{test_host.pk}/domains", {"xml": NEW_DOMAIN_XML.format(name="fresh")},
                      format="json")
    assert answer.status_code == 201, answer.json()
    assert "fresh" in domain_names(test_host)
    revision = DefinitionRevision.objects.get(domain__uuid=answer.json()["uuid"])
    assert (revision.number, revision.source, revision.name) == (1, "import", "fresh")


@pytest.mark.parametrize("path", ["xml", "revisions", "revisions/1", "revisions/diff?from=1&to=1"])
def test_it_hides_definitions_from_outsiders(outsider, vm, path):
    client = APIClient()
    client.force_authenticate(outsider)
    assert client.get(f"/api/v1/domains/{vm.uuid}/{path}").status_code == 404


def test_it_answers_404_for_an_unknown_revision_and_400_for_a_bad_diff(api, vm):
    api.get(f"/api/v1/domains/{vm.uuid}/xml")
    assert api.get(f"/api/v1/domains/{vm.uuid}/revisions/9").status_code == 404
    bad = api.get(f"/api/v1/domains/{vm.uuid}/revisions/diff?from=x&to=1")
    assert bad.status_code == 400 and bad.json()["fields"] == {"from": ["Give a revision number, e.g. 1."]}
    # A digit to Python that int() refuses: the same clear refusal, not a server error.
    bad = api.get(f"/api/v1/domains/{vm.uuid}/revisions/diff?from=²&to=1")
    assert bad.status_code == 400 and bad.json()["fields"] == {"from": ["Give a revision number, e.g. 1."]}
