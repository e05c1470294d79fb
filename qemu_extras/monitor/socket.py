"""The interactive QEMU monitor session (subprotocol virtconsole.qemu.v1): commands in, results and QMP events out.

Client to server:  {"type": "command", "id": any, "command": "<QMP JSON or HMP text>", "hmp": bool}
                   {"type": "command", "id": any, "command": "<guest agent JSON>", "agent": true, "timeout": 5}
                   {"type": "filter", "events": ["STOP", "RESUME"]}   ([] or null: every event)
                   {"type": "schema"}                                 (ask for the QMP schema again)
Server to client:  {"type": "hello", "protocol", "version", "domain", "running"}
                   {"type": "schema", "commands": [names], "events": [names]}
                   {"type": "result", "id", "return", "command", "level", "generic_equivalent"?}
                   {"type": "error", "id", "code", "message", "permission"?, "fields"?}
                   {"type": "event", "event", "timestamp", "data"}
                   {"type": "filter", "events"}
History is the client's business: the server keeps nothing between commands.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.http import Http404

from console.sockets import refusals, sessions
from console.sockets.base import (
    CLOSE_NORMAL,
    CLOSE_NOT_FOUND,
    CLOSE_REFUSED,
    LiveSocket,
    check_perm,
)
from domains.access import permissions
from domains.access.lookups import libvirt_domain, visible
from domains.access.permissions import route_permission
from domains.libvirt.adapter import VirtError, translated_errors
from domains.lifecycle.models import Domain
from qemu_extras import qemu_calls
from qemu_extras.monitor.actions import (
    PassthroughError,
    do_agent_command,
    do_monitor_command,
)
from qemu_extras.version import EXTRAS_API_VERSION, EXTRAS_WS_SUBPROTOCOL

log = logging.getLogger(__name__)

MAX_FILTER = 200
# A guest-agent command may carry a file's bytes in base64 (guest-file-write):
# as large as Daphne lets a message be (1 MiB).
MAX_COMMAND_BYTES = 1 << 20


@database_sync_to_async
def _domain_for(user, uuid):
    """(Domain or None, None when user may use its monitor, else the close code: 4004 unseen, 4003 refused)."""
    try:
        domain = visible(user, Domain, uuid)
    except Http404:
        return None, CLOSE_NOT_FOUND
    if domain.gone:  # a gone domain has no monitor to talk to
        return None, CLOSE_NOT_FOUND
    if not permissions.has_perm(user, "monitor_read", domain):
        return domain, CLOSE_REFUSED
    return domain, None


def _running_dom(domain):
    """(virDomain, running) of a Domain row."""
    dom = libvirt_domain(domain)
    with translated_errors():
        return dom, bool(dom.isActive())


@route_permission("monitor_read", note="each command then needs what the command policy says")
class MonitorSocket(LiveSocket):
    """The monitor session on the one socket base: sign-in, registry (logout, revoked grants, ended accounts)
    and refusals as every other socket; its own subprotocol and messages."""

    socket_kind = "monitor"
    accepted_subprotocols = (EXTRAS_WS_SUBPROTOCOL,)
    json_subprotocols = (EXTRAS_WS_SUBPROTOCOL,)
    max_json_bytes = MAX_COMMAND_BYTES
    bad_json_hint = "Send JSON objects with a 'type': command, filter or schema."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.watch = None
        self.events_filter = set()

    async def greet(self):
        """The monitor's hello names the domain and whether it runs: sent once both are known (connect)."""

    async def connect(self):
        if not await self.open_socket():
            return
        domain, refusal = await _domain_for(self.user, self.scope["url_route"]["kwargs"]["uuid"])
        if refusal == CLOSE_NOT_FOUND:
            await self.refuse(CLOSE_NOT_FOUND, "not_found", "No such domain, or you may not see it.")
            return
        if refusal == CLOSE_REFUSED:
            await self.refuse(CLOSE_REFUSED, "permission_denied",
                              "You lack the permission 'monitor_read' on this domain. Ask an administrator for a grant.",
                              audit=refusals.PERMISSION, target=domain, permission="monitor_read")
            return
        self.domain = domain
        try:
            dom, running = await asyncio.to_thread(_running_dom, domain)
            self.watch = await asyncio.to_thread(qemu_calls.watch_events, domain, dom, self._event_from_libvirt)
        except VirtError as exc:
            await self.refuse(CLOSE_NORMAL, "libvirt_error", exc.message)
            return
        await self.send_json({"type": "hello", "protocol": EXTRAS_WS_SUBPROTOCOL, "version": EXTRAS_API_VERSION,
                              "domain": str(domain.uuid), "running": running})
        if running:
            await self.send_schema()

    async def still_allowed(self):
        return await check_perm(self.user, "monitor_read", self.domain)

    def closing_message(self, reason, message):
        words = "You logged out." if reason == sessions.LOGGED_OUT else "Your permission 'monitor_read' was withdrawn."
        return {"type": "error", "code": reason, "message": f"{words} The session ends."}

    def closing_code(self, reason):
        return CLOSE_REFUSED

    async def release(self):
        watch, self.watch = self.watch, None
        if watch is not None:
            await asyncio.to_thread(qemu_calls.unwatch_events, watch)

    async def send_schema(self):
        try:
            schema = await asyncio.to_thread(lambda: qemu_calls.qmp_schema(self.domain, libvirt_domain(self.domain)))
        except VirtError as exc:
            await self.send_json({"type": "error", "code": "no_schema", "message": exc.message})
            return
        await self.send_json({"type": "schema", "commands": schema.command_names, "events": schema.events})

    def _event_from_libvirt(self, event):
        # Runs on libvirt's event loop thread; hand it to this socket's loop.
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._forward(event)))

    async def _forward(self, event):
        if self.ended:
            return
        if self.events_filter and event["event"] not in self.events_filter:
            return
        await self.send_json({"type": "event", **event})

    async def receive(self, text_data=None, bytes_data=None):
        message = await self.read_json(text_data)
        if message is None:
            return
        kind = message.get("type")
        if kind == "command":
            await self.run_command(message)
        elif kind == "filter":
            names = message.get("events") or []
            if not isinstance(names, list) or len(names) > MAX_FILTER:
                await self.send_json({"type": "error", "code": "invalid",
                                      "message": f"'events' is a list of at most {MAX_FILTER} QMP event names."})
                return
            self.events_filter = {str(name).upper() for name in names}
            await self.send_json({"type": "filter", "events": sorted(self.events_filter)})
        elif kind == "schema":
            await self.send_schema()
        else:
            await self.send_json({"type": "error", "code": "unknown_message",
                                  "message": f"Unknown message type {kind!r}: use command, filter or schema."})

    async def run_command(self, message):
        request_id = message.get("id")
        text = message.get("command")
        if not isinstance(text, str) or not text.strip():
            await self.send_json({"type": "error", "id": request_id, "code": "invalid",
                                  "message": "Give 'command': QMP JSON text, or HMP text with 'hmp': true."})
            return
        address = (self.scope.get("client") or [None])[0]
        timeout = message.get("timeout", qemu_calls.AGENT_TIMEOUT_DEFAULT)

        def deliver(result):
            # On the command's thread, once QEMU answered: the answer goes out while the thread writes the audit
            # outcome (run_sync returns only after that, so before this socket's next command).
            asyncio.run_coroutine_threadsafe(
                self.send_json({"type": "result", "id": request_id, **result.as_dict()}), self.loop)

        try:
            if message.get("agent"):
                if not isinstance(timeout, int) or isinstance(timeout, bool):
                    raise PassthroughError("'timeout' is a whole number of seconds (0 to 60).", "invalid")
                await self.run_sync(do_agent_command, self.user, self.domain, text, timeout, address, deliver)
            else:
                await self.run_sync(do_monitor_command, self.user, self.domain, text, bool(message.get("hmp")),
                                    address, deliver)
        except permissions.PermissionDenied as exc:
            await self.send_json({"type": "error", "id": request_id, "code": "permission_denied",
                                  "message": str(exc), "permission": exc.permission})
        except Http404:
            await self.send_json({"type": "error", "id": request_id, "code": "not_found",
                                  "message": "No such domain, or you may not see it."})
        except PassthroughError as exc:
            await self.send_json({"type": "error", "id": request_id, "code": exc.code, "message": str(exc.message),
                                  "fields": exc.fields})
        except VirtError as exc:
            await self.send_json({"type": "error", "id": request_id, "code": "libvirt_error", "message": exc.message})
