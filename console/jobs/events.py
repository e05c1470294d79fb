"""Job changes to the events sockets: one channel-layer message per change, each socket shows only jobs it may see."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from domains.libvirt import relay

log = logging.getLogger(__name__)

# Every events socket joins this group: a job is not subscribed to, it concerns whoever may see it.
JOBS_GROUP = "vc.jobs"


def job_event(job):
    """The channel-layer message for a change of job: the client's message and what visibility needs."""
    return {"type": "job.event", "message": {"type": "job", "job": job.as_message()}, "owner": job.user_id}


async def _send(layer, message):
    await layer.group_send(JOBS_GROUP, message)


def forward(job):
    """domains.jobs listener: send the change on every loop that has sockets (as domains.libvirt.relay does)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = job_event(job)
    loops = relay.attached_loops()
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if not loops:
        # No socket in this process; a shared layer (Redis) still reaches the other processes' sockets.
        if not isinstance(layer, InMemoryChannelLayer) and current is None:
            async_to_sync(_send)(layer, message)
        return
    for loop in loops:
        if loop.is_closed():
            continue
        if loop is current:
            loop.create_task(_send(layer, message))
        else:
            asyncio.run_coroutine_threadsafe(_send(layer, message), loop)
