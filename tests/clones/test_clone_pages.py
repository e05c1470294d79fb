"""The Clone page: the form lists the disks with what each may become, a clone starts as a job followed on the Jobs
page, and a refusal comes back to the form in its own words with nothing made."""

from domains.hosts.models import Host
from domains.jobs.models import SUCCEEDED, Job
from domains.lifecycle.models import Domain
from tests.clones.conftest import far_world, snapshot_of_world
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
    answer = client.post(page_url(lab["running"]), {"name": "hot", "mode-vda": "copy"})
    assert "Not cloned: " in answer.content.decode() and "Shut down busy first" in answer.content.decode()
    # The form again (not a redirect), with what was typed.
    assert answer.status_code == 400 and 'name="name" value="hot"' in answer.content.decode()
    assert snapshot_of_world(lab) == before


def test_the_form_offers_the_other_hosts_of_the_same_kind_and_follows_the_chosen_ones_pools(client, owner, far_lab):
    lab = far_lab
    elsewhere = Host.objects.create(name="elsewhere", uri="qemu:///system")
    client.force_login(owner)
    text = client.get(page_url(lab["stopped"])).content.decode()
    assert f'<option value="{lab["far"].pk}">far</option>' in text
    assert f'value="{elsewhere.pk}"' not in text  # another kind of host
    assert '<option value="far-other">' not in text
    there = client.get(page_url(lab["stopped"]) + f"?host={lab['far'].pk}").content.decode()
    assert '<option value="far-other">' in there and '<option value="other">' not in there
    assert f'<input type="hidden" name="host" value="{lab["far"].pk}">' in there
    assert 'value="linked"' not in there


def test_a_refused_clone_onto_another_host_comes_back_to_its_form_with_the_reason(client, owner, far_lab):
    lab = far_lab
    client.force_login(owner)
    before = far_world(lab)
    answer = client.post(page_url(lab["stopped"]), {"name": "far-copy", "host": lab["far"].pk, "mode-vda": "copy",
                                                    "pool-vda": "nowhere"})
    assert "Not cloned: " in answer.content.decode() and "no pool &#x27;nowhere&#x27;" in answer.content.decode()
    # The form again for the host chosen, with the name typed and the disks pointed at.
    text = answer.content.decode()
    assert answer.status_code == 400 and 'name="name" value="far-copy"' in text
    assert f'<input type="hidden" name="host" value="{lab["far"].pk}">' in text
    assert far_world(lab) == before
