"""A grant on one domain never reaches the host: definition changes that name host resources need host_resources."""

import libvirt
import pytest
from rest_framework.test import APIClient

from domains.access.models import AuditEntry
from domains.definitions.actions import do_define
from domains.definitions.models import DefinitionRevision
from domains.definitions.policy import HOST_RESOURCES, host_references, new_references
from domains.definitions.xml import parse
from domains.libvirt import adapter
from tests.definitions.conftest import NEW_DOMAIN_XML, domain_names, inactive_xml

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
# One payload per way a definition can make root open something on the host.
DEVICE_PAYLOADS = {
    "root-only-file-disk": "<disk type='file' device='disk'><source file='/etc/shadow'/>"
                           "<target dev='vda' bus='virtio'/></disk>",
    "host-block-device-disk": "<disk type='block' device='disk'><source dev='/dev/sda'/>"
                              "<target dev='vdb' bus='virtio'/></disk>",
    "other-hosts-network-disk": "<disk type='network' device='disk'><source protocol='nbd' name='export'>"
                                "<host name='10.0.0.9' port='10809'/></source><target dev='vdc' bus='virtio'/></disk>",
    "serial-pipe": "<serial type='pipe'><source path='/root/secret'/><target port='0'/></serial>",
    "serial-file": "<serial type='file'><source path='/etc/cron.d/guest-chosen'/><target port='0'/></serial>",
    "unix-socket-with-path": "<channel type='unix'><source mode='connect' path='/run/libvirt/libvirt-sock'/>"
                             "<target type='virtio' name='org.example.0'/></channel>",
    "emulator": "<emulator>/var/tmp/written-by-the-guest</emulator>",
    "filesystem-passthrough-of-root": "<filesystem type='mount' accessmode='passthrough'><source dir='/'/>"
                                      "<target dir='hostroot'/></filesystem>",
    "hostdev": "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/>"
               "</source></hostdev>",
    "bridge-interface": "<interface type='bridge'><source bridge='br0'/></interface>",
    "interface-script": "<interface type='ethernet'><script path='/tmp/run-me-as-root'/></interface>",
    "graphics-on-all-addresses": "<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'/>",
    "shmem": "<shmem name='host-shared'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>",
    "lock-lease": "<lease><lockspace>somearea</lockspace><key>somekey</key><target path='/some/lease/path'/></lease>",
}
TOP_PAYLOADS = {
    "kernel": ("os", "<kernel>/boot/vmlinuz-of-the-host</kernel>"),
    "loader": ("os", "<loader readonly='yes' type='rom'>/etc/shadow</loader>"),
    "security-label": ("domain", "<seclabel type='none'/>"),
    "qemu-commandline": ("domain", f"<qemu:commandline xmlns:qemu='{QEMU_NS}'><qemu:arg value='-chardev'/>"
                                   "<qemu:arg value='file,id=x,path=/etc/shadow'/></qemu:commandline>"),
}
PAYLOAD_NAMES = [*DEVICE_PAYLOADS, *TOP_PAYLOADS]
# libvirt's schema refuses it before the policy would; the policy counts it all the same (fail closed).
UNKNOWN_DEVICE = "<wardrobe path='/etc'/>"


def with_payload(xml, name):
    """xml with the payload called name put where libvirt expects it."""
    if name in DEVICE_PAYLOADS:
        payload = DEVICE_PAYLOADS[name]
        if "</devices>" in xml:
            return xml.replace("</devices>", f"  {payload}\n  </devices>", 1)
        if "<devices/>" in xml:
            return xml.replace("<devices/>", f"<devices>{payload}</devices>", 1)
        return xml.replace("</domain>", f"  <devices>{payload}</devices>\n</domain>", 1)
    where, payload = TOP_PAYLOADS[name]
    if where == "os":
        return xml.replace("</type>", f"</type>\n    {payload}", 1)
    return xml.replace("</domain>", f"  {payload}\n</domain>", 1)


def refusals(domain_or_host):
    return AuditEntry.objects.filter(target_id=str(domain_or_host.pk), outcome__startswith="refused")


