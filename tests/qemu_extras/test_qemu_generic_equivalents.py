"""The registry of extras with generic equivalents, and the lossless rewrites it offers."""

import difflib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lxml import etree

from qemu_extras.equivalents.registry import (
    DEVICE_EQUIVALENTS,
    MONITOR_EQUIVALENTS,
    NotLossless,
    find_extras,
    monitor_equivalent,
    parse_device_spec,
    suggest_rewrites,
    version_number,
    version_text,
)

SCHEMA = Path("/usr/share/libvirt/schemas/domain.rng")
API_XML = Path("/usr/share/libvirt/api/libvirt-api.xml")
LIBVIRT_9_0 = version_number("9.0.0")

DOMAIN = """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>demo</name>
  <uuid>6f1f0c2a-3f4e-4a51-9d1e-0c7f3f1d2a10</uuid>
  <!-- booted by the console's demo setup -->
  <metadata>
    <app:note xmlns:app="https://example.org/app">keep me</app:note>
  </metadata>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='{args}'/>{more}
  </qemu:commandline>
</domain>
"""


def domain(device_spec, more=""):
    return DOMAIN.replace("{args}", device_spec).replace("{more}", more)


def changed_lines(old, new):
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.fixture(scope="module")
def domain_schema():
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is not installed")
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def test_it_rewrites_a_virtio_rng_passthrough_to_the_generic_element(domain_schema):
    original = domain("virtio-rng-pci")
    assert domain_schema.validate(etree.fromstring(original.encode()))

    [rewrite] = suggest_rewrites(original, LIBVIRT_9_0)

    assert rewrite.since == "6.1.0"
    assert "virtio-rng-pci" in rewrite.description
    assert changed_lines(original, rewrite.new_xml_text) == [
        "+    <rng model='virtio'>",
        "+      <backend model='builtin'/>",
        "+    </rng>",
        "-  <qemu:commandline>",
        "-    <qemu:arg value='-device'/>",
        "-    <qemu:arg value='virtio-rng-pci'/>",
        "-  </qemu:commandline>",
    ]
    valid = domain_schema.validate(etree.fromstring(rewrite.new_xml_text.encode()))
    assert valid, domain_schema.error_log


def test_it_keeps_the_commandline_when_other_args_remain(domain_schema):
    original = domain("virtio-rng-pci,max-bytes=1024,period=1000",
                      "\n    <qemu:arg value='-global'/>\n    <qemu:arg value='kvm-pit.lost_tick_policy=discard'/>")
    [rewrite] = suggest_rewrites(original, LIBVIRT_9_0)
    new = rewrite.new_xml_text
    assert "<rate bytes='1024' period='1000'/>" in new
    assert "<qemu:arg value='-global'/>" in new and "-device" not in new
    assert "<!-- booted by the console's demo setup -->" in new
    assert '<app:note xmlns:app="https://example.org/app">keep me</app:note>' in new
    assert domain_schema.validate(etree.fromstring(new.encode())), domain_schema.error_log


def test_it_keeps_a_commandline_left_holding_only_a_comment():
    original = domain("virtio-rng-pci", "\n    <!-- why we pass this -->")
    [rewrite] = suggest_rewrites(original, LIBVIRT_9_0)
    assert "<!-- why we pass this -->" in rewrite.new_xml_text
    assert "<qemu:commandline>" in rewrite.new_xml_text


def test_it_replaces_a_disabled_balloon_with_the_passed_through_one():
    [rewrite] = suggest_rewrites(domain("virtio-balloon-pci,deflate-on-oom=on"), LIBVIRT_9_0)
    assert "<memballoon model='virtio' autodeflate='on'/>" in rewrite.new_xml_text
    assert "model='none'" not in rewrite.new_xml_text


def test_it_reads_the_json_form_of_device():
    spec = '{"driver": "vhost-vsock-pci", "guest-cid": 3}'
    [rewrite] = suggest_rewrites(domain(spec), LIBVIRT_9_0)
    assert "<cid auto='no' address='3'/>" in rewrite.new_xml_text


def test_it_maps_a_root_bus_pci_address():
    [rewrite] = suggest_rewrites(domain("i6300esb,bus=pci.0,addr=0x7"), LIBVIRT_9_0)
    assert ("<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>"
            in rewrite.new_xml_text)


def test_it_offers_nothing_the_hosts_libvirt_cannot_express():
    original = domain("pvpanic-pci")
    assert suggest_rewrites(original, LIBVIRT_9_0) == []
    [use] = find_extras(original, LIBVIRT_9_0)
    assert (use.driver, use.since, use.available, use.rewritable) == ("pvpanic-pci", "9.1.0",
                                                                      False, False)
    assert "needs libvirt 9.1.0" in use.reason
    assert len(suggest_rewrites(original, version_number("9.1.0"))) == 1


