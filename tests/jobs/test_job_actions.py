"""Starting, running, failing, cancelling and ending jobs, each audited as intent then outcome."""

import libvirt
import pytest
from django.http import Http404

from domains.access.grants import do_grant
from domains.access.models import AuditEntry
from domains.errors import ConsoleError
from domains.jobs import heartbeat, progress
from domains.jobs.actions import (
    GENERIC_FAILURE,
    JobError,
    Target,
    do_cancel_job,
    do_fail_job,
    do_finish_job,
    do_start_job,
    on_cancel,
    run_job_in_thread,
)
from domains.jobs.models import Job
from domains.jobs.visibility import CancelRefused
from domains.libvirt import adapter

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10  # seconds a thread may take to end before the test fails (it ends within milliseconds)


def finished(thread):
    thread.join(WAIT)
    assert not thread.is_alive(), "the job's thread did not end"


def outcomes(job):
    return list(AuditEntry.objects.filter(action=job.kind).order_by("id").values_list("outcome", flat=True))


def test_a_job_that_returns_succeeds_with_its_result_and_is_audited_before_and_after(owner, host, steered, changes):
    work = steered(result={"sha256": "abc"})
    job = do_start_job(owner, "volume.upload", host, total=100, params={"name": "disk.qcow2", "password": "x"},
                       cancellable=True, source_address="192.0.2.1")
    thread = run_job_in_thread(job, work)
    assert work.started.wait(WAIT)

    row = Job.objects.get(pk=job.pk)
    assert row.state == "running" and row.user == owner and row.host == host and row.runner == progress.RUNNER
    assert row.params == {"name": "disk.qcow2", "password": "[redacted]"}
    assert outcomes(job) == ["started"]

    work.release.set()
    finished(thread)

    row.refresh_from_db()
    assert row.state == "succeeded" and row.result == {"sha256": "abc"} and row.done == 100 and row.ended
    assert outcomes(job) == ["started", "ok"]
    intent, outcome = AuditEntry.objects.filter(action="volume.upload").order_by("id")
    assert outcome.parameters["intent"] == intent.pk and intent.source_address == "192.0.2.1"
    assert changes[0]["state"] == "running" and changes[-1]["state"] == "succeeded"
    assert progress.live_of(job.pk) is None


def test_a_console_error_fails_the_job_with_its_own_words(owner, host):
    def work(job):
        raise ConsoleError("The pool 'images' has 1 GiB free; the volume needs 4 GiB. Free space or pick another.")

    job = do_start_job(owner, "volume.create", host)
    finished(run_job_in_thread(job, work))

    job.refresh_from_db()
    assert job.state == "failed" and job.error.startswith("The pool 'images' has 1 GiB free")
    assert outcomes(job)[-1].startswith("failed: The pool 'images'")


def test_a_libvirt_error_fails_the_job_with_libvirts_message(owner, host):
    said = []

    def work(job):
        try:
            adapter.connection_for(host).get().lookupByName("no-such-domain")
        except libvirt.libvirtError as exc:
            said.append(exc.get_error_message())
            raise

    job = do_start_job(owner, "domain.clone", host)
    finished(run_job_in_thread(job, work))

    job.refresh_from_db()
    assert job.state == "failed" and job.error == said[0] == "Domain not found"


def test_an_unexpected_error_fails_the_job_with_a_generic_message_and_no_internals(owner, host):
    def work(job):
        return {}["missing"]

    job = do_start_job(owner, "volume.wipe", host)
    finished(run_job_in_thread(job, work))

    job.refresh_from_db()
    assert job.state == "failed" and job.error == GENERIC_FAILURE and "missing" not in job.error


def test_cancel_runs_the_works_callback_at_once_and_ends_the_job_cancelled(owner, host, steered):
    aborted = []
    work = steered()

    def abortable(job):
        on_cancel(job, lambda: (aborted.append(True), work.release.set()))
        work(job)
        job.report(work.total)  # the aborted "stream" returns; the next report says it was cancelled
        return "not reached"

    job = do_start_job(owner, "volume.download", host, cancellable=True)
    thread = run_job_in_thread(job, abortable)
    assert work.started.wait(WAIT)

    answered = do_cancel_job(owner, job, source_address="192.0.2.9")
    finished(thread)

    assert aborted == [True] and answered.cancel_requested
    job.refresh_from_db()
    assert job.state == "cancelled" and job.result is None
    assert outcomes(job) == ["started", "cancelled"]
    assert AuditEntry.objects.filter(action="job.cancel", outcome="ok").count() == 1


def test_a_cancel_from_another_process_reaches_the_work_through_the_row(owner, host, steered):
    work = steered()
    job = do_start_job(owner, "volume.clone", host, cancellable=True)
    thread = run_job_in_thread(job, work)
    assert work.started.wait(WAIT)

    # Another process can only set the flag on the row: no callback of this process runs.
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    finished(thread)

    job.refresh_from_db()
    assert job.state == "cancelled" and not work.release.is_set()