@pytest.fixture
def power_user(vm, teammate, grant):
    """The teammate, a Power user of vm."""
    grant("Power user", domain=vm)
    return teammate


@pytest.fixture
def power(power_user):
    client = APIClient()
    client.force_authenticate(power_user)
    return client


def _put(client, vm, xml):
    return client.put(f"/api/v1/domains/{vm.uuid}/xml", {"xml": xml}, format="json")


# --- the policy itself ---

def test_it_finds_no_host_reference_in_plain_virtual_hardware():
    document = parse("""<domain type='qemu'><name>plain</name><memory>65536</memory><vcpu>2</vcpu>
      <os><type arch='x86_64'>hvm</type><boot dev='hd'/><cmdline>root=/dev/vda</cmdline></os>
      <features><acpi/></features><clock offset='utc'/>
      <devices>
        <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
        <interface type='network'><source network='default'/><model type='virtio'/></interface>
        <interface type='user'><mac address='52:54:00:00:00:01'/></interface>
        <serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial'/></console>
        <channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
        <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
        <video><model type='vga'/></video><memballoon model='virtio'/>
        <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
      </devices></domain>""")
    assert host_references(document) == []


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_it_counts_each_payload_as_a_host_reference(name):
    base = "<domain type='qemu'><name>p</name><memory>65536</memory><os><type>hvm</type></os><devices/></domain>"
    found = new_references(parse(base), parse(with_payload(base, name)))
    assert len(found) == 1 and found[0].line is not None, found


def test_it_counts_an_element_it_does_not_know_as_a_host_reference():
    base = "<domain type='qemu'><name>p</name><memory>65536</memory><os><type>hvm</type></os><devices/></domain>"
    found = host_references(parse(base.replace("<devices/>", f"<devices>{UNKNOWN_DEVICE}</devices>")))
    assert [r.kind for r in found] == ["a device the definition policy does not know"]
    assert [r.kind for r in host_references(parse(base.replace("<devices/>", "<devices/><wardrobe/>")))] == [
        "an element the definition policy does not know"]


def test_it_judges_the_change_not_the_document():
    old = ("<domain type='qemu'><name>p</name><memory>65536</memory><os><type>hvm</type></os><devices>"
           "<disk type='file' device='disk'><source file='/srv/a.img'/><target dev='vda'/></disk></devices></domain>")
    same_disk_new_target = old.replace("65536", "131072").replace("dev='vda'", "dev='vdb' bus='virtio'")
    repointed = old.replace("/srv/a.img", "/etc/shadow")
    assert new_references(parse(old), parse(same_disk_new_target)) == []
    assert [r.names for r in new_references(parse(old), parse(repointed))] == ["type=file, file=/etc/shadow"]
    assert new_references(parse(old), parse(old.replace("<disk", "<!-- gone --><x").replace("</disk>", "</x>")))


# --- a Power user, through the API and the pages ---

@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_it_refuses_a_power_user_each_host_reference_through_the_api(power, vm, test_host, name):
    before, rows = inactive_xml(test_host, "vm0000"), DefinitionRevision.objects.count()
    answer = _put(power, vm, with_payload(before, name))
    assert answer.status_code == 403, answer.json()
    body = answer.json()
    assert body["code"] == "definition_policy" and body["fields"]["permission"] == HOST_RESOURCES
    assert HOST_RESOURCES in body["message"] and body["fields"]["xml"][0]["line"], body
    assert inactive_xml(test_host, "vm0000") == before and DefinitionRevision.objects.count() == rows
    assert refusals(vm).count() == 1 and HOST_RESOURCES in refusals(vm).get().outcome


@pytest.mark.parametrize("name", ["root-only-file-disk", "serial-file", "emulator", "hostdev", "kernel"])
def test_an_administrator_of_the_host_may_name_host_resources(api, vm, test_host, name):
    answer = _put(api, vm, with_payload(inactive_xml(test_host, "vm0000"), name))
    assert answer.status_code == 200, answer.json()
    assert not refusals(vm).exists()


