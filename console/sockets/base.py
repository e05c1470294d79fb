"""What every /ws/v1/ socket shares: subprotocol, sign-in check, session registry, relayed events."""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from console.sockets import sessions
from domains.access import permissions
from domains.api import ws_protocol
from domains.libvirt import relay

log = logging.getLogger(__name__)

CLOSE_NORMAL = 4000
CLOSE_UNAUTHENTICATED = 4001
CLOSE_REFUSED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_BUSY = 4009
CLOSE_FAILED = 4010


class LiveSocket(AsyncWebsocketConsumer):
    """Base of the events, serial and VNC sockets."""

    socket_kind = ""
    accepted_subprotocols = (ws_protocol.SUBPROTOCOL,)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.domain = None
        self.loop = None
        self.subprotocol = None
        self.ended = False
        self._groups = set()
        self._registered = False

    def chosen_subprotocol(self):
        offered = self.scope.get("subprotocols") or []
        for name in self.accepted_subprotocols:
            if name in offered:
                return name
        return None

    async def open_socket(self):
        """Check sign-in and subprotocol, accept, register. False (socket refused) if it may not open."""
        user = self.scope.get("user")
        self.subprotocol = self.chosen_subprotocol()
        if user is None or not user.is_authenticated or self.subprotocol is None:
            # Refused in the handshake: the browser sees a failed connection, nothing leaks.
            await self.close()
            return False
        self.user = user
        self.loop = asyncio.get_running_loop()
        await self.accept(self.subprotocol)
        relay.attach_loop(self.loop)
        sessions.register(self)
        self._registered = True
        if self.speaks_json:
            await self.send_json({"type": "hello", "protocol": ws_protocol.SUBPROTOCOL, "user": user.get_username()})
        return True

    @property
    def speaks_json(self):
        return self.subprotocol == ws_protocol.SUBPROTOCOL

    async def send_json(self, message):
        await self.send(text_data=json.dumps(message, default=str))

    async def refuse(self, code, error_code, message):
        """Tell the client why (on virtconsole.v1) and close with an application close code."""
        if self.speaks_json:
            await self.send_json({"type": "error", "code": error_code, "message": message})
        self.ended = True
        await self.close(code)

    async def join(self, group):
        if group not in self._groups:
            self._groups.add(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, group):
        if group in self._groups:
            self._groups.discard(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code):
        self.ended = True
        await self.release()
        for group in list(self._groups):
            await self.leave(group)
        if self._registered:
            self._registered = False
            sessions.unregister(self)
            relay.detach_loop(self.loop)

    async def release(self):
        """Free what the socket holds (a console stream, a VNC connection)."""

    async def relay_event(self, message):
        """A libvirt event relayed by domains.libvirt.relay to a group this socket joined."""

    async def end_session(self, reason, recheck=False):
        """Close the socket because of reason; with recheck, only if the user lost the permission."""
        if self.ended:
            return
        if recheck and await self.still_allowed():
            return
        await self.end(reason, _REASON_WORDS.get(reason, reason))

    async def still_allowed(self):
        return True

    async def end(self, reason, message):
        if self.ended:
            return
        self.ended = True
        if self.speaks_json:
            await self.send_json({"type": "console.closed" if self.socket_kind != "events" else "error",
                                  "reason": reason, "code": reason, "message": message})
        await self.release()
        await self.close(CLOSE_UNAUTHENTICATED if reason == sessions.LOGGED_OUT else CLOSE_NORMAL)


_REASON_WORDS = {
    sessions.LOGGED_OUT: "You logged out: sign in again to reopen it.",
    sessions.PERMISSION_LOST: "Your permission for this was withdrawn.",
    "domain_stopped": "The domain stopped.",
    "taken_over": "Someone else took over this console.",
}


@database_sync_to_async
def check_perm(user, permission, target):

    return permissions.has_perm(user, permission, target)
