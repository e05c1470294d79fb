"""The cluster's messages to this process's sockets: each socket follows topics, each message reaches each follower once.

A socket follows topics (a domain, a host, the jobs); a message of the bus
names its topics, and every socket that follows any of them gets it once,
through LiveSocket.push on the socket's own loop, in the order the bus handed
messages over. It replaces a channel-layer group membership per socket: one
event for a thousand sockets was a thousand channel-layer messages, and a
Redis-backed channel per idle socket.
"""

import asyncio
import threading
from collections import defaultdict

JOBS = "jobs"

_followers = defaultdict(set)  # topic -> sockets
_lock = threading.Lock()


def domain_topic(host_id, domain_uuid):
    return f"domain.{host_id}.{domain_uuid}"


def host_topic(host_id):
    return f"host.{host_id}"


def event_topics(event):
    """The topics a libvirt event concerns: its host's, and its domain's when it names one."""
    host_id = event.get("host")
    if host_id is None:
        return []
    topics = [host_topic(host_id)]
    if event.get("uuid"):
        topics.append(domain_topic(host_id, event["uuid"]))
    return topics


def follow(socket, topic):
    with _lock:
        _followers[topic].add(socket)


def unfollow(socket, topic):
    with _lock:
        followers = _followers.get(topic)
        if followers is not None:
            followers.discard(socket)
            if not followers:
                del _followers[topic]


def deliver(topics, handler, message):
    """Hand message to handler (a LiveSocket method name) of every socket following one of topics, once each.

    Thread-safe: sockets on another loop than the caller's get it through that loop.
    """
    with _lock:
        sockets = set()
        for topic in topics:
            sockets |= _followers.get(topic, set())
    if not sockets:
        return
    by_loop = defaultdict(list)
    for socket in sockets:
        by_loop[socket.loop].append(socket)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for loop, batch in by_loop.items():
        if loop is None or loop.is_closed():
            continue
        if loop is running:
            _push_all(batch, handler, message)
        else:
            loop.call_soon_threadsafe(_push_all, batch, handler, message)


def _push_all(sockets, handler, message):
    for socket in sockets:
        socket.push(handler, message)

