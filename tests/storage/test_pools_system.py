"""Pools on the system libvirtd: a dir pool's whole life, a failed start taken back, and the pool types a loop
device can carry here: fs, disk (a partition table), logical."""

import shutil
import subprocess
from pathlib import Path

import pytest

from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.models import Pool
from domains.storage.pools.actions import do_define_pool, do_delete_pool, do_pool_action
from domains.storage.volumes.actions import VolumeError, do_create_volume
from tests.libvirt_support import own_connection, own_dir_pool

from .conftest import system_pool_names

pytestmark = [pytest.mark.system]


def test_a_dir_pool_goes_through_its_whole_life_by_the_api(as_user, owner, system_host, pool_name, tmp_path):
    client = as_user(owner)
    target = tmp_path / "dirpool"
    url = f"/api/v1/hosts/{system_host.pk}/pools"

    made = client.post(url, {"name": pool_name, "type": "dir", "target": str(target), "build": True, "start": True,
                             "autostart": True}, content_type="application/json")

    assert made.status_code == 201, made.content
    assert (made.json()["state"], made.json()["autostart"], made.json()["persistent"]) == ("running", True, True)
    assert target.is_dir()
    assert made.json()["available"] > 0 and made.json()["capacity"] >= made.json()["available"]
    for action, state in (("stop", "inactive"), ("start", "running"), ("refresh", "running"),
                          ("noautostart", "running")):
        answer = client.post(f"{url}/{pool_name}/actions", {"action": action}, content_type="application/json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["state"] == state
    assert client.get(f"{url}/{pool_name}").json()["autostart"] is False

    # A purge would stop the pool and then fail on its files (libvirt removes only an empty directory): refused
    # first, the pool left running with its volume.
    volume = client.post(f"{url}/{pool_name}/volumes", {"name": "left.img", "capacity": 1 << 20, "format": "raw"},
                         content_type="application/json")
    assert volume.status_code == 201, volume.content
    refused = client.delete(f"{url}/{pool_name}?purge=true")
    assert refused.status_code == 409 and refused.json()["code"] == "pool_not_empty", refused.content
    assert "delete its volumes first" in refused.json()["message"]
    assert client.get(f"{url}/{pool_name}").json()["state"] == "running" and (target / "left.img").exists()
    assert client.delete(f"{url}/{pool_name}/volumes/left.img").status_code == 204

    assert client.delete(f"{url}/{pool_name}?purge=true").status_code == 204
    assert pool_name not in system_pool_names()
    assert not target.exists()
    assert Pool.objects.get(host=system_host, name=pool_name).gone


def test_a_failed_start_is_taken_back_unless_asked_to_keep_the_pool(owner, system_host, pool_name, tmp_path):
    fields = {"name": pool_name, "type": "dir", "target": str(tmp_path / "never-built")}

    with pytest.raises(VirtError, match="could not be started.*undefined again"):
        do_define_pool(owner, system_host, fields=fields, start=True)
    assert pool_name not in system_pool_names()
    assert not Pool.objects.filter(name=pool_name).exists()

    with pytest.raises(VirtError, match="kept as asked"):
        do_define_pool(owner, system_host, fields=fields, start=True, keep_on_failure=True)
    assert pool_name in system_pool_names()


def test_it_refuses_a_target_outside_the_hosts_pool_paths_and_defines_nothing(as_user, owner, system_host,
                                                                              pool_name):
    answer = as_user(owner).post(f"/api/v1/hosts/{system_host.pk}/pools",
                                 {"name": pool_name, "type": "dir", "target": "/var/tmp/elsewhere", "build": True},
                                 content_type="application/json")

    assert answer.status_code == 400 and answer.json()["code"] == "invalid_pool"
    assert "target path" in answer.json()["fields"]
    assert pool_name not in system_pool_names()


@pytest.fixture
def loop_device(tmp_path):
    """A 64 MiB file on a loop device (detached afterwards); skips where losetup cannot attach one."""
    if shutil.which("losetup") is None:
        pytest.skip("losetup is not installed")
    image = tmp_path / "disk.img"
    with open(image, "wb") as file:
        file.truncate(64 * 1024 * 1024)
    # --partscan: the kernel makes /dev/loopNpM nodes for a disk pool's partitions.
    attached = subprocess.run(["losetup", "--find", "--show", "--partscan", str(image)], capture_output=True,
                              text=True)
    if attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    yield device
    subprocess.run(["losetup", "-d", device], capture_output=True)


def test_an_fs_pool_on_a_loop_device_mounts_and_unmounts(owner, system_host, pool_name, tmp_path, loop_device):
    subprocess.run(["mkfs.ext4", "-q", loop_device], check=True, capture_output=True)
    system_host.pool_paths = [str(tmp_path), loop_device]
    system_host.save()
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    fields = {"name": pool_name, "type": "fs", "target": str(mount_point),
              "source": {"device": [loop_device], "format": "ext4"}}

    row, handle = do_define_pool(owner, system_host, fields=fields, start=True)
    try:
        assert libvirt_storage.pool_live(handle)["state"] == "running"
        assert str(mount_point) in open("/proc/mounts").read()
        assert 0 < libvirt_storage.pool_live(handle)["capacity"] <= 64 * 1024 * 1024
    finally:
        do_delete_pool(owner, row, handle)
    assert str(mount_point) not in open("/proc/mounts").read()
    assert pool_name not in system_pool_names()


def test_a_disk_pool_writes_a_partition_table_and_makes_partitions_as_volumes(owner, system_host, pool_name,
                                                                             loop_device):
    if shutil.which("parted") is None:
        pytest.skip("parted is not installed: libvirt's disk pools need it")
    system_host.pool_paths = [loop_device, "/dev"]
    system_host.save()
    xml = (f"<pool type='disk'><name>{pool_name}</name><source><device path='{loop_device}'/>"
           "<format type='gpt'/></source><target><path>/dev</path></target></pool>")
    row, handle = do_define_pool(owner, system_host, xml, build=True, start=True)
    try:
        assert libvirt_storage.pool_live(handle)["state"] == "running"
        partition_table = subprocess.run(["parted", "-s", loop_device, "print"], capture_output=True, text=True)
        assert "Partition Table: gpt" in partition_table.stdout

        part = f"{loop_device.rsplit('/', 1)[1]}p1"
        with pytest.raises(VolumeError, match="partition|linux"):
            do_create_volume(owner, row, handle, part, 16 * 1024 * 1024, "qcow2")  # a partition is no qcow2
        assert handle.listAllVolumes() == []
        do_create_volume(owner, row, handle, part, 16 * 1024 * 1024)  # the type's default: no partition type
        assert [vol.name() for vol in handle.listAllVolumes()] == [part]
        assert (Path("/dev") / part).is_block_device()
    finally:
        do_delete_pool(owner, row, handle)
    assert pool_name not in system_pool_names()


def test_a_logical_pool_builds_its_volume_group_here_or_says_why_not(owner, system_host, pool_name, tmp_path,
                                                                     loop_device):
    if shutil.which("vgcreate") is None:
        pytest.skip("LVM tools (lvm2) are not installed: logical pools cannot be built here")
    system_host.pool_paths = [str(tmp_path), loop_device, f"/dev/{pool_name}"]
    system_host.save()
    xml = (f"<pool type='logical'><name>{pool_name}</name><source><device path='{loop_device}'/>"
           f"<name>{pool_name}</name><format type='lvm2'/></source>"
           f"<target><path>/dev/{pool_name}</path></target></pool>")
    row, handle = do_define_pool(owner, system_host, xml, keep_on_failure=True)
    try:
        try:
            do_pool_action(owner, row, handle, "build")
        except VirtError as exc:
            pytest.skip(f"pvcreate/vgcreate failed here, so no logical pool: {exc.message}")
        try:
            do_pool_action(owner, row, handle, "start")
        except VirtError as exc:
            # Known on these machines: the kernel has no device-mapper, so the volume group cannot activate.
            pytest.skip(f"the volume group was made, but starting the pool failed here: {exc.message}")
        assert libvirt_storage.pool_live(handle)["state"] == "running"
    finally:
        do_delete_pool(owner, row, handle, purge=True)
    assert pool_name not in system_pool_names()


def test_a_file_made_behind_its_pools_back_is_found_as_a_volume_by_its_path(system_host, pool_name, tmp_path):
    directory = tmp_path / "behind"
    conn = own_connection()
    try:
        own_dir_pool(conn, directory, pool_name)
        # Written where the pool looks, but not through libvirt: as QEMU writes an overlay, or as the other host of a
        # shared directory made a disk before the guest migrated here. The pool's listing has not seen it yet.
        made = directory / "made-elsewhere.img"
        made.write_bytes(bytes(64 << 10))

        found = libvirt_storage.volume_by_path(system_host, str(made))

        assert found is not None and found[1].name() == "made-elsewhere.img"
        assert libvirt_storage.volume_by_path(system_host, str(directory / "never-made.img")) is None
    finally:
        conn.close()
