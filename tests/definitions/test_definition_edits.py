"""Each structured edit, shown by the exact lines it changes (and the clear error when it refuses)."""

import pytest

from domains.definitions.xml import device_edits as devices
from domains.definitions.xml import edits
from domains.revisions.diff import diff_lines
from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse

BASE = """<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>demo</name>
  <!-- sized for the demo -->
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/demo.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-no-hpet'/>
  </qemu:commandline>
</domain>
"""


def changes(edit, *args, **kwargs):
    """The (kind, line) pairs an edit adds and removes."""
    document = parse(BASE)
    edit(document, *args, **kwargs)
    return [(line.kind, line.text) for line in diff_lines(BASE, document.to_xml()) if line.kind in ("add", "remove")]


def test_it_adds_a_title_after_the_name():
    assert changes(edits.set_title, "Demo & friends") == [("add", "  <title>Demo &amp; friends</title>")]


def test_it_refuses_a_title_of_two_lines():
    with pytest.raises(DefinitionError, match="single line"):
        edits.set_title(parse(BASE), "a\nb")


def test_it_sets_online_and_maximum_vcpus():
    assert changes(edits.set_vcpus, 4, current=2) == [
        ("remove", "  <vcpu placement='static'>2</vcpu>"),
        ("add", "  <vcpu placement='static' current='2'>4</vcpu>"),
    ]


def test_it_refuses_more_online_vcpus_than_the_maximum():
    with pytest.raises(DefinitionError, match="exceed the maximum"):
        edits.set_vcpus(parse(BASE), 2, current=3)


def test_it_refuses_a_maximum_that_breaks_the_cpu_topology():
    document = parse(BASE.replace("<os>", "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>\n  <os>"))
    with pytest.raises(DefinitionError, match="topology"):
        edits.set_vcpus(document, 3)


def test_it_sets_memory_in_the_unit_given():
    assert changes(edits.set_memory, 4, "GiB", current=2) == [
        ("remove", "  <memory unit='KiB'>1048576</memory>"),
        ("remove", "  <currentMemory unit='KiB'>1048576</currentMemory>"),
        ("add", "  <memory unit='GiB'>4</memory>"),
        ("add", "  <currentMemory unit='GiB'>2</currentMemory>"),
    ]


def test_it_leaves_a_current_memory_that_already_has_the_size():
    assert changes(edits.set_memory, 2, "GiB", current=1) == [
        ("remove", "  <memory unit='KiB'>1048576</memory>"), ("add", "  <memory unit='GiB'>2</memory>")]


def test_the_same_memory_in_another_unit_changes_nothing():
    assert changes(edits.set_memory, 1024, "MiB") == []


def test_it_refuses_current_memory_above_the_maximum():
    with pytest.raises(DefinitionError, match="exceeds the maximum"):
        edits.set_memory(parse(BASE), 1, "GiB", current=2)


def test_it_rewrites_the_boot_order():
    document = parse(BASE)
    edits.set_boot_order(document, ["cdrom", "hd"])
    assert "    <boot dev='cdrom'/>\n    <boot dev='hd'/>\n  </os>" in document.to_xml()
    edits.set_boot_order(document, ["network"])
    assert "    <boot dev='network'/>\n  </os>" in document.to_xml()


def test_it_refuses_a_boot_order_next_to_per_device_boot_order():
    document = parse(BASE.replace("<model type='virtio'/>", "<model type='virtio'/>\n      <boot order='1'/>"))
    with pytest.raises(DefinitionError, match="per device"):
        edits.set_boot_order(document, ["hd"])


def test_it_turns_on_the_boot_menu():
    assert changes(edits.set_boot_menu, True, 3000) == [("add", "    <bootmenu enable='yes' timeout='3000'/>")]


def test_it_adds_a_file_disk_after_the_last_disk():
    assert changes(devices.add_file_disk, "/srv/data.raw", "vdb", fmt="raw", cache="none") == [
        ("add", "    <disk type='file' device='disk'>"),
        ("add", "      <driver name='qemu' type='raw' cache='none'/>"),
        ("add", "      <source file='/srv/data.raw'/>"),
        ("add", "      <target dev='vdb' bus='virtio'/>"),
        ("add", "    </disk>"),
    ]


