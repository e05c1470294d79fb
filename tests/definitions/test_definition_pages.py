"""The definition pages (HTTP client, no browser): every form, raw editor, import/export, history, rollback."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from domains.access.lookups import libvirt_domain
from tests.definitions.conftest import NEW_DOMAIN_XML, domain_names, inactive_xml


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def post_form(client, domain, form, **data):
    return client.post(f"/domains/{domain.uuid}/definition/edit/{form}/", data)


def test_the_definition_page_shows_the_forms_and_the_first_revision(signed_in, vm):
    page = signed_in.get(f"/domains/{vm.uuid}/definition/")
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("general", "cpu", "memory", "boot", "disks", "nics", "graphics", "serial", "autostart", "metadata"):
        assert f'id="{section}"' in html
    assert "Revision 1" in html


FORM_CASES = [
    ("general", {"title": "Front end", "description": "serves pages"}, "<title>Front end</title>"),
    ("cpu", {"vcpus": "1", "max_vcpus": "2"}, "<vcpu placement='static' current='1'>2</vcpu>"),
    ("memory", {"memory_mib": "32", "max_memory_mib": "64"}, "<currentMemory unit='KiB'>32768</currentMemory>"),
    ("boot", {"boot_order": ["cdrom", "hd", ""], "boot_menu": "on", "boot_menu_timeout_ms": "3000"},
     "<bootmenu enable='yes' timeout='3000'/>"),
    ("disk-add", {"source_kind": "path", "path": "/var/tmp/extra.qcow2", "bus": "sata", "format": "qcow2"},
     "<source file='/var/tmp/extra.qcow2'/>"),
    ("nic-add", {"kind": "bridge", "source": "br0", "model": "e1000", "mac": "52:54:00:aa:bb:cc"},
     "<source bridge='br0'/>"),
    ("graphics", {"kind": "spice", "listen": "127.0.0.1"}, "<graphics type='spice'"),
    ("serial-add", {"kind": "pty", "with_console": "on"}, "<serial type='pty'>"),
    ("console-add", {"kind": "pty", "target_type": "virtio"}, "<target type='virtio' port='0'/>"),
    ("metadata", {"xml": "<app:owner xmlns:app='https://example.org/app'>ops</app:owner>"}, ">ops</app:owner>"),
]


@pytest.mark.parametrize("form, data, expected", FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_each_form_edits_its_target(signed_in, vm, test_host, form, data, expected):
    answer = post_form(signed_in, vm, form, **data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert expected in inactive_xml(test_host, "vm0000")
    page = signed_in.get(answer["Location"]).content.decode()
    assert "revision 2" in page


def test_device_forms_change_and_remove_what_they_added(signed_in, vm, test_host):
    post_form(signed_in, vm, "disk-add", source_kind="path", path="/var/tmp/d.qcow2", bus="virtio", target="vdb")
    assert post_form(signed_in, vm, "disk-change", target="vdb", bus="sata", cache="none").status_code == 302
    xml = inactive_xml(test_host, "vm0000")
    assert "<target dev='sda' bus='sata'/>" in xml and "cache='none'" in xml
    post_form(signed_in, vm, "nic-add", kind="network", source="default", model="virtio")
    assert post_form(signed_in, vm, "nic-change", index="0", kind="network", source="other", model="e1000",
                     mac="52:54:00:00:00:01").status_code == 302
    assert "<source network='other'/>" in inactive_xml(test_host, "vm0000")
    post_form(signed_in, vm, "graphics", kind="vnc")
    post_form(signed_in, vm, "serial-add", kind="pty", with_console="on")
    refused = post_form(signed_in, vm, "console-remove", target_type="serial", port="0")
    assert refused.status_code == 400 and "remove serial port 0 instead" in refused.content.decode()
    for form, data in [("disk-remove", {"target": "sda"}), ("nic-remove", {"index": "0"}),
                       ("graphics-remove", {"kind": "vnc"}), ("serial-remove", {"port": "0"})]:
        assert post_form(signed_in, vm, form, **data).status_code == 302, form
    xml = inactive_xml(test_host, "vm0000")
    assert "<disk" not in xml and "<interface" not in xml and "<graphics" not in xml and "<serial" not in xml


def test_metadata_of_other_namespaces_stays_when_one_is_removed(signed_in, vm, test_host):
    post_form(signed_in, vm, "metadata", xml="<a:x xmlns:a='https://a.example/'>1</a:x>")
    post_form(signed_in, vm, "metadata", xml="<b:y xmlns:b='https://b.example/'>2</b:y>")
    assert post_form(signed_in, vm, "metadata-remove", namespace="https://a.example/").status_code == 302
    xml = inactive_xml(test_host, "vm0000")
    assert "https://a.example/" not in xml and ">2</b:y>" in xml


def test_the_autostart_form_sets_autostart(signed_in, vm):
    assert post_form(signed_in, vm, "autostart", autostart="on").status_code == 302
    assert libvirt_domain(vm).autostart() == 1
    post_form(signed_in, vm, "autostart")
    assert libvirt_domain(vm).autostart() == 0


def test_a_refused_form_shows_its_error_and_changes_nothing(signed_in, vm, test_host):
    before = inactive_xml(test_host, "vm0000")
    answer = post_form(signed_in, vm, "cpu", vcpus="5", max_vcpus="2")
    assert answer.status_code == 400 and "exceed the maximum" in answer.content.decode()
    assert inactive_xml(test_host, "vm0000") == before and vm.revisions.count() == 1


def test_a_rejected_raw_edit_stays_in_the_editor_with_its_errors(signed_in, vm, test_host):
    before = inactive_xml(test_host, "vm0000")
    typed = before.replace("<on_crash>destroy</on_crash>", "<on_crash>explode</on_crash>")
    answer = signed_in.post(f"/domains/{vm.uuid}/definition/xml/", {"xml": typed})
    html = answer.content.decode()
    assert answer.status_code == 400
    line = next(n for n, text in enumerate(typed.splitlines(), 1) if "explode" in text)
    assert "&lt;on_crash&gt;explode&lt;/on_crash&gt;" in html and f"line {line}" in html
    assert f'"line": {line}' in html  # for the editor's marks
    assert inactive_xml(test_host, "vm0000") == before


def test_a_raw_edit_is_saved_and_listed_with_a_diff_and_rolled_back(signed_in, vm, test_host):
    before = inactive_xml(test_host, "vm0000")
    edited = before.replace("<on_crash>destroy</on_crash>", "<on_crash>restart</on_crash>")
    answer = signed_in.post(f"/domains/{vm.uuid}/definition/xml/", {"xml": edited, "reason": "recover"})
    assert answer.status_code == 302
    assert "<on_crash>restart</on_crash>" in inactive_xml(test_host, "vm0000")
    history = signed_in.get(f"/domains/{vm.uuid}/definition/history/?from=1&to=2").content.decode()
    assert "recover" in history and '<div class="add">+  &lt;on_crash&gt;restart&lt;/on_crash&gt;</div>' in history
    assert signed_in.post(f"/domains/{vm.uuid}/definition/history/1/rollback/").status_code == 302
    assert inactive_xml(test_host, "vm0000") == before
    assert signed_in.get(f"/domains/{vm.uuid}/definition/history/3/").status_code == 200


def test_export_downloads_the_xml(signed_in, vm, test_host):
    answer = signed_in.get(f"/domains/{vm.uuid}/definition/export/")
    assert answer["Content-Disposition"] == 'attachment; filename="vm0000-r1.xml"'
    assert answer.content.decode() == inactive_xml(test_host, "vm0000")


def test_import_by_paste_and_by_upload(signed_in, test_host):
    pasted = signed_in.post(f"/hosts/{test_host.pk}/domains/import/", {"xml": NEW_DOMAIN_XML.format(name="pasted")})
    assert pasted.status_code == 302
    upload = SimpleUploadedFile("up.xml", NEW_DOMAIN_XML.format(name="uploaded").encode(), "application/xml")
    assert signed_in.post(f"/hosts/{test_host.pk}/domains/import/", {"file": upload}).status_code == 302
    assert {"pasted", "uploaded"} <= set(domain_names(test_host))


def test_a_refused_import_keeps_the_pasted_xml(signed_in, test_host):
    answer = signed_in.post(f"/hosts/{test_host.pk}/domains/import/", {"xml": NEW_DOMAIN_XML.format(name="vm0001")})
    assert answer.status_code == 400 and "already exists" in answer.content.decode()
    assert "&lt;name&gt;vm0001&lt;/name&gt;" in answer.content.decode()


def test_the_create_form_builds_a_domain_from_the_host_capabilities(signed_in, test_host):
    page = signed_in.get(f"/hosts/{test_host.pk}/domains/new/")
    assert page.status_code == 200
    offer = page.context["offer"]
    answer = signed_in.post(f"/hosts/{test_host.pk}/domains/new/", {
        "name": "made", "domain_type": offer.domain_types[0], "arch": offer.arches[0],
        "machine": (offer.machines[offer.arches[0]] or [""])[0], "firmware": "bios", "vcpus": "2", "memory_mib": "64",
        "disk": "none", "network": "network:default"})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    xml = inactive_xml(test_host, "made")
    assert "<vcpu placement='static'>2</vcpu>" in xml and "<source network='default'/>" in xml


def test_outsiders_get_404_and_viewers_cannot_post(client, outsider, vm):
    client.force_login(outsider)
    assert client.get(f"/domains/{vm.uuid}/definition/").status_code == 404
    assert post_form(client, vm, "cpu", vcpus="1", max_vcpus="1").status_code == 404


def test_a_running_domain_says_what_applies_on_next_boot(signed_in, make_test_host):
    from domains.lifecycle import inventory

    host = make_test_host("runhost", domains=1, running={0})
    inventory.sync_host(host)
    running = host.domains.get(name="vm0000")
    page = signed_in.get(f"/domains/{running.uuid}/definition/").content.decode()
    assert "Applies on next boot" not in page and "apply on next boot" in page
    assert post_form(signed_in, running, "cpu", vcpus="2", max_vcpus="2").status_code == 302
    page = signed_in.get(f"/domains/{running.uuid}/definition/").content.decode()
    assert "Applies on next boot:</strong> the running domain differs from its persistent definition in vCPUs" in page
