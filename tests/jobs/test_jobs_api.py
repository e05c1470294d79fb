"""GET /api/v1/jobs, GET /api/v1/jobs/{id}, POST /api/v1/jobs/{id}/cancel: shapes, filters, visibility, refusals."""

import uuid as uuidlib

import pytest

from domains.access.grants import do_grant
from domains.jobs.actions import do_fail_job, do_finish_job, do_start_job
from domains.jobs.models import Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.storage.models import Pool
from tests.jobs.conftest import api_as

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def domains(host):
    inventory.sync_host(host)
    return list(Domain.objects.filter(host=host).order_by("name"))


def test_the_list_shows_jobs_newest_first_in_pages(owner, host):
    first = do_start_job(owner, "volume.upload", host, total=10)
    second = do_start_job(owner, "volume.clone", host)

    body = api_as(owner).get("/api/v1/jobs?limit=1").json()

    assert body["count"] == 2 and [j["id"] for j in body["results"]] == [second.pk]
    assert body["next"]
    for job in (first, second):
        do_finish_job(job)


def test_the_list_filters_by_state_and_kind(owner, host):
    running = do_start_job(owner, "volume.upload", host)
    failed = do_start_job(owner, "volume.wipe", host)
    do_fail_job(failed, "The pool is gone.")
    other = do_start_job(owner, "domain.clone", host)
    client = api_as(owner)

    assert [j["id"] for j in client.get("/api/v1/jobs?state=failed").json()["results"]] == [failed.pk]
    assert {j["id"] for j in client.get("/api/v1/jobs?kind=volume.").json()["results"]} == {running.pk, failed.pk}
    refused = client.get("/api/v1/jobs?state=sleeping")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid" and "state" in refused.json()["fields"]
    for job in (running, other):
        do_finish_job(job)


def test_the_detail_has_the_contract_shape(owner, host):
    job = do_start_job(owner, "volume.upload", host, total=4096, cancellable=True)
    job.report(1024)

    body = api_as(owner).get(f"/api/v1/jobs/{job.pk}").json()

    assert body["id"] == job.pk and body["kind"] == "volume.upload" and body["state"] == "running"
    assert body["progress"] == {"done": 1024, "total": 4096, "unit": "bytes"}
    assert body["target"] == {"type": "host", "id": str(host.pk), "label": host.name, "host": host.pk}
    assert body["user"] == "alice" and body["cancellable"] is True and body["error"] == ""
    assert body["started"] and body["ended"] is None and body["result"] is None
    do_finish_job(job)


def test_cancel_answers_202_with_the_job(owner, host):
    job = do_start_job(owner, "volume.upload", host, cancellable=True)

    answer = api_as(owner).post(f"/api/v1/jobs/{job.pk}/cancel")

    assert answer.status_code == 202 and answer.json()["id"] == job.pk and answer.json()["cancel_requested"]
    assert Job.objects.get(pk=job.pk).cancel_requested
    do_finish_job(job)


def test_cancel_answers_409_for_work_that_cannot_stop_or_that_ended(owner, host):
    stuck = do_start_job(owner, "domain.define", host)
    ended = do_start_job(owner, "volume.upload", host, cancellable=True)
    do_finish_job(ended)
    client = api_as(owner)

    not_cancellable = client.post(f"/api/v1/jobs/{stuck.pk}/cancel")
    over = client.post(f"/api/v1/jobs/{ended.pk}/cancel")

    assert not_cancellable.status_code == 409 and not_cancellable.json()["code"] == "not_cancellable"
    assert "Wait for it to end" in not_cancellable.json()["message"]
    assert over.status_code == 409 and over.json()["code"] == "job_ended"
    do_finish_job(stuck)


def test_an_outsider_gets_404_for_someone_elses_job_and_an_empty_list(owner, outsider, host):
    job = do_start_job(owner, "volume.upload", host, cancellable=True)
    client = api_as(outsider)

    assert client.get("/api/v1/jobs").json()["results"] == []
    assert client.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert client.post(f"/api/v1/jobs/{job.pk}/cancel").status_code == 404
    assert not Job.objects.get(pk=job.pk).cancel_requested
    do_finish_job(job)


def test_a_teammate_sees_his_own_jobs_and_those_on_domains_granted_to_him(owner, teammate, host, domains):
    granted, other = domains
    do_grant(owner, "Operator", to_user=teammate, domain=granted)
    his = do_start_job(teammate, "domain.snapshot", granted)
    on_granted = do_start_job(owner, "domain.clone", granted)
    on_other = do_start_job(owner, "domain.clone", other)
    on_host = do_start_job(owner, "volume.upload", host)
    client = api_as(teammate)

    seen = {j["id"] for j in client.get("/api/v1/jobs").json()["results"]}

    assert seen == {his.pk, on_granted.pk}
    assert client.get(f"/api/v1/jobs/{on_other.pk}").status_code == 404
    assert client.get(f"/api/v1/jobs/{on_host.pk}").status_code == 404
    for job in (his, on_granted, on_other, on_host):
        do_finish_job(job)


def test_a_teammate_who_sees_a_job_but_may_not_cancel_it_gets_403_saying_who_may(owner, teammate, host, domains):
    do_grant(owner, "Operator", to_user=teammate, domain=domains[0])
    job = do_start_job(owner, "domain.clone", domains[0], cancellable=True)

    refused = api_as(teammate).post(f"/api/v1/jobs/{job.pk}/cancel")

    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert "may cancel it" in refused.json()["message"]
    do_finish_job(job)


def test_a_pool_grant_shows_the_jobs_on_that_pool_only(owner, teammate, host):
    granted = Pool.objects.create(host=host, uuid=uuidlib.uuid4(), name="images")
    other = Pool.objects.create(host=host, uuid=uuidlib.uuid4(), name="backups")
    do_grant(owner, "Pool viewer", to_user=teammate, pool=granted)
    seen_job = do_start_job(owner, "pool.refresh", granted)
    hidden_job = do_start_job(owner, "pool.refresh", other)

    seen = {j["id"] for j in api_as(teammate).get("/api/v1/jobs").json()["results"]}

    assert seen == {seen_job.pk}
    for job in (seen_job, hidden_job):
        do_finish_job(job)
