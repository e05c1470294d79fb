"""The live sockets of this process, so logout, lost permissions and stopped domains can end them.

Sockets live on their own asyncio loop (Daphne's; in tests, each test's),
while the callers (a logout view, the grants code) run in some thread: the
ending is scheduled on the socket's loop, and happens within milliseconds.
"""

import asyncio
import threading


LOGGED_OUT = "logged_out"
PERMISSION_LOST = "permission_lost"

_sockets = {}
_lock = threading.Lock()


def register(socket):
    """socket: a LiveSocket with .user, .domain (or None), .loop and async end_session(reason, recheck)."""
    with _lock:
        _sockets[id(socket)] = socket


def unregister(socket):
    with _lock:
        _sockets.pop(id(socket), None)


def live_sockets(user=None, domain=None, kind=None):
    """The registered sockets of user (a User or user id), on domain (a Domain), of kind ("events", "serial", "vnc")."""
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
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        loop.create_task(socket.end_session(reason, recheck))
    else:
        asyncio.run_coroutine_threadsafe(socket.end_session(reason, recheck), loop)


def close_sessions(user=None, domain=None, reason=PERMISSION_LOST):
    """End every live socket of user on domain (either may be None for all); returns how many were told."""
    matched = live_sockets(user, domain)
    for socket in matched:
        _schedule(socket, reason, recheck=False)
    return len(matched)


def recheck_sessions(user=None, domain=None):
    """Re-check permissions of the matching sockets: consoles that lost theirs close, event sockets forget
    what they may no longer see. For the grants code to call after a grant changes."""
    matched = live_sockets(user, domain)
    for socket in matched:
        _schedule(socket, PERMISSION_LOST, recheck=True)
    return len(matched)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        close_sessions(user=user, reason=LOGGED_OUT)
