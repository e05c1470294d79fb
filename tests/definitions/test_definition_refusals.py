"""Bad input gets a clear 400 and changes nothing, in libvirt or the database; a failed store puts libvirt back."""

import libvirt
import pytest
from django.db import connection

from domains.definitions.actions import DefinitionNotStored, do_edit
from domains.definitions.models import DefinitionRevision
from domains.definitions.xml import set_vcpus
from domains.libvirt import adapter
from tests.definitions.conftest import NEW_DOMAIN_XML, domain_names, inactive_xml

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<domain type='test'><name>&lol3;</name><memory>65536</memory><os><type>hvm</type></os></domain>"""
EXTERNAL_ENTITY = """<!DOCTYPE domain [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<domain type='test'><name>x</name><description>&secret;</description><memory>65536</memory>
<os><type>hvm</type></os></domain>"""
SCHEMA_INVALID = """<domain type='test'>
  <name>invalid</name>
  <memory>65536</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='wardrobe'><target dev='vda'/></disk>
  </devices>
</domain>"""


def _snapshot(host):
    conn = adapter.connection_for(host).get()
    return {d.name(): d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) for d in conn.listAllDomains()}


CASES = {
    "malformed": ("<domain type='test'><name>broken</name>\n<memory>1</memory", "Malformed XML"),
    "schema-invalid": (SCHEMA_INVALID, "does not match libvirt's domain schema"),
    "xml-bomb": (BOMB, "DOCTYPE"),
    "external-entity": (EXTERNAL_ENTITY, "DOCTYPE"),
    "duplicate-name": (NEW_DOMAIN_XML.format(name="vm0001"), "A domain named 'vm0001' already exists"),
    "duplicate-uuid": (NEW_DOMAIN_XML.format(name="other").replace(
        "<memory", "<uuid>00000000-0000-4000-8000-000000000001</uuid>\n  <memory"), "UUID"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_it_refuses_bad_xml_on_create_with_a_clear_400(api, vm, test_host, case):
    xml, words = CASES[case]
    before, rows = _snapshot(test_host), DefinitionRevision.objects.count()
    answer = api.post(f"/api/v1/hosts/{test_host.pk}/domains", {"xml": xml}, format="json")
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "invalid_definition" and words in body["message"] + str(body["fields"])
    assert body["fields"]["xml"][0]["message"]
    if case in ("malformed", "schema-invalid", "xml-bomb", "external-entity"):
        assert body["fields"]["xml"][0]["line"] is not None
    assert _snapshot(test_host) == before and DefinitionRevision.objects.count() == rows


def test_it_locates_schema_errors_by_line_column_and_path(api, vm):
    answer = api.post(f"/api/v1/hosts/{vm.host_id}/domains", {"xml": SCHEMA_INVALID}, format="json")
    issue = answer.json()["fields"]["xml"][0]
    assert (issue["line"], issue["column"], issue["path"]) == (6, 5, "/domain/devices/disk")


def test_it_refuses_a_renamed_copy_with_another_domains_uuid_on_put(api, vm, test_host):
    xml = inactive_xml(test_host, "vm0000").replace("00000000-0000-4000-8000-000000000000",
                                                    "00000000-0000-4000-8000-000000000001")
    before = _snapshot(test_host)
    answer = api.put(f"/api/v1/domains/{vm.uuid}/xml", {"xml": xml}, format="json")
    assert answer.status_code == 400 and "is not this domain's" in answer.json()["message"]
    assert _snapshot(test_host) == before


def test_it_refuses_renaming_onto_a_taken_name(api, vm, test_host):
    xml = inactive_xml(test_host, "vm0000").replace("<name>vm0000</name>", "<name>vm0001</name>")
    answer = api.put(f"/api/v1/domains/{vm.uuid}/xml", {"xml": xml}, format="json")
    assert answer.status_code == 400 and "already exists" in answer.json()["message"]
    assert answer.json()["fields"]["xml"][0]["path"] == "/domain/name"


def test_it_answers_404_for_an_unknown_host(api, db):
    answer = api.post("/api/v1/hosts/9999/domains", {"xml": NEW_DOMAIN_XML.format(name="x")}, format="json")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_it_refuses_a_patch_libvirt_would_refuse_and_keeps_everything(api, vm, test_host):
    before = _snapshot(test_host)
    answer = api.patch(f"/api/v1/domains/{vm.uuid}", {"vcpus": 8, "max_vcpus": 2}, format="json")
    assert answer.status_code == 400 and "exceed the maximum" in answer.json()["message"]
    assert _snapshot(test_host) == before


def _refuse_revisions(past_number):
    """Make the database refuse every new revision row numbered past past_number (a trigger in its dialect)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE OR REPLACE FUNCTION refuse_revisions() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'simulated disk full'; END $$")
            cursor.execute("CREATE TRIGGER refuse_revisions BEFORE INSERT ON domains_definitionrevision FOR EACH ROW "
                           f"WHEN (NEW.number > {int(past_number)}) EXECUTE FUNCTION refuse_revisions()")
        else:
            cursor.execute("CREATE TRIGGER refuse_revisions BEFORE INSERT ON domains_definitionrevision "
                           f"WHEN NEW.number > {int(past_number)} BEGIN SELECT RAISE(ABORT, 'simulated disk full'); END")


def _accept_revisions():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER refuse_revisions ON domains_definitionrevision")
            cursor.execute("DROP FUNCTION refuse_revisions()")
        else:
            cursor.execute("DROP TRIGGER refuse_revisions")


@pytest.fixture
def failing_revision_insert(db):
    """A real database failure: the database refuses every new revision row past the first until the fixture ends."""
    _refuse_revisions(1)
    yield
    _accept_revisions()


def test_it_puts_libvirt_back_when_the_revision_cannot_be_stored(owner, vm, test_host, failing_revision_insert):
    before = inactive_xml(test_host, "vm0000")
    with pytest.raises(DefinitionNotStored) as raised:
        do_edit(owner, vm, lambda document: set_vcpus(document, 4))
    assert "put back" in raised.value.message and "simulated disk full" in raised.value.message
    assert inactive_xml(test_host, "vm0000") == before
    assert list(vm.revisions.values_list("number", flat=True)) == [1]


def test_it_undefines_a_new_domain_whose_revision_cannot_be_stored(owner, test_host, failing_revision_insert):
    from domains.definitions.actions import do_define

    _accept_revisions()
    _refuse_revisions(0)
    with pytest.raises(DefinitionNotStored):
        do_define(owner, test_host, NEW_DOMAIN_XML.format(name="fresh"))
    assert "fresh" not in domain_names(test_host)