def test_an_error_raised_by_an_aborted_call_counts_as_the_cancel(owner, host, steered):
    work = steered()

    def aborted_stream(job):
        work(job)
        raise libvirt.libvirtError("stream aborted")

    job = do_start_job(owner, "volume.upload", host, cancellable=True)
    on_cancel(job, work.release.set)
    thread = run_job_in_thread(job, aborted_stream)
    assert work.started.wait(WAIT)
    do_cancel_job(owner, job)
    finished(thread)

    job.refresh_from_db()
    assert job.state == "cancelled"


def test_it_refuses_to_cancel_work_that_cannot_stop_midway(owner, host):
    job = do_start_job(owner, "domain.define", host)

    with pytest.raises(JobError) as refused:
        do_cancel_job(owner, job)

    assert refused.value.status == 409 and refused.value.code == "not_cancellable"
    assert "cannot be cancelled" in refused.value.message
    do_finish_job(job)


def test_it_refuses_to_cancel_a_job_that_ended(owner, host):
    job = do_start_job(owner, "volume.upload", host, cancellable=True)
    do_fail_job(job, "The host went away.")

    with pytest.raises(JobError) as refused:
        do_cancel_job(owner, job)

    assert refused.value.code == "job_ended" and "is over already (failed)" in refused.value.message


def test_an_outsider_cannot_find_someone_elses_job(owner, outsider, host):
    job = do_start_job(owner, "volume.upload", host, cancellable=True)

    with pytest.raises(Http404):
        do_cancel_job(outsider, job)

    assert not Job.objects.get(pk=job.pk).cancel_requested
    do_finish_job(job)


def test_a_host_viewer_sees_the_job_but_may_not_cancel_it(owner, teammate, host):
    do_grant(owner, "Viewer", to_user=teammate, host=host)
    job = do_start_job(owner, "volume.upload", host, cancellable=True)

    with pytest.raises(CancelRefused) as refused:
        do_cancel_job(teammate, job)

    assert "may cancel it" in str(refused.value)
    assert AuditEntry.objects.filter(action="job.cancel", outcome="denied").count() == 1
    do_finish_job(job)


def test_a_host_operator_may_cancel_others_jobs_on_that_host(owner, teammate, host):
    do_grant(owner, "Operator", to_user=teammate, host=host)
    job = do_start_job(owner, "volume.upload", host, cancellable=True)

    assert do_cancel_job(teammate, job).cancel_requested
    do_finish_job(job)


def test_the_user_who_started_a_job_may_cancel_it(teammate, host):
    job = do_start_job(teammate, "volume.upload", host, cancellable=True)

    assert do_cancel_job(teammate, job).cancel_requested
    do_finish_job(job)


def test_progress_is_written_at_most_a_few_times_a_second_and_the_last_report_always_lands(owner, host, changes):
    job = do_start_job(owner, "volume.upload", host, total=1000)
    before = len(changes)

    for done in range(1, 501):
        job.report(done)

    assert len(changes) - before <= 2, "hundreds of reports within milliseconds are not all written"
    heartbeat.beat()  # the keeper's tick writes what throttling held back
    assert Job.objects.get(pk=job.pk).done == 500
    assert changes[-1]["progress"]["done"] == 500
    do_finish_job(job)


def test_a_progress_write_that_comes_after_the_end_tells_no_one(owner, host, changes):
    # The keeper's flush runs on its own thread: when it read the job still running and writes after the end,
    # its message must not follow the end's, or the pages show the job running again.
    job = do_start_job(owner, "volume.upload", host, total=1000)
    job.report(1)
    read_by_the_keeper = Job.objects.get(pk=job.pk)
    do_finish_job(job)
    progress.write_progress(read_by_the_keeper)
    assert changes[-1]["state"] == "succeeded"
    assert Job.objects.get(pk=job.pk).state == "succeeded"


def test_progress_measures_a_rate_in_units_per_second(owner, host):
    job = do_start_job(owner, "volume.upload", host, total=10_000)
    live = progress.live_of(job.pk)
    job.report(0)
    # Two reports one second apart, as the work's clock says (the samples carry their time).
    first_time = live.samples[-1][0]
    live.samples[-1] = (first_time - 1.0, 0)
    job.report(4096)

    assert job.rate == pytest.approx(4096, rel=0.05)
    do_finish_job(job)


def test_a_target_that_lives_only_in_libvirt_is_named_and_audited_on_its_host(owner, host):
    volume = Target("volume", "images/disk.qcow2", "disk.qcow2", host)

    job = do_start_job(owner, "volume.upload", volume, total=10)
    do_finish_job(job)

    job.refresh_from_db()
    assert (job.target_type, job.target_id, job.target_label, job.host) == ("volume", "images/disk.qcow2",
                                                                           "disk.qcow2", host)
    intent, outcome = AuditEntry.objects.filter(action="volume.upload").order_by("id")
    assert intent.target_type == outcome.target_type == "host" and intent.target_id == str(host.pk)
    assert intent.parameters["target"] == {"type": "volume", "id": "images/disk.qcow2", "label": "disk.qcow2"}