@pytest.mark.parametrize("spec,reason", [
    ("virtio-rng-pci,rng=objrng0", "-object"),
    ("virtio-rng-pci,bus=pcie.1", "root bus"),
    ("virtio-rng-pci,disable-legacy=on", "no generic mapping"),
    ("ivshmem-plain,memdev=hostmem", "-object"),
])
def test_it_names_the_extras_it_cannot_rewrite_and_why(spec, reason):
    original = domain(spec)
    assert suggest_rewrites(original, LIBVIRT_9_0) == []
    [use] = find_extras(original, LIBVIRT_9_0)
    assert use.available and not use.rewritable
    assert reason in use.reason


def test_it_refuses_a_second_copy_of_a_unique_device():
    original = domain("virtio-balloon-pci").replace("model='none'", "model='virtio'")
    [use] = find_extras(original, LIBVIRT_9_0)
    assert "already has a <memballoon>" in use.reason


def test_it_ignores_devices_the_registry_does_not_know():
    assert find_extras(domain("e1000,netdev=n0"), LIBVIRT_9_0) == []


def test_it_parses_device_specs_like_qemu():
    assert parse_device_spec("virtio-rng-pci,id=r,,x,max-bytes=1") == (
        "virtio-rng-pci", {"id": "r,x", "max-bytes": "1"})
    assert parse_device_spec("driver=usb-kbd,id=k") == ("usb-kbd", {"id": "k"})
    assert parse_device_spec('{"driver": "x", "on": true}') == ("x", {"on": "on"})
    with pytest.raises(NotLossless):
        parse_device_spec("{broken")


def test_versions_convert_like_libvirt():
    assert version_number("9.0.0") == 9_000_000
    assert version_text(1_002_010) == "1.2.10"


@pytest.mark.parametrize("text,hmp,api", [
    ("info status", True, "virDomainGetState"),
    ('{"execute": "query-status"}', False, "virDomainGetState"),
    ("info block", True, "virDomainGetBlockInfo"),
    ("stop", True, "virDomainSuspend"),
    ("sendkey ctrl-alt-delete", True, "virDomainSendKey"),
    ('{"execute": "human-monitor-command", "arguments": {"command-line": "info version"}}',
     False, "virConnectGetVersion"),
])
def test_it_names_the_api_giving_the_same_facts_as_a_monitor_command(text, hmp, api):
    assert monitor_equivalent(text, hmp).api == api


def test_it_has_no_api_for_commands_without_one():
    assert monitor_equivalent("info registers", hmp=True) is None


def test_api_versions_match_the_installed_libvirt_api_description():
    if not API_XML.exists():
        pytest.skip(f"{API_XML} is not installed (Debian package libvirt-dev)")
    versions = {f.get("name"): f.get("version") for f in ET.parse(API_XML).iter("function")}
    wrong = {e.api: (e.since, versions.get(e.api)) for e in MONITOR_EQUIVALENTS.values()
             if versions.get(e.api) != e.since}
    assert wrong == {}


def test_every_device_equivalent_says_how_or_why_not():
    for entry in DEVICE_EQUIVALENTS.values():
        assert (entry.build is None) == bool(entry.why_manual), entry.driver
        version_number(entry.since)


REWRITABLE_SPECS = [
    "virtio-rng-pci", "virtio-rng-pci-transitional", "virtio-rng-pci-non-transitional",
    "pvpanic,ioport=0x505", "vmcoreinfo", "i6300esb", "ib700", "virtio-balloon-pci",
    "usb-tablet", "usb-mouse", "usb-kbd", "virtio-tablet-pci", "virtio-mouse-pci",
    "virtio-keyboard-pci", "vhost-vsock-pci,guest-cid=5", "intel-iommu,intremap=on,aw-bits=48",
    "virtio-iommu-pci,addr=0x9",
]


def with_acpi(text):
    return text.replace("  <devices>", "  <features>\n    <acpi/>\n  </features>\n  <devices>")


def test_it_asks_for_acpi_before_offering_a_virtio_iommu():
    [use] = find_extras(domain("virtio-iommu-pci"), LIBVIRT_9_0)
    assert "<features><acpi/></features>" in use.reason and not use.rewritable
    assert len(suggest_rewrites(with_acpi(domain("virtio-iommu-pci")), LIBVIRT_9_0)) == 1


@pytest.mark.parametrize("spec", REWRITABLE_SPECS)
def test_each_rewrite_gives_a_definition_the_schema_accepts(spec, domain_schema):
    [rewrite] = suggest_rewrites(with_acpi(domain(spec)), LIBVIRT_9_0)
    valid = domain_schema.validate(etree.fromstring(rewrite.new_xml_text.encode()))
    assert valid, (spec, str(domain_schema.error_log), rewrite.new_xml_text)
    assert "qemu:commandline" not in rewrite.new_xml_text


@pytest.mark.parametrize("spec", ["pvpanic,ioport=lots", "i6300esb,addr=zz", "intel-iommu,eim=maybe"])
def test_it_does_not_rewrite_properties_it_cannot_read(spec):
    [use] = find_extras(domain(spec), LIBVIRT_9_0)
    assert not use.rewritable and use.reason