def test_it_adds_a_volume_disk():
    added = changes(devices.add_volume_disk, "default", "data.qcow2", "vdb")
    assert ("add", "      <source pool='default' volume='data.qcow2'/>") in added
    assert ("add", "    <disk type='volume' device='disk'>") in added


def test_it_refuses_a_disk_target_already_in_use():
    with pytest.raises(DefinitionError, match="already uses target 'vda'"):
        devices.add_file_disk(parse(BASE), "/srv/x.img", "vda")


def test_moving_a_disk_to_another_bus_drops_its_bus_specific_address():
    assert changes(devices.set_disk_bus, "vda", "sata", "sda") == [
        ("remove", "      <target dev='vda' bus='virtio'/>"),
        ("remove", "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>"),
        ("add", "      <target dev='sda' bus='sata'/>"),
    ]


def test_it_sets_the_disk_cache_on_the_driver():
    assert changes(devices.set_disk_cache, "vda", "writeback") == [
        ("remove", "      <driver name='qemu' type='qcow2'/>"),
        ("add", "      <driver name='qemu' type='qcow2' cache='writeback'/>"),
    ]


def test_it_removes_a_disk_and_only_its_lines():
    removed = changes(devices.remove_disk, "vda")
    assert len(removed) == 6 and all(kind == "remove" for kind, _ in removed)


def test_it_refuses_to_remove_a_disk_that_does_not_exist():
    with pytest.raises(DefinitionError, match="no disk with target 'vdz'"):
        devices.remove_disk(parse(BASE), "vdz")


def test_it_adds_a_bridged_interface_with_a_mac():
    assert changes(devices.add_interface, "bridge", "br0", mac="52:54:00:00:00:02") == [
        ("add", "    <interface type='bridge'>"),
        ("add", "      <mac address='52:54:00:00:00:02'/>"),
        ("add", "      <source bridge='br0'/>"),
        ("add", "      <model type='virtio'/>"),
        ("add", "    </interface>"),
    ]


def test_it_refuses_a_multicast_mac():
    with pytest.raises(DefinitionError, match="unicast"):
        devices.add_interface(parse(BASE), mac="01:00:5e:00:00:01")


def test_it_changes_the_nic_model_by_mac():
    assert changes(devices.set_interface_model, "52:54:00:AA:BB:CC", "e1000e") == [
        ("remove", "      <model type='virtio'/>"), ("add", "      <model type='e1000e'/>")]


def test_it_moves_a_nic_from_a_network_to_a_bridge():
    assert changes(devices.set_interface_source, 0, "bridge", "br0") == [
        ("remove", "    <interface type='network'>"),
        ("add", "    <interface type='bridge'>"),
        ("remove", "      <source network='default'/>"),
        ("add", "      <source bridge='br0'/>"),
    ]


def test_it_changes_a_mac():
    assert changes(devices.set_interface_mac, 0, "52:54:00:00:00:09") == [
        ("remove", "      <mac address='52:54:00:aa:bb:cc'/>"), ("add", "      <mac address='52:54:00:00:00:09'/>")]


def test_it_removes_an_interface_by_position():
    assert len(changes(devices.remove_interface, 0)) == 5


def test_it_changes_the_vnc_listen_address_in_both_places():
    assert changes(devices.set_graphics, "vnc", "0.0.0.0") == [
        ("remove", "    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>"),
        ("remove", "      <listen type='address' address='127.0.0.1'/>"),
        ("add", "    <graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'>"),
        ("add", "      <listen type='address' address='0.0.0.0'/>"),
    ]


def test_it_adds_a_spice_display_after_vnc():
    assert changes(devices.set_graphics, "spice") == [("add", "    <graphics type='spice' autoport='yes'/>")]


def test_it_refuses_a_listen_address_that_is_not_an_address():
    with pytest.raises(DefinitionError, match="listen address"):
        devices.set_graphics(parse(BASE), "vnc", "my laptop")


