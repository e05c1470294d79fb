"""Chromium on the Jobs page: a job that ended without its last message reaching the page (here: its row changed
by another process, which no socket of this one hears) is shown ended within seconds, without a reload."""

import pytest

from tests.browser_support import served_manage, served_var, wait_for_js

pytestmark = pytest.mark.browser

START = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from domains.jobs.models import Job
now = timezone.now()
job = Job.objects.create(kind="volume.wipe", state="running", target_type="volume", target_id="x", target_label="x",
                         user=get_user_model().objects.get(username="admin"), user_name="admin", unit="bytes",
                         created=now, started=now, heartbeat=now, runner="another-process:1:x")
print(job.pk)
"""
END = """
from django.utils import timezone
from domains.jobs.models import Job
Job.objects.filter(pk={job}).update(state="succeeded", ended=timezone.now())
"""


def test_a_job_ended_out_of_the_pages_hearing_shows_ended_without_a_reload(logged_in_page):
    page = logged_in_page
    job = int(served_manage(served_var(), "shell", "-c", START).split()[-1])
    page.goto("/jobs/")
    state = f"document.querySelector('tr[data-job=\"{job}\"] [data-job-state]').dataset.jobState"
    assert page.evaluate(state) == "running"

    served_manage(served_var(), "shell", "-c", END.format(job=job))

    wait_for_js(page, f"{state} === 'succeeded'", timeout=20000)
