"""The pools API on a test:/// host (pools in libvirt's memory): create, change, act, delete, who may, bad input."""

import pytest

from domains.access.grants import do_grant
from domains.access.models import AuditEntry
from domains.hosts.models import Host
from domains.libvirt import storage as libvirt_storage
from domains.storage.models import Pool, PoolRevision
from domains.storage.pools.actions import do_define_pool


def pools_url(host, *rest):
    return "/".join([f"/api/v1/hosts/{host.pk}/pools", *rest])


def create(client, host, **body):
    return client.post(pools_url(host), body, content_type="application/json")


def test_it_creates_a_started_pool_from_fields_and_shows_it(as_user, owner, test_driver_host, tmp_path):
    client = as_user(owner)

    answer = create(client, test_driver_host, name="p1", type="dir", target=str(tmp_path / "p1"), start=True)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["type"], body["state"], body["target"]) == ("p1", "dir", "running", str(tmp_path / "p1"))
    assert body["volumes"] == 0 and body["capacity"] > 0
    listed = client.get(pools_url(test_driver_host)).json()
    assert "p1" in [pool["name"] for pool in listed]
    assert PoolRevision.objects.filter(pool__name="p1").count() == 1
    assert AuditEntry.objects.filter(action="pool.define", outcome="ok").exists()


def test_it_runs_each_action_and_patch_and_undefines_on_delete(as_user, owner, test_driver_host, tmp_path):
    client = as_user(owner)
    create(client, test_driver_host, name="p2", type="dir", target=str(tmp_path / "p2"))

    for action, state in (("start", "running"), ("refresh", "running"), ("stop", "inactive")):
        answer = client.post(pools_url(test_driver_host, "p2", "actions"), {"action": action},
                             content_type="application/json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["state"] == state
    assert client.patch(pools_url(test_driver_host, "p2"), {"autostart": True},
                        content_type="application/json").json()["autostart"] is True
    xml = libvirt_storage.pool_xml(libvirt_storage.find_pool(test_driver_host, name="p2"))
    changed = xml.replace(str(tmp_path / "p2"), str(tmp_path / "p2-moved"))
    answer = client.patch(pools_url(test_driver_host, "p2"), {"xml": changed, "reason": "moved"},
                          content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["target"] == str(tmp_path / "p2-moved")
    assert list(PoolRevision.objects.filter(pool__name="p2").values_list("reason", flat=True)) == ["moved",
                                                                                                   "Defined in the console."]

    assert client.delete(pools_url(test_driver_host, "p2")).status_code == 204
    assert libvirt_storage.find_pool(test_driver_host, name="p2") is None
    assert Pool.objects.get(host=test_driver_host, name="p2").gone


@pytest.mark.parametrize("body, field", [
    ({"name": "a/b", "type": "dir"}, "name"),
    ({"name": "..", "type": "dir"}, "name"),
    ({"name": "ok", "type": "dir", "target": "/etc/pools"}, "target path"),
    ({"name": "ok", "type": "dir", "target": "TMP/../../etc"}, "target path"),
    ({"name": "ok", "type": "fs", "target": "TMP/fs", "source": {"device": "/dev/sda"}}, "source device"),
    ({"name": "ok", "type": "bogus", "target": "TMP/x"}, "non_field_errors"),
])
def test_it_refuses_bad_input_and_defines_nothing(as_user, owner, test_driver_host, tmp_path, body, field):
    client = as_user(owner)
    before = sorted(p.name() for p in libvirt_storage.list_pools(test_driver_host))
    if "target" in body:
        body["target"] = body["target"].replace("TMP", str(tmp_path))

    answer = create(client, test_driver_host, **body)

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] in ("invalid_pool", "invalid_definition", "invalid")
    assert sorted(p.name() for p in libvirt_storage.list_pools(test_driver_host)) == before
    assert not Pool.objects.filter(name="ok").exists()


def test_it_refuses_a_duplicate_name_with_409(as_user, owner, test_driver_host, tmp_path):
    client = as_user(owner)
    create(client, test_driver_host, name="twice", type="dir", target=str(tmp_path / "a"))

    answer = create(client, test_driver_host, name="twice", type="dir", target=str(tmp_path / "b"))

    assert answer.status_code == 409
    assert answer.json()["code"] == "pool_exists"


def test_a_pool_user_may_refresh_but_not_define_build_or_undefine(as_user, owner, teammate, outsider,
                                                                  test_driver_host, tmp_path):
    row, _ = do_define_pool(owner, test_driver_host, fields={"name": "shared", "type": "dir",
                                                             "target": str(tmp_path / "s")}, start=True)
    do_grant(owner, "Pool user", to_user=teammate, pool=row)
    client = as_user(teammate)

    assert client.post(pools_url(test_driver_host, "shared", "actions"), {"action": "refresh"},
                       content_type="application/json").status_code == 200
    assert [p["name"] for p in client.get(pools_url(test_driver_host)).json()] == ["shared"]
    for method, url, body in (
        ("post", pools_url(test_driver_host), {"name": "mine", "type": "dir", "target": str(tmp_path / "m")}),
        ("post", pools_url(test_driver_host, "shared", "actions"), {"action": "build"}),
        ("post", pools_url(test_driver_host, "shared", "actions"), {"action": "stop"}),
        ("patch", pools_url(test_driver_host, "shared"), {"autostart": True}),
        ("delete", pools_url(test_driver_host, "shared"), None),
    ):
        answer = getattr(client, method)(url, body, content_type="application/json")
        assert answer.status_code == 403, (method, url, answer.content)
        assert answer.json()["code"] == "permission_denied"
    assert libvirt_storage.find_pool(test_driver_host, name="mine") is None

    client = as_user(outsider)
    assert client.get(pools_url(test_driver_host, "shared")).status_code == 404
    assert client.get(pools_url(test_driver_host)).status_code == 404
    assert client.post(pools_url(test_driver_host, "shared", "actions"), {"action": "refresh"},
                       content_type="application/json").status_code == 404


def test_the_embedded_host_says_it_has_no_storage_driver(as_user, owner, db):
    host = Host.objects.create(name="embedded-here", uri="qemu:///embed?root=/nonexistent", embedded=True)

    answer = as_user(owner).get(pools_url(host))

    assert answer.status_code == 409
    assert answer.json()["code"] == "no_storage_driver"
    assert "libvirtd host" in answer.json()["message"]


def test_it_lists_pool_types_with_their_source_fields(as_user, owner, test_driver_host):
    types = {t["type"]: t for t in as_user(owner).get(f"/api/v1/hosts/{test_driver_host.pk}/pool-types").json()}

    assert types["fs"]["source_fields"] == ["device", "format"] and types["dir"]["target"] is True
