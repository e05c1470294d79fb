"""A volume other volumes are built on (a qcow2 base under overlays) counts as in use, through the whole chain."""

import pytest

from domains.access.models import AuditEntry
from tests.storage.volume_support import api_as, volume_names
from tests.libvirt_support import MiB

pytestmark = [pytest.mark.system]


def volumes_url(pool, volume=None):
    base = f"/api/v1/hosts/{pool.host_id}/pools/{pool.name}/volumes"
    return f"{base}/{volume}" if volume else base


def make_chain(api, base_pool, pool):
    """base.qcow2 in base_pool, middle.qcow2 on it and top.qcow2 on that, both in pool."""
    assert api.post(volumes_url(base_pool), {"name": "base.qcow2", "capacity": 16 * MiB, "format": "qcow2"},
                    format="json").status_code == 201
    for name, below in (("middle.qcow2", {"pool": base_pool.name, "volume": "base.qcow2"}),
                        ("top.qcow2", {"volume": "middle.qcow2"})):
        made = api.post(volumes_url(pool), {"name": name, "capacity": 16 * MiB, "format": "qcow2",
                                            "backing": below}, format="json")
        assert made.status_code == 201, made.json()


def test_a_base_volume_shows_its_overlays_and_is_not_deleted_while_they_exist(owner, dir_pool):
    base_pool, pool = dir_pool("base"), dir_pool()
    api = api_as(owner)
    make_chain(api, base_pool, pool)

    base = api.get(volumes_url(base_pool, "base.qcow2")).json()
    assert base["backing_of"] == [{"pool": pool.name, "volume": "middle.qcow2"},
                                  {"pool": pool.name, "volume": "top.qcow2"}]
    assert api.get(volumes_url(pool, "top.qcow2")).json()["backing_of"] == []

    refused = api.delete(volumes_url(base_pool, "base.qcow2"))
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert f"'{pool.name}/middle.qcow2'" in refused.json()["message"]
    assert volume_names(base_pool) == ["base.qcow2"]
    assert AuditEntry.objects.filter(action="volume.delete", outcome="refused: backing file").count() == 1

    assert api.delete(volumes_url(pool, "top.qcow2")).status_code == 204
    assert api.delete(volumes_url(pool, "middle.qcow2")).status_code == 204
    assert api.delete(volumes_url(base_pool, "base.qcow2")).status_code == 204
    assert volume_names(base_pool) == []


def test_a_domain_using_an_overlay_uses_every_volume_under_it(owner, dir_pool, defined_domains):
    base_pool, pool = dir_pool("base"), dir_pool()
    api = api_as(owner)
    make_chain(api, base_pool, pool)
    # The domain names only the top of the chain, by pool and volume, as an inactive definition does.
    user = defined_domains("chain", f"<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
                                    f"<source pool='{pool.name}' volume='top.qcow2'/>"
                                    "<target dev='vda' bus='virtio'/></disk>")

    for listed_pool, name in ((base_pool, "base.qcow2"), (pool, "middle.qcow2"), (pool, "top.qcow2")):
        assert [u["name"] for u in api.get(volumes_url(listed_pool, name)).json()["used_by"]] == [user]
    refused = api.delete(volumes_url(base_pool, "base.qcow2"))
    assert refused.status_code == 409 and user in refused.json()["message"]


def test_overlays_in_pools_the_caller_cannot_see_are_counted_not_named(owner, teammate, grant, dir_pool):
    base_pool, pool = dir_pool("base"), dir_pool()
    make_chain(api_as(owner), base_pool, pool)
    grant("Pool user", to=teammate, pool=base_pool)
    api = api_as(teammate)

    assert api.get(volumes_url(base_pool, "base.qcow2")).json()["backing_of"] == []
    refused = api.delete(volumes_url(base_pool, "base.qcow2"))
    assert refused.status_code == 409
    assert "2 volume(s) you may not see" in refused.json()["message"] and pool.name not in refused.json()["message"]
