"""A volume's whole life on a dir pool of the system libvirtd, through the API: create, resize, wipe, clone, delete."""

import pytest

from domains.access.models import AuditEntry
from domains.jobs.models import SUCCEEDED
from tests.storage.volume_support import GiB, api_as, volume_names
from tests.libvirt_support import MiB, own_connection, wait_for_job

pytestmark = [pytest.mark.system]


def volumes_url(pool, volume=None, tail=""):
    base = f"/api/v1/hosts/{pool.host_id}/pools/{pool.name}/volumes"
    return f"{base}/{volume}{tail}" if volume else base


def test_it_creates_raw_and_qcow2_volumes_and_lists_them_with_their_sizes(owner, dir_pool):
    pool = dir_pool()
    api = api_as(owner)
    raw = api.post(volumes_url(pool), {"name": "disk.raw", "capacity": 64 * MiB, "format": "raw",
                                       "allocation": 64 * MiB}, format="json")
    assert raw.status_code == 201, raw.json()
    assert raw.json()["format"] == "raw" and raw.json()["capacity"] == 64 * MiB
    assert raw.json()["allocation"] >= 64 * MiB
    qcow = api.post(volumes_url(pool), {"name": "disk.qcow2", "capacity": GiB, "format": "qcow2",
                                        "lazy_refcounts": True, "preallocation": "metadata", "allocation": 0},
                    format="json")
    assert qcow.status_code == 201, qcow.json()
    assert qcow.json()["format"] == "qcow2"
    listed = api.get(volumes_url(pool)).json()
    assert [v["name"] for v in listed] == ["disk.qcow2", "disk.raw"]
    assert all(v["used_by"] == [] for v in listed)
    assert AuditEntry.objects.filter(action="volume.create", outcome="ok").count() == 2


def test_a_qcow2_volume_can_be_backed_by_a_volume_of_another_pool(owner, dir_pool):
    base_pool, pool = dir_pool("base"), dir_pool()
    api = api_as(owner)
    assert api.post(volumes_url(base_pool), {"name": "base.qcow2", "capacity": 32 * MiB, "format": "qcow2"},
                    format="json").status_code == 201
    made = api.post(volumes_url(pool), {"name": "overlay.qcow2", "capacity": 32 * MiB, "format": "qcow2",
                                        "backing": {"pool": base_pool.name, "volume": "base.qcow2"}}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["backing"]["path"].endswith(f"{base_pool.name}/base.qcow2")
    assert made.json()["backing"]["format"] == "qcow2"


def test_it_grows_refuses_an_unconfirmed_shrink_and_shrinks_when_confirmed(owner, dir_pool):
    pool = dir_pool()
    api = api_as(owner)
    api.post(volumes_url(pool), {"name": "grow.img", "capacity": 64 * MiB, "allocation": 0}, format="json")

    grown = api.patch(volumes_url(pool, "grow.img"), {"capacity": 128 * MiB}, format="json")
    assert grown.status_code == 200 and grown.json()["capacity"] == 128 * MiB

    refused = api.patch(volumes_url(pool, "grow.img"), {"capacity": 32 * MiB}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "shrink_unconfirmed"
    assert "shrink" in refused.json()["message"]
    assert api.get(volumes_url(pool, "grow.img")).json()["capacity"] == 128 * MiB

    shrunk = api.patch(volumes_url(pool, "grow.img"), {"capacity": 32 * MiB, "shrink": True}, format="json")
    assert shrunk.status_code == 200, shrunk.json()
    assert shrunk.json()["capacity"] == 32 * MiB


def test_it_wipes_a_volume_as_a_job(owner, dir_pool):
    pool = dir_pool()
    api = api_as(owner)
    api.post(volumes_url(pool), {"name": "secret.img", "capacity": 8 * MiB, "allocation": 8 * MiB}, format="json")
    answer = api.post(volumes_url(pool, "secret.img", "/actions"), {"action": "wipe", "algorithm": "zero"},
                      format="json")
    assert answer.status_code == 202, answer.json()
    assert answer.json()["kind"] == "volume.wipe"
    job = wait_for_job(answer.json()["id"])
    assert job.state == SUCCEEDED, job.error
    with open(api.get(volumes_url(pool, "secret.img")).json()["path"], "rb") as data:
        assert data.read(MiB) == bytes(MiB)


def test_it_clones_within_the_pool_and_to_another_pool_as_jobs(owner, dir_pool):
    pool, other = dir_pool(), dir_pool("other")
    api = api_as(owner)
    api.post(volumes_url(pool), {"name": "gold.img", "capacity": 16 * MiB, "allocation": 16 * MiB}, format="json")
    path = api.get(volumes_url(pool, "gold.img")).json()["path"]
    with open(path, "r+b") as data:
        data.write(b"golden image" * 1000)

    here = api.post(volumes_url(pool, "gold.img", "/actions"), {"action": "clone", "name": "copy.img"},
                    format="json")
    assert here.status_code == 202, here.json()
    there = api.post(volumes_url(pool, "gold.img", "/actions"),
                     {"action": "clone", "name": "copy.qcow2", "pool": other.name, "format": "qcow2"}, format="json")
    assert there.status_code == 202, there.json()
    for answer in (here, there):
        job = wait_for_job(answer.json()["id"])
        assert job.state == SUCCEEDED, job.error
        assert job.kind == "volume.clone" and job.done == job.total
    assert volume_names(pool) == ["copy.img", "gold.img"]
    assert volume_names(other) == ["copy.qcow2"]
    copied = api.get(volumes_url(pool, "copy.img")).json()
    with open(copied["path"], "rb") as data:
        assert data.read(12) == b"golden image"
    assert api.get(volumes_url(other, "copy.qcow2")).json()["format"] == "qcow2"


def test_it_refuses_to_delete_a_volume_a_defined_domain_uses_then_deletes_it_once_free(owner, dir_pool,
                                                                                     defined_domains):
    pool = dir_pool()
    api = api_as(owner)
    path = api.post(volumes_url(pool), {"name": "used.img", "capacity": 8 * MiB}, format="json").json()["path"]
    api.post(volumes_url(pool), {"name": "by-name.img", "capacity": 8 * MiB}, format="json")
    by_path = defined_domains("path", f"<disk type='file' device='disk'><source file='{path}'/>"
                                      "<target dev='vda' bus='virtio'/></disk>")
    by_pool = defined_domains("pool", f"<disk type='volume' device='disk'><source pool='{pool.name}' "
                                      "volume='by-name.img'/><target dev='vda' bus='virtio'/></disk>")

    shown = api.get(volumes_url(pool, "used.img")).json()
    assert [u["name"] for u in shown["used_by"]] == [by_path]
    refused = api.delete(volumes_url(pool, "used.img"))
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert by_path in refused.json()["message"]
    refused = api.delete(volumes_url(pool, "by-name.img"))
    assert refused.status_code == 409 and by_pool in refused.json()["message"]
    assert volume_names(pool) == ["by-name.img", "used.img"]

    conn = own_connection()
    conn.lookupByName(by_path).undefine()
    conn.close()
    assert api.delete(volumes_url(pool, "used.img")).status_code == 204
    assert volume_names(pool) == ["by-name.img"]