def test_a_power_user_may_change_memory_of_a_domain_that_has_a_host_disk(api, power, vm, test_host):
    assert _put(api, vm, with_payload(inactive_xml(test_host, "vm0000"), "root-only-file-disk")).status_code == 200
    current = power.get(f"/api/v1/domains/{vm.uuid}/xml").json()["xml"]
    answer = _put(power, vm, current.replace("<memory unit='KiB'>65536</memory>", "<memory unit='KiB'>98304</memory>"))
    assert answer.status_code == 200, answer.json()
    assert "98304" in inactive_xml(test_host, "vm0000") and "/etc/shadow" in inactive_xml(test_host, "vm0000")
    patched = power.patch(f"/api/v1/domains/{vm.uuid}", {"vcpus": 1, "max_vcpus": 2}, format="json")
    assert patched.status_code == 200, patched.json()


def test_a_power_user_may_not_repoint_a_host_disk_an_administrator_gave(api, power, vm, test_host):
    assert _put(api, vm, with_payload(inactive_xml(test_host, "vm0000"), "root-only-file-disk")).status_code == 200
    before = inactive_xml(test_host, "vm0000")
    answer = _put(power, vm, before.replace("/etc/shadow", "/etc/gshadow"))
    assert answer.status_code == 403 and "/etc/gshadow" in answer.json()["message"]
    assert inactive_xml(test_host, "vm0000") == before


def test_a_power_user_may_remove_a_host_reference(api, power, vm, test_host):
    plain = inactive_xml(test_host, "vm0000")
    assert _put(api, vm, with_payload(plain, "serial-file")).status_code == 200
    assert _put(power, vm, plain).status_code == 200
    assert "/etc/cron.d" not in inactive_xml(test_host, "vm0000")


