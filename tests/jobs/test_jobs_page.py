"""The jobs page and the top bar's count of running jobs: what the user may see, and a Cancel that posts."""

import re

import pytest

from domains.jobs.actions import do_finish_job, do_start_job
from domains.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_counts_the_running_jobs_the_user_may_see(client, owner, teammate, host):
    mine = do_start_job(teammate, "volume.upload", host)
    hidden = do_start_job(owner, "volume.upload", host)
    client.force_login(teammate)

    page = client.get("/").content.decode()

    assert f'data-running-jobs="{mine.pk}"' in page and "Jobs <span class=\"jobs-count\" data-jobs-count>(1)" in page
    assert 'src="/static/js/jobs/jobs.js"' in page
    for job in (mine, hidden):
        do_finish_job(job)


def test_the_jobs_page_lists_visible_jobs_with_progress_and_a_cancel_button_where_allowed(client, owner, teammate,
                                                                                         host):
    cancellable = do_start_job(teammate, "volume.upload", host, total=100, cancellable=True)
    cancellable.report(40)
    stuck = do_start_job(teammate, "domain.define", host)
    hidden = do_start_job(owner, "volume.clone", host, cancellable=True)
    client.force_login(teammate)

    page = client.get("/jobs/").content.decode()

    rows = dict(re.findall(r'<tr data-job="(\d+)">(.*?)</tr>', page, flags=re.S))
    assert set(rows) == {str(cancellable.pk), str(stuck.pk)}
    assert 'aria-valuemax="100" aria-valuenow="40"' in rows[str(cancellable.pk)]
    assert f'action="/jobs/{cancellable.pk}/cancel/"' in rows[str(cancellable.pk)]
    assert "/cancel/" not in rows[str(stuck.pk)]
    for job in (cancellable, stuck, hidden):
        do_finish_job(job)


def test_cancel_posts_and_comes_back_to_the_list_saying_so(client, teammate, host):
    job = do_start_job(teammate, "volume.upload", host, cancellable=True)
    client.force_login(teammate)

    answer = client.post(f"/jobs/{job.pk}/cancel/", follow=True)

    assert answer.redirect_chain[-1][0] == "/jobs/"
    assert f"Asked job {job.pk} (volume.upload) to stop" in answer.content.decode()
    assert Job.objects.get(pk=job.pk).cancel_requested
    do_finish_job(job)


def test_cancel_of_work_that_cannot_stop_says_why(client, teammate, host):
    job = do_start_job(teammate, "domain.define", host)
    client.force_login(teammate)

    answer = client.post(f"/jobs/{job.pk}/cancel/", follow=True)

    assert "cannot be cancelled" in answer.content.decode()
    do_finish_job(job)


def test_cancel_is_post_only(client, teammate, host):
    job = do_start_job(teammate, "volume.upload", host, cancellable=True)
    client.force_login(teammate)

    assert client.get(f"/jobs/{job.pk}/cancel/").status_code == 405
    assert not Job.objects.get(pk=job.pk).cancel_requested
    do_finish_job(job)
