"""Who may do what to a pool's volumes, and bad input that leaves nothing made."""

import pytest

from domains.access.grants import do_grant
from domains.access.models import AuditEntry, Role
from domains.jobs.models import FAILED, Job
from tests.storage.volume_support import api_as, volume_names
from tests.libvirt_support import MiB, wait_for_job

pytestmark = [pytest.mark.system]


def volumes_url(pool, volume=None, tail=""):
    base = f"/api/v1/hosts/{pool.host_id}/pools/{pool.name}/volumes"
    return f"{base}/{volume}{tail}" if volume else base


def grant(owner, user, role, pool):
    do_grant(owner, Role.objects.get(name=role), to_user=user, pool=pool)


def test_a_pool_viewer_sees_the_volumes_but_cannot_create_resize_wipe_or_delete(owner, teammate, dir_pool):
    pool = dir_pool()
    api_as(owner).post(volumes_url(pool), {"name": "seen.img", "capacity": 8 * MiB}, format="json")
    grant(owner, teammate, "Pool viewer", pool)
    api = api_as(teammate)

    assert [v["name"] for v in api.get(volumes_url(pool)).json()] == ["seen.img"]
    created = api.post(volumes_url(pool), {"name": "mine.img", "capacity": 8 * MiB}, format="json")
    assert created.status_code == 403 and created.json()["fields"]["permission"] == "storage_vol.create"
    assert api.patch(volumes_url(pool, "seen.img"), {"capacity": 16 * MiB}, format="json").status_code == 403
    assert api.post(volumes_url(pool, "seen.img", "/actions"), {"action": "wipe"}, format="json").status_code == 403
    assert api.delete(volumes_url(pool, "seen.img")).status_code == 403
    assert volume_names(pool) == ["seen.img"]
    assert AuditEntry.objects.filter(actor_name="bob", action="volume.create", outcome="denied").exists()


def test_a_pool_user_creates_and_deletes_volumes_in_that_pool_only(owner, teammate, dir_pool):
    pool, other = dir_pool(), dir_pool("other")
    grant(owner, teammate, "Pool user", pool)
    api = api_as(teammate)
    assert api.post(volumes_url(pool), {"name": "mine.img", "capacity": 8 * MiB}, format="json").status_code == 201
    assert api.post(volumes_url(other), {"name": "x.img", "capacity": 8 * MiB}, format="json").status_code == 404
    clone = api.post(volumes_url(pool, "mine.img", "/actions"), {"action": "clone", "name": "c.img",
                                                                  "pool": other.name}, format="json")
    assert clone.status_code == 404
    assert api.delete(volumes_url(pool, "mine.img")).status_code == 204
    assert volume_names(pool) == [] and volume_names(other) == []


def test_an_outsider_finds_neither_the_pool_nor_its_volumes(owner, outsider, dir_pool):
    pool = dir_pool()
    api_as(owner).post(volumes_url(pool), {"name": "hidden.img", "capacity": 8 * MiB}, format="json")
    api = api_as(outsider)
    assert api.get(volumes_url(pool)).status_code == 404
    assert api.get(volumes_url(pool, "hidden.img")).status_code == 404
    assert api.delete(volumes_url(pool, "hidden.img")).status_code == 404
    assert api.post(volumes_url(pool), {"name": "x.img", "capacity": MiB}, format="json").status_code == 404
    assert volume_names(pool) == ["hidden.img"]


def test_it_refuses_a_capacity_over_the_pools_available_space_with_the_numbers(owner, dir_pool):
    pool = dir_pool()
    answer = api_as(owner).post(volumes_url(pool), {"name": "huge.img", "capacity": 2**60, "allocation": 0},
                                format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "insufficient_space"
    assert str(2**60) in answer.json()["message"] and "available" in answer.json()["message"]
    assert volume_names(pool) == []


@pytest.mark.parametrize("name", ["../escape.img", "sub/dir.img", "..", ".hidden", ""])
def test_it_refuses_names_that_could_leave_the_pool(owner, dir_pool, name):
    pool = dir_pool()
    answer = api_as(owner).post(volumes_url(pool), {"name": name, "capacity": MiB}, format="json")
    assert answer.status_code == 400, answer.json()
    assert volume_names(pool) == []


def test_a_clone_under_a_bad_name_is_refused_before_any_job(owner, dir_pool):
    pool = dir_pool()
    api = api_as(owner)
    api.post(volumes_url(pool), {"name": "src.img", "capacity": MiB}, format="json")
    answer = api.post(volumes_url(pool, "src.img", "/actions"), {"action": "clone", "name": "../x.img"},
                      format="json")
    assert answer.status_code == 400 and not Job.objects.exists()
    assert volume_names(pool) == ["src.img"]


def test_a_backing_store_outside_the_users_pools_or_given_as_a_path_is_refused(owner, teammate, dir_pool):
    pool, secret = dir_pool(), dir_pool("secret")
    api_as(owner).post(volumes_url(secret), {"name": "base.qcow2", "capacity": MiB, "format": "qcow2"},
                       format="json")
    grant(owner, teammate, "Pool user", pool)
    api = api_as(teammate)
    outside = api.post(volumes_url(pool), {"name": "o.qcow2", "capacity": MiB, "format": "qcow2",
                                           "backing": {"pool": secret.name, "volume": "base.qcow2"}}, format="json")
    assert outside.status_code == 400 and "backing" in outside.json()["fields"]
    as_path = api.post(volumes_url(pool), {"name": "o.qcow2", "capacity": MiB, "format": "qcow2",
                                           "backing": {"volume": "/etc/shadow"}}, format="json")
    assert as_path.status_code == 400
    assert volume_names(pool) == []


def test_a_clone_that_fails_in_libvirt_leaves_no_volume(owner, dir_pool):
    pool = dir_pool()
    api = api_as(owner)
    api.post(volumes_url(pool), {"name": "src.qcow2", "capacity": 4 * MiB, "format": "qcow2"}, format="json")
    # A qcow2 whose file is cut short: qemu-img cannot convert it, so libvirt's copy fails midway.
    path = api.get(volumes_url(pool, "src.qcow2")).json()["path"]
    with open(path, "r+b") as data:
        data.truncate(100)
    answer = api.post(volumes_url(pool, "src.qcow2", "/actions"), {"action": "clone", "name": "copy.img",
                                                                    "format": "raw"}, format="json")
    if answer.status_code == 202:
        job = wait_for_job(answer.json()["id"])
        assert job.state == FAILED and job.error
    else:
        assert answer.status_code >= 400
    assert "copy.img" not in volume_names(pool)
