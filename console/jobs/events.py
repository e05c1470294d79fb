"""Job changes to the events sockets of every process: one bus message per change, each socket shows only jobs it may see."""

from domains.cluster import bus


def job_event(job):
    """The message for a change of job: the client's message and what visibility needs."""
    return {"type": "job.event", "message": {"type": "job", "job": job.as_message()}, "owner": job.user_id}


def forward(job):
    """domains.jobs listener: every process's events sockets hear the change (console.events.relay)."""
    bus.broadcast("job", job_event(job))
