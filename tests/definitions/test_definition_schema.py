"""libvirt's RNG schema: the corpus is valid, errors are located, the schema is compiled once."""

import pytest

from domains.definitions.xml import schema
from domains.definitions.xml.schema import validate

from .corpus import VALID, ids, read


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
def test_every_corpus_document_is_valid_against_libvirts_schema(path):
    assert validate(read(path)) == []


def test_the_schema_is_compiled_once():
    assert schema._validator() is schema._validator()


def test_it_reports_each_broken_device_separately():
    text = read(VALID[0]).replace(
        "</os>", "</os>\n  <devices>\n    <disk type='file'><target dev='vda' bus='nope'/></disk>\n"
                 "    <graphics type='vnc' port='many'/>\n  </devices>")
    issues = validate(text)
    assert [(i.path, i.line) for i in issues] == [("/domain/devices/disk/target", 8), ("/domain/devices/graphics", 9)]
    assert "bus" in issues[0].message and "port" in issues[1].message


def test_an_error_outside_devices_is_reported_next_to_device_errors():
    text = read(VALID[0]).replace("<name>minimal</name>", "<name>minimal</name>\n  <vcpu>x</vcpu>").replace(
        "</os>", "</os>\n  <devices>\n    <disk type='file'><target dev='vda' bus='nope'/></disk>\n  </devices>")
    assert sorted(i.path for i in validate(text)) == ["/domain/devices/disk/target", "/domain/vcpu"]


def test_a_valid_namespace_extension_is_accepted():
    qemu = "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
    text = read(VALID[0]).replace("<domain type='qemu'>", f"<domain type='qemu' {qemu}>").replace(
        "</domain>", "  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>\n</domain>")
    assert validate(text) == []
