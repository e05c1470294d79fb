"""The Snapshots page's Snapshots card on the test driver: the tree, taking, reverting and deleting from its forms, the
refusals told on the page, and what a viewer sees."""

from domains.jobs.models import SUCCEEDED, Job
from tests.snapshots.conftest import libvirt_names
from tests.libvirt_support import wait_for_job


def page_of(client, domain):
    return client.get(f"/domains/{domain.uuid}/snapshots/").content.decode()


def body_of(client, domain):
    answer = client.get(f"/domains/{domain.uuid}/snapshots/body/")
    assert answer.status_code == 200
    return answer.content.decode()


def post(client, domain, tail, body):
    answer = client.post(f"/domains/{domain.uuid}/snapshots/{tail}", body, follow=True)
    assert answer.redirect_chain[-1][0].endswith(f"/domains/{domain.uuid}/snapshots/#snapshots"), \
        answer.redirect_chain
    return answer.content.decode()


def last_job():
    job = Job.objects.latest("pk")
    return wait_for_job(job.pk)


def test_the_card_takes_reverts_and_deletes_snapshots(client, owner, lab):
    client.force_login(owner)
    domain = lab["running"]
    assert 'id="snapshots"' in page_of(client, domain) and "No snapshots yet." in page_of(client, domain)

    said = post(client, domain, "new/", {"name": "first", "kind": "internal", "description": "a note"})
    assert "Taking snapshot &#x27;first&#x27;" in said
    assert last_job().state == SUCCEEDED
    post(client, domain, "new/", {"name": "second", "kind": "internal"})
    assert last_job().state == SUCCEEDED
    body = body_of(client, domain)
    assert 'data-snapshot="first"' in body and 'data-snapshot="second"' in body and "a note" in body
    # second is nested under first, and current.
    assert body.index('data-snapshot="first"') < body.index("<ul>") < body.index('data-snapshot="second"')
    assert 'data-field="current"' in body.split('data-snapshot="second"')[1]

    post(client, domain, "first/revert/", {"state": "paused"})
    assert last_job().state == SUCCEEDED
    post(client, domain, "first/delete/", {"children": "on"})
    assert last_job().state == SUCCEEDED
    assert libvirt_names(domain) == []


def refused(client, domain, body):
    """A refused take: the page again (400), not a redirect."""
    answer = client.post(f"/domains/{domain.uuid}/snapshots/new/", body)
    assert answer.status_code == 400
    return answer.content.decode()


def test_a_refused_snapshot_is_told_on_the_page_and_nothing_is_made(client, owner, lab):
    client.force_login(owner)
    domain = lab["running"]
    jobs = Job.objects.count()
    said = refused(client, domain, {"name": "a/b", "kind": "internal", "description": "typed before"})
    assert "The snapshot was not taken: " in said and "is not a snapshot name" in said
    # What was typed stays, and the form points at the name.
    assert 'value="a/b"' in said and "typed before</textarea>" in said
    assert 'class="form-control is-invalid" name="name"' in said and 'id="snapshot-name-error"' in said
    said = refused(client, domain, {"name": "ext", "kind": "external_disk_only"})
    assert "cannot take disk-only snapshots" in said
    assert 'class="form-select is-invalid" name="kind"' in said and 'value="ext"' in said
    assert Job.objects.count() == jobs and libvirt_names(domain) == []


def test_a_viewer_sees_the_tree_without_the_forms(client, owner, teammate, grant, lab):
    domain = lab["running"]
    client.force_login(owner)
    post(client, domain, "new/", {"name": "seen", "kind": "internal"})
    assert last_job().state == SUCCEEDED
    grant("Viewer", to=teammate, domain=domain)
    client.force_login(teammate)
    page = page_of(client, domain)
    assert 'data-snapshot="seen"' in page
    assert "Take a snapshot" not in page and 'data-action="revert"' not in page
    refused = client.post(f"/domains/{domain.uuid}/snapshots/seen/delete/")
    assert refused.status_code == 403
    assert libvirt_names(domain) == ["seen"]
