"""Chromium on the Jobs page: a job that ended without its last message reaching the page (here: its row changed
by another process, which no socket of this one hears) is shown ended within seconds, without a reload."""

import os
from pathlib import Path

import pytest

from tests.browser_support import fits_a_phone, served_manage, served_var, wait_for_js

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CONSOLE_PAGES_SHOTS", "/tmp/console-pages-shots"))

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


NAMED = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from domains.jobs.models import Job
now = timezone.now()
job = Job.objects.create(kind="volume.upload", state="succeeded", target_type="volume", target_id="x",
                         target_label="installers/debian12.iso", unit="bytes", done=96 << 20, total=96 << 20,
                         user=get_user_model().objects.get(username="admin"), user_name="admin",
                         created=now, started=now, ended=now)
print(job.pk)
"""
# The characters of the job's target after which its line breaks.
LINE_ENDS = """(job) => {
    const cell = document.querySelector(`tr[data-job="${job}"] td:nth-child(3)`);  // Target
    const ends = [];
    let last = null, top = null;
    for (const node of cell.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE) continue;
        for (let i = 0; i < node.textContent.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getBoundingClientRect();
            if (top !== null && Math.round(rect.top) > top) ends.push(last);
            top = Math.round(rect.top);
            last = node.textContent[i];
        }
    }
    return ends;
}"""


def test_on_a_phone_a_jobs_target_breaks_after_its_slash_not_inside_a_word(logged_in_page):
    page = logged_in_page
    job = int(served_manage(served_var(), "shell", "-c", NAMED).split()[-1])
    page.goto("/jobs/")
    fits_a_phone(page, "jobs", SHOTS)
    page.set_viewport_size({"width": 390, "height": 844})
    # Lines end where a reader expects it (after the slash, at a hyphen), not inside a name.
    ends = page.evaluate(LINE_ENDS, job)
    assert ends and set(ends) <= {"/", "-", " "}, ends
    # ...and the table fits its card: nothing to scroll sideways.
    overflow = page.evaluate("""(() => { const box = document.querySelector('[data-jobs-table]').parentElement;
        return box.scrollWidth - box.clientWidth; })()""")
    assert overflow <= 0, f"the jobs table is {overflow} px wider than its card on a phone"
