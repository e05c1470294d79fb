"""The Job row: what it holds and the one shape the API and the events socket show."""

from domains.jobs.models import RUNNING, Job


def test_a_job_shows_its_progress_target_and_times_in_one_shape(db, host):
    job = Job.objects.create(kind="volume.upload", state=RUNNING, host=host, target_type="host",
                             target_id=str(host.pk), target_label=host.name, user_name="alice", done=5, total=10,
                             unit="bytes", cancellable=True)

    message = job.as_message()

    assert message["id"] == job.pk and message["kind"] == "volume.upload" and message["state"] == "running"
    assert message["progress"] == {"done": 5, "total": 10, "unit": "bytes"}
    assert message["target"] == {"type": "host", "id": str(host.pk), "label": host.name, "host": host.pk}
    assert message["user"] == "alice" and message["cancellable"] is True and message["cancel_requested"] is False
    assert message["created"].endswith("Z") and message["started"] is None and message["ended"] is None
    assert set(message) >= {"id", "kind", "state", "progress", "rate", "target", "user", "created", "started",
                            "ended", "error", "result", "cancellable"}


def test_an_unknown_total_stays_empty_rather_than_zero(db):
    job = Job.objects.create(kind="domain.clone", unit="items")

    assert job.as_message()["progress"] == {"done": 0, "total": None, "unit": "items"}
    assert job.active