def test_it_adds_the_next_free_serial_port_and_a_console():
    document = parse(BASE)
    devices.add_serial(document)
    devices.add_console(document)
    added = [(line.kind, line.text) for line in diff_lines(BASE, document.to_xml()) if line.kind == "add"]
    assert added == [
        ("add", "    <serial type='pty'>"), ("add", "      <target port='1'/>"), ("add", "    </serial>"),
        ("add", "    <console type='pty'>"), ("add", "      <target type='serial' port='0'/>"),
        ("add", "    </console>"),
    ]


def test_it_removes_a_serial_port():
    assert len(changes(devices.remove_serial, 0)) == 3


def test_it_sets_and_replaces_foreign_metadata_in_place():
    document = parse(BASE)
    edits.set_metadata(document, "<app:info xmlns:app='https://example.org/app'><app:owner>ops</app:owner></app:info>")
    edits.set_metadata(document, "<app:info xmlns:app='https://example.org/app'><app:owner>dev</app:owner></app:info>")
    added = [(line.kind, line.text) for line in diff_lines(BASE, document.to_xml()) if line.kind != "context"][3:]
    assert added == [
        ("add", "  <metadata>"),
        ("add", "    <app:info xmlns:app='https://example.org/app'>"),
        ("add", "      <app:owner>dev</app:owner>"),
        ("add", "    </app:info>"),
        ("add", "  </metadata>"),
    ]
    assert edits.remove_metadata(document, "https://example.org/app") is True
    assert edits.remove_metadata(document, "https://example.org/app") is False


def test_it_refuses_metadata_without_a_namespace():
    with pytest.raises(DefinitionError, match="namespace"):
        edits.set_metadata(parse(BASE), "<info/>")


def test_the_qemu_namespace_and_comments_survive_every_edit():
    document = parse(BASE)
    edits.set_title(document, "t")
    edits.set_vcpus(document, 4)
    devices.add_file_disk(document, "/srv/b.img", "vdb")
    devices.remove_interface(document, 0)
    text = document.to_xml()
    assert "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" in text
    assert "<qemu:arg value='-no-hpet'/>" in text
    assert "<!-- sized for the demo -->" in text


def test_edits_keep_a_compact_document_compact():
    document = parse("<domain type='qemu'><name>c</name><os><type>hvm</type></os><devices></devices></domain>")
    devices.add_serial(document)
    edits.set_title(document, "x")
    assert document.to_xml() == ("<domain type='qemu'><name>c</name><title>x</title><os><type>hvm</type></os>"
                                 "<devices><serial type='pty'><target port='0'/></serial></devices></domain>")


def test_moving_a_disk_to_sata_gives_it_a_sata_name():
    document = parse(BASE)
    devices.set_disk_bus(document, "vda", "sata")
    assert "<target dev='sda' bus='sata'/>" in document.to_xml()


def test_it_refuses_to_move_a_multiqueue_disk_off_virtio():
    document = parse(BASE.replace("<driver name='qemu' type='qcow2'/>", "<driver name='qemu' type='qcow2' queues='4'/>"))
    with pytest.raises(DefinitionError, match="only virtio disks"):
        devices.set_disk_bus(document, "vda", "scsi")


def test_it_refuses_a_floppy_target_for_a_hard_disk():
    with pytest.raises(DefinitionError, match="floppy"):
        devices.add_file_disk(parse(BASE), "/srv/x.img", "fdb")


def test_it_refuses_a_second_serial_console():
    document = parse(BASE)
    devices.add_console(document)
    with pytest.raises(DefinitionError, match="first console"):
        devices.add_console(document, port=1)
    devices.add_console(document, target_type="virtio", port=1)


def test_it_refuses_to_switch_a_nic_to_a_type_its_other_settings_do_not_fit():
    document = parse(BASE.replace("<model type='virtio'/>", "<model type='virtio'/>\n      <virtualport type='openvswitch'/>"))
    with pytest.raises(DefinitionError, match="raw editor"):
        devices.set_interface_source(document, 0, "user", None)
