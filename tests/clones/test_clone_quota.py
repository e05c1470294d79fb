"""A clone passes the cloner's quota before anything is made: past it, refused with the numbers, nothing made."""

from domains.quotas.actions import do_set_quota
from tests.clones.conftest import snapshot_of_world
from tests.clones.test_clones_api import clone, finished
from tests.libvirt_support import MiB


def cloner(lab, grant, define_role):
    grant(define_role("Cloner", ["define_domains", "host_resources", "storage_vol.create", "storage_vol.data_read",
                                 "storage_vol.data_write", "storage_pool.getattr"]), host=lab["host"])
    grant("Viewer", domain=lab["stopped"])


def test_a_clone_past_the_cloners_disk_quota_is_refused_with_the_numbers_and_nothing_made(
        lab, owner, teammate, grant, define_role, api_as):
    cloner(lab, grant, define_role)
    do_set_quota(owner, {"max_disk_bytes": 4 * MiB}, user=teammate)
    before = snapshot_of_world(lab)
    answer = clone(api_as(teammate), lab["stopped"], "too-big")
    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == "quota_exceeded"
    assert "this would use 8.0 mib of your 4.0 mib of disk" in answer.json()["message"].lower()
    assert answer.json()["fields"]["exceeded"] == [{"resource": "disk_bytes", "would_use": 8 * MiB,
                                                    "limit": 4 * MiB}]
    assert snapshot_of_world(lab) == before


def test_a_clone_counts_the_domains_the_cloner_owns_already(lab, owner, teammate, grant, define_role, api_as):
    cloner(lab, grant, define_role)
    do_set_quota(owner, {"max_domains": 1}, user=teammate)
    finished(clone(api_as(teammate), lab["stopped"], "first"))
    before = snapshot_of_world(lab)
    answer = clone(api_as(teammate), lab["stopped"], "second")
    assert answer.status_code == 403 and answer.json()["code"] == "quota_exceeded", answer.json()
    assert "This would use 2 of your 1 domains" in answer.json()["message"]
    assert snapshot_of_world(lab) == before