def test_it_refuses_a_power_user_a_rollback_that_would_add_a_host_reference_back(api, power, vm, test_host):
    plain = inactive_xml(test_host, "vm0000")
    with_disk = _put(api, vm, with_payload(plain, "host-block-device-disk")).json()["revision"]["number"]
    assert _put(api, vm, plain).status_code == 200
    rows = DefinitionRevision.objects.count()
    answer = power.post(f"/api/v1/domains/{vm.uuid}/revisions/{with_disk}/rollback", {}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "definition_policy", answer.json()
    assert "/dev/sda" not in inactive_xml(test_host, "vm0000") and DefinitionRevision.objects.count() == rows
    assert refusals(vm).count() == 1
    assert api.post(f"/api/v1/domains/{vm.uuid}/revisions/{with_disk}/rollback", {}, format="json").status_code == 200


def test_the_raw_xml_page_shows_the_refusal_and_keeps_what_was_typed(client, power_user, vm, test_host):
    client.force_login(power_user)
    typed = with_payload(inactive_xml(test_host, "vm0000"), "filesystem-passthrough-of-root")
    answer = client.post(f"/domains/{vm.uuid}/definition/xml/", {"xml": typed})
    text = answer.content.decode()
    assert answer.status_code == 403 and HOST_RESOURCES in text and "hostroot" in text
    assert "/etc/shadow" not in inactive_xml(test_host, "vm0000") and "hostroot" not in inactive_xml(test_host, "vm0000")
    assert refusals(vm).count() == 1


def test_the_definition_form_cannot_attach_a_host_file_for_a_power_user(client, power_user, vm, test_host):
    client.force_login(power_user)
    before = inactive_xml(test_host, "vm0000")
    answer = client.post(f"/domains/{vm.uuid}/definition/edit/disk-add/",
                         {"path": "/etc/shadow", "target": "vdz", "bus": "virtio"})
    assert answer.status_code == 403 and inactive_xml(test_host, "vm0000") == before


# --- creating and importing: define_domains on the host is not host_resources ---

@pytest.fixture
def definer(test_host, teammate, grant, define_role):
    """The teammate's client, holding define_domains on the host (and nothing of host_resources)."""
    grant(define_role("Definer (test)", ["getattr", "define_domains"]), host=test_host)
    client = APIClient()
    client.force_authenticate(teammate)
    return client


def test_it_refuses_an_import_naming_host_resources_without_host_resources(definer, test_host):
    xml = with_payload(NEW_DOMAIN_XML.format(name="imported"), "serial-pipe")
    answer = definer.post(f"/api/v1/hosts/{test_host.pk}/domains", {"xml": xml}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "definition_policy", answer.json()
    assert "imported" not in domain_names(test_host)
    assert refusals(test_host).filter(action="domain.create").count() == 1


def test_a_definer_may_import_plain_virtual_hardware(definer, test_host):
    answer = definer.post(f"/api/v1/hosts/{test_host.pk}/domains",
                          {"xml": NEW_DOMAIN_XML.format(name="imported")}, format="json")
    assert answer.status_code == 201, answer.json()


# --- audit: the intent before a define, its outcome after; a refusal by libvirt once, whatever its error ---

def test_a_define_libvirt_refuses_leaves_exactly_one_audit_entry(owner, vm, test_host):
    conn = adapter.connection_for(test_host).get()
    xml = inactive_xml(test_host, "vm0000").replace("<vcpu placement='static'>1</vcpu>",
                                                    "<vcpu placement='static' current='4'>2</vcpu>", 1)
    assert "current='4'" in xml
    with pytest.raises(Exception):
        do_define(owner, vm, xml)
    entries = AuditEntry.objects.filter(action="domain.define", target_id=str(vm.pk)).order_by("id")
    outcomes = [entry.outcome.split(":")[0] for entry in entries]
    assert outcomes in (["started", "refused"], ["started", "failed"]), outcomes  # the intent, then one reason
    assert conn.lookupByName("vm0000").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == inactive_xml(test_host, "vm0000")


def test_the_qemu_commandline_form_is_judged_by_the_same_policy(vm, test_host, teammate, grant):
    """A domain-scoped Administrator holds monitor_admin and write, but not host_resources."""
    grant("Administrator", domain=vm)
    client = APIClient()
    client.force_authenticate(teammate)
    before = inactive_xml(test_host, "vm0000")
    answer = client.post(f"/api/qemu/v1/domains/{vm.uuid}/commandline",
                         {"args": ["-fw_cfg", "name=opt/x,file=/etc/shadow"]}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "definition_policy", answer.json()
    assert inactive_xml(test_host, "vm0000") == before
    assert AuditEntry.objects.filter(target_id=str(vm.pk)).exclude(outcome="ok").count() == 1


@pytest.mark.embedded
def test_a_power_user_changes_the_demo_guests_memory_but_not_its_kernel(demo, embedded_host, teammate, grant):
    """The demo guest boots a host kernel and initrd: references a Power user keeps but may not re-point."""
    from tests.conftest import drain_event_workers

    grant("Power user", domain=demo)
    client = APIClient()
    client.force_authenticate(teammate)
    patched = client.patch(f"/api/v1/domains/{demo.uuid}", {"memory_kib": 196608}, format="json")
    assert patched.status_code == 200, patched.json()
    drain_event_workers()
    current = inactive_xml(embedded_host, "demo")
    assert "<currentMemory unit='KiB'>196608</currentMemory>" in current
    answer = _put(client, demo, current.replace("/vmlinuz<", "/initrd.img<"))
    assert answer.status_code == 403 and answer.json()["fields"]["xml"][0]["path"] == "/domain/os/kernel"
    assert inactive_xml(embedded_host, "demo") == current


@pytest.mark.embedded
def test_an_emulator_libvirt_cannot_probe_leaves_its_intent_and_one_reason_in_the_audit(demo, embedded_host, owner):
    """libvirt answers this one with a system or internal error (not "your XML is wrong"): audited all the same."""
    before = inactive_xml(embedded_host, "demo")
    xml = before.replace("/usr/bin/qemu-system-x86_64", "/var/tmp/no-such-emulator-here")
    with pytest.raises(Exception):
        do_define(owner, demo, xml)
    outcomes = [e.outcome for e in AuditEntry.objects.filter(action="domain.define", target_id=str(demo.pk))
                .order_by("id")]
    assert len(outcomes) == 2 and outcomes[0] == "started" and "no-such-emulator-here" in outcomes[1], outcomes
    assert inactive_xml(embedded_host, "demo") == before
