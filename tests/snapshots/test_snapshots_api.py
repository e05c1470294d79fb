"""A domain's snapshots through API v1 on the test driver: the tree, internal create, revert, delete, refusals."""

import pytest

from domains.access.models import AuditEntry
from domains.jobs.models import SUCCEEDED
from domains.libvirt import adapter
from tests.snapshots.conftest import libvirt_names, snapshots_url
from tests.libvirt_support import wait_for_job


def take(client, domain, name, **body):
    answer = client.post(snapshots_url(domain), {"name": name, **body}, format="json")
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"])
    assert job.state == SUCCEEDED, job.error
    return job


def test_it_takes_internal_snapshots_and_lists_them_as_a_tree(api_as, owner, lab):
    client, domain = api_as(owner), lab["running"]
    job = take(client, domain, "first", description="before the upgrade")
    assert job.kind == "domain.snapshot_create" and job.result == {"snapshot": "first", "kind": "internal"}
    take(client, domain, "second")

    listed = client.get(snapshots_url(domain)).json()
    assert listed["current"] == "second"
    assert [(s["name"], s["parent"], s["children"], s["kind"], s["current"]) for s in listed["snapshots"]] == [
        ("first", None, ["second"], "internal", False), ("second", "first", [], "internal", True)]
    assert listed["snapshots"][0]["description"] == "before the upgrade"
    assert listed["snapshots"][0]["state"] == "running" and listed["snapshots"][0]["created"]
    assert listed["tree"] == [{"name": "first", "children": [{"name": "second", "children": []}]}]
    offered = {offer["kind"]: offer for offer in listed["offers"]}
    assert offered["internal"]["allowed"] is True
    # Mixing kinds in one chain is refused first, with the reason.
    assert offered["external_disk_only"]["allowed"] is False
    assert "has internal snapshots" in offered["external_disk_only"]["reason"]
    assert listed["external_revert"]["allowed"] is False and "9.9.0" in listed["external_revert"]["reason"]

    one = client.get(snapshots_url(domain, "first")).json()
    assert one["name"] == "first" and one["children"] == ["second"]


def test_it_reverts_with_and_without_starting(api_as, owner, lab):
    client, domain = api_as(owner), lab["running"]
    take(client, domain, "up")
    dom = adapter.find_domain(adapter.connection_for(domain.host).get(), uuid=domain.uuid)
    dom.destroy()

    answer = client.post(snapshots_url(domain, "up", "/revert"), {"state": "paused"}, format="json")
    assert answer.status_code == 202, answer.json()
    assert wait_for_job(answer.json()["id"]).state == SUCCEEDED
    assert dom.state()[0] == 3  # paused

    answer = client.post(snapshots_url(domain, "up", "/revert"), {}, format="json")
    assert wait_for_job(answer.json()["id"]).state == SUCCEEDED
    assert dom.state()[0] == 1  # running, as the snapshot was taken
    outcomes = AuditEntry.objects.filter(action="domain.snapshot_revert").order_by("pk")
    assert list(outcomes.values_list("outcome", flat=True)) == ["started", "ok", "started", "ok"]


def test_it_deletes_one_snapshot_keeping_its_children_or_a_whole_subtree(api_as, owner, lab):
    client, domain = api_as(owner), lab["running"]
    for name in ("a", "b", "c"):
        take(client, domain, name)

    answer = client.delete(snapshots_url(domain, "b"))
    assert answer.status_code == 202
    assert wait_for_job(answer.json()["id"]).state == SUCCEEDED
    listed = client.get(snapshots_url(domain)).json()
    assert [(s["name"], s["parent"]) for s in listed["snapshots"]] == [("a", None), ("c", "a")]

    answer = client.delete(snapshots_url(domain, "a") + "?children=true")
    job = wait_for_job(answer.json()["id"])
    assert job.state == SUCCEEDED and job.result == {"deleted": ["c", "a"]}
    assert libvirt_names(domain) == []


@pytest.mark.parametrize("body, code, status", [
    ({"name": "../escape"}, "invalid_snapshot", 400),
    ({"name": "a/b"}, "invalid_snapshot", 400),
    ({"name": "bell\x07"}, "invalid_snapshot", 400),
    ({"name": "taken"}, "snapshot_exists", 409),
    ({"name": "fine", "kind": "external_disk_only"}, "snapshot_kind_refused", 409),  # mixing, then the driver
    ({"name": "fine", "kind": "external_with_memory"}, "snapshot_kind_refused", 409),
    ({"name": "fine", "kind": "sideways"}, "invalid_snapshot", 400),
])
def test_it_refuses_bad_creates_leaving_nothing_changed(api_as, owner, lab, body, code, status):
    client, domain = api_as(owner), lab["running"]
    take(client, domain, "taken")
    entries = AuditEntry.objects.count()
    answer = client.post(snapshots_url(domain), body, format="json")
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.json()
    assert libvirt_names(domain) == ["taken"]
    assert AuditEntry.objects.count() == entries + 1
    assert AuditEntry.objects.latest("pk").outcome.startswith("refused: ")


def test_it_answers_404_for_a_snapshot_the_domain_lacks(api_as, owner, lab):
    client, domain = api_as(owner), lab["running"]
    assert client.get(snapshots_url(domain, "nope")).status_code == 404
    assert client.delete(snapshots_url(domain, "nope")).json()["code"] == "no_snapshot"
    refused = client.post(snapshots_url(domain, "nope", "/revert"), {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (404, "no_snapshot")


def test_it_refuses_an_unknown_revert_state(api_as, owner, lab):
    client, domain = api_as(owner), lab["running"]
    take(client, domain, "s")
    refused = client.post(snapshots_url(domain, "s", "/revert"), {"state": "sideways"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_snapshot")


def test_a_teammate_without_the_snapshot_permission_may_list_but_not_take(api_as, owner, teammate, grant, lab):
    domain = lab["running"]
    grant("Viewer", to=teammate, domain=domain)
    client = api_as(teammate)
    refused = client.post(snapshots_url(domain), {"name": "mine"}, format="json")
    assert refused.status_code == 403 and refused.json()["fields"]["permission"] == "snapshot"
    assert libvirt_names(domain) == []
    grant("Power user", to=teammate, domain=domain)
    take(client, domain, "mine")
    assert libvirt_names(domain) == ["mine"]


def test_an_outsider_sees_no_snapshots(api_as, outsider, lab):
    assert api_as(outsider).get(snapshots_url(lab["running"])).status_code == 404


def test_the_test_driver_is_offered_no_external_snapshot_and_says_why(api_as, owner, lab):
    listed = api_as(owner).get(snapshots_url(lab["stopped"])).json()
    offered = {offer["kind"]: offer for offer in listed["offers"]}
    assert offered["internal"] == {"kind": "internal", "allowed": True, "reason": "Disks, inside the qcow2 images"}
    assert offered["external_disk_only"]["allowed"] is False
    assert "cannot take disk-only snapshots" in offered["external_disk_only"]["reason"]
