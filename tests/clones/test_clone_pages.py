"""The Clone page: the form lists the disks with what each may become, a clone starts as a job followed on the Jobs
page, and a refusal comes back to the form in its own words with nothing made."""

from domains.jobs.models import SUCCEEDED, Job
from domains.lifecycle.models import Domain
from tests.clones.conftest import snapshot_of_world
from tests.libvirt_support import wait_for_job


def page_url(domain):
    return f"/domains/{domain.uuid}/clone/"


def test_the_domain_page_links_to_the_clone_form_which_lists_the_disks(client, owner, lab):
    client.force_login(owner)
    assert page_url(lab["stopped"]).encode() in client.get(f"/domains/{lab['stopped'].uuid}/").content
    text = client.get(page_url(lab["stopped"])).content.decode()
    assert 'name="mode-vda"' in text and 'value="linked"' in text
    assert 'name="mode-hdc"' in text and 'value="share"' in text
    assert 'value="source-clone"' in text and '<option value="other">' in text


def test_the_form_starts_a_clone_job_and_the_jobs_page_follows_it(client, owner, lab):
    client.force_login(owner)
    answer = client.post(page_url(lab["stopped"]), {"name": "paged", "mode-vda": "copy", "pool-vda": "",
                                                    "format-vda": "", "mode-hdc": "share"})
    assert answer.status_code == 302 and answer["Location"] == "/jobs/"
    job = wait_for_job(Job.objects.get(kind="domain.clone").pk)
    assert job.state == SUCCEEDED, job.error
    assert Domain.objects.filter(host=lab["host"], name="paged").exists()
    assert "domain.clone" in client.get("/jobs/").content.decode()


def test_a_refused_clone_comes_back_to_the_form_with_the_reason_and_nothing_made(client, owner, lab):
    client.force_login(owner)
    before = snapshot_of_world(lab)
    answer = client.post(page_url(lab["running"]), {"name": "hot", "mode-vda": "copy"}, follow=True)
    assert "Not cloned: " in answer.content.decode() and "Shut down busy first" in answer.content.decode()
    assert answer.redirect_chain[-1][0].startswith(page_url(lab["running"]))
    assert snapshot_of_world(lab) == before
