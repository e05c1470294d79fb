"""The live sockets of this process, so logout, lost permissions, ended accounts and stopped domains can end them.

An ending is broadcast on the cluster's bus: the socket may live in any
process of the cluster, and each process ends its own. Sockets live on their
own asyncio loop (Daphne's; in tests, each test's), while the callers (a
logout view, the grants code, a user saved in the admin) run in some thread:
the ending is scheduled on the socket's loop, and happens within milliseconds.
The signal receivers are attached in ConsoleConfig.ready().
"""

import asyncio
import threading
import uuid as uuidlib

from domains.cluster import bus
from domains.lifecycle.models import Domain

LOGGED_OUT = "logged_out"
PERMISSION_LOST = "permission_lost"
DOMAIN_MOVED = "domain_moved"
EVENTS_GAP = "events_gap"

_sockets = {}
_lock = threading.Lock()


def register(socket):
    """socket: a LiveSocket with .user, .domain (or None), .session_key, .loop and async end_session(reason, recheck)."""
    with _lock:
        _sockets[id(socket)] = socket


def unregister(socket):
    with _lock:
        _sockets.pop(id(socket), None)


def live_sockets(user=None, domain=None, kind=None):
    """The registered sockets of user (a User or user id), on domain (a Domain), of kind ("events", "serial", ...)."""
    user_id = getattr(user, "pk", user)
    with _lock:
        sockets = list(_sockets.values())
    return [
        s for s in sockets
        if (user_id is None or s.user.pk == user_id)
        and (domain is None or (s.domain is not None and s.domain.pk == domain.pk))
        and (kind is None or s.socket_kind == kind)
    ]


def _schedule(socket, reason, recheck):
    loop = socket.loop
    if loop is None or loop.is_closed():
        return
    if recheck:
        if socket.recheck_pending:
            return  # one recheck already queued covers this change too (a host grant lists every domain)
        socket.recheck_pending = True
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        loop.create_task(socket.end_session(reason, recheck))
    else:
        asyncio.run_coroutine_threadsafe(socket.end_session(reason, recheck), loop)


def close_sessions(user=None, domain=None, reason=PERMISSION_LOST):
    """End every live socket of user on domain (either may be None for all), in every process."""
    _broadcast("close", user=user, domain=domain, reason=reason)


def close_sessions_of_session(session_key, reason=LOGGED_OUT):
    """End every live socket opened with the given Django session, in every process."""
    if session_key:
        _broadcast("close_session", session_key=session_key, reason=reason)


def recheck_sessions(user=None, domain=None):
    """Re-check permissions of the user's sockets that domain concerns, in every process: consoles and monitors
    that lost theirs close, event sockets forget what they may no longer see. For the grants code to call after
    a grant changes."""
    _broadcast("recheck", user=user, domain=domain)


def take_over_serial(domain, taker):
    """Tell the serial consoles of domain held elsewhere, in every process, that taker takes the console over:
    when libvirt hangs their stream up for taker's, they close saying so, not that the line hung up."""
    _broadcast("take_over_serial", domain=domain, taker=taker.token)


def _broadcast(action, user=None, domain=None, session_key=None, reason=None, taker=None):
    bus.broadcast("sessions", {
        "action": action, "user": getattr(user, "pk", user), "session_key": session_key, "reason": reason,
        "taker": taker,
        # What concerns() and live_sockets() compare, so no process needs a query to match its sockets.
        "domain": None if domain is None else {"pk": domain.pk, "uuid": str(domain.uuid), "host": domain.host_id},
    })


def on_bus_message(payload, _origin):
    """Bus listener: end or re-check this process's sockets the message names."""
    about = payload["domain"]
    domain = None if about is None else Domain(pk=about["pk"], uuid=uuidlib.UUID(about["uuid"]), host_id=about["host"])
    action = payload["action"]
    if action == "close":
        for socket in live_sockets(payload["user"], domain):
            _schedule(socket, payload["reason"], recheck=False)
    elif action == "close_session":
        with _lock:
            matched = [s for s in _sockets.values() if s.session_key == payload["session_key"]]
        for socket in matched:
            _schedule(socket, payload["reason"], recheck=False)
    elif action == "take_over_serial":
        for socket in live_sockets(domain=domain, kind="serial"):
            if socket.token != payload["taker"] and socket.stream is not None:
                socket.stream.taken_over = True
    elif action == "recheck":
        for socket in live_sockets(payload["user"]):
            if domain is None or socket.concerns(domain):
                _schedule(socket, PERMISSION_LOST, recheck=True)


# --- signal receivers (attached in ConsoleConfig.ready) ---

def on_logout(sender, request, user, **kwargs):
    if user is not None:
        close_sessions(user=user, reason=LOGGED_OUT)


def on_user_saved(sender, instance, **kwargs):
    """A deactivated account keeps no open socket: is_active=False ends them all."""
    if not instance.is_active:
        close_sessions(user=instance.pk, reason=LOGGED_OUT)


def on_user_deleted(sender, instance, **kwargs):
    close_sessions(user=instance.pk, reason=LOGGED_OUT)


def on_session_deleted(sender, instance, **kwargs):
    """A deleted session (flushed, cleared by an administrator) takes the sockets opened with it along."""
    close_sessions_of_session(instance.session_key, reason=LOGGED_OUT)


def on_bus_gap(_payload, _origin):
    """The cluster's bus lost messages (Redis restarted): this process's events sockets close, and their pages
    reconnect and read afresh what they show, instead of going on without the events they missed."""
    for socket in live_sockets(kind="events"):
        _schedule(socket, EVENTS_GAP, recheck=False)


def on_domain_moved(domain, source, destination, **kwargs):
    """A migrated domain's consoles were on the old host: they close, and the page reopens them on the new one."""
    close_sessions(domain=domain, reason=DOMAIN_MOVED)
