"""Fixtures for the job tests: the shared personas, a host, and work functions the test steers by events."""

import threading

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from domains.jobs import progress


@pytest.fixture
def owner(db):
    """alice, the console's administrator (a superuser)."""
    users = get_user_model().objects
    return users.filter(username="alice").first() or users.create_superuser("alice", "alice@example.com",
                                                                             "alice-pass-123")


@pytest.fixture
def teammate(db):
    """bob: holds only what a test grants him."""
    return get_user_model().objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def host(make_test_host):
    return make_test_host("jobs", domains=2)


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


class Steered:
    """A real work function: reports progress, then waits until the test lets it go (or it is cancelled).

    started is set once the work runs; release lets it return result; it reports done each time it wakes.
    """

    def __init__(self, result=None, total=100):
        self.started = threading.Event()
        self.release = threading.Event()
        self.result = result
        self.total = total
        self.reports = 0

    def __call__(self, job):
        job.report(0, self.total)
        self.started.set()
        done = 0
        # Wakes often enough to notice a cancel flagged only in the database (checked every 0.5 s).
        while not self.release.wait(0.05):
            done = min(self.total, done + 1)
            job.report(done)
            self.reports += 1
        job.report(self.total)
        return self.result


@pytest.fixture
def steered():
    return Steered


@pytest.fixture
def changes():
    """Every job change this process announces, as the listeners see them (the console's own listener too)."""
    seen = []

    def listen(job):
        seen.append(job.as_message())

    progress.on_job_change(listen)
    yield seen
    progress.stop_listening(listen)
