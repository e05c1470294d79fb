"""The one base of every websocket (events, serial, VNC, QEMU monitor): subprotocol, sign-in, registry, refusals."""

import asyncio
import contextvars
import json
import logging
import uuid
from collections import deque

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from console import request_threads
from console.sockets import fanout, refusals, sessions
from domains.access import permissions
from domains.api import ws_protocol
from domains.cluster import bus

log = logging.getLogger(__name__)

CLOSE_NORMAL = 4000
CLOSE_UNAUTHENTICATED = 4001
CLOSE_REFUSED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_BUSY = 4009
CLOSE_FAILED = 4010

# A JSON control message is small: the largest the console's own pages send is
# a subscription of 2,000 UUIDs (about 80 KiB). Deeper nesting than this is
# never meaningful here, and the parser's recursion must not reach Python's limit.
MAX_JSON_BYTES = 128 * 1024
MAX_JSON_DEPTH = 16


class LiveSocket(AsyncWebsocketConsumer):
    """Base of every socket; a subclass names its kind, the subprotocols it accepts and those that speak JSON."""

    socket_kind = ""
    # No channel-layer channel per socket: what the cluster says reaches sockets through console.sockets.fanout
    # (a Redis channel per idle socket cost memory and a blocking read each, and a group message per socket).
    channel_layer_alias = None
    accepted_subprotocols = (ws_protocol.SUBPROTOCOL,)
    # The subprotocols whose sockets carry JSON text frames (noVNC's "binary" carries none).
    json_subprotocols = (ws_protocol.SUBPROTOCOL,)
    max_json_bytes = MAX_JSON_BYTES
    bad_json_hint = "Send JSON objects with a 'type': see docs/websocket-protocol.md."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.domain = None
        self.loop = None
        self.subprotocol = None
        self.session_key = None
        self.ended = False
        self.recheck_pending = False
        self._topics = set()
        self._registered = False
        self.token = uuid.uuid4().hex  # names this socket in the cluster's messages (a takeover's taker)
        self._inbox = deque()  # (handler name, message) pushed by the fan-out, handled one at a time in order
        self._draining = False
        self._context = None  # the consumer's own context, for the tasks that handle pushed messages

    async def dispatch(self, message):
        """Channels' dispatch without its trip to a thread before every message to close old database connections.

        That trip cost about 0.4 ms of every monitor command. Nothing here leaves a connection on that thread:
        the sockets reach the database only through database_sync_to_async, which closes its own, and run_sync,
        whose request threads keep theirs on purpose.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
            if self.subprotocol is not None:
                await refusals.record(self.scope, refusals.NOT_SIGNED_IN)
            # Refused in the handshake: the browser sees a failed connection, nothing leaks.
            await self.close()
            return False
        self.user = user
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()
        await self.accept(self.subprotocol)
        bus.start()
        sessions.register(self)
        self._registered = True
        await self.greet()
        return True

    async def greet(self):
        """The first message once accepted; the monitor sends its own once it knows the domain."""
        if self.speaks_json:
            await self.send_json({"type": "hello", "protocol": ws_protocol.SUBPROTOCOL,
                                  "user": self.user.get_username()})

    @property
    def speaks_json(self):
        return self.subprotocol in self.json_subprotocols

    async def send_json(self, message):
        await self.send(text_data=json.dumps(message, default=str))

    async def run_sync(self, function, *args):
        """function(*args) on a request thread, which keeps its database connection from one call to the next.

        For a command a client waits on (the monitor's): the socket's other synchronous work goes through
        database_sync_to_async, which opens a connection and closes it again each time (about 1 ms on SQLite).
        """
        async with request_threads.RequestThread():
            return await database_sync_to_async(function)(*args)

    async def read_json(self, text_data):
        """The JSON object in a text frame, or None once the client was told why it is not one.

        Bounded in size and depth before anything walks it: a frame of 100,000
        nested lists would otherwise end the socket with a RecursionError.
        """
        if text_data is None:
            await self.send_json({"type": "error", "code": "bad_json", "message": self.bad_json_hint})
            return None
        if len(text_data) > self.max_json_bytes:
            await self.send_json({"type": "error", "code": "message_too_large",
                                  "message": f"A control message is at most {self.max_json_bytes} bytes; this one "
                                             f"had {len(text_data)}. Send smaller messages."})
            return None
        if _nesting(text_data) > MAX_JSON_DEPTH:
            await self.send_json({"type": "error", "code": "message_too_deep",
                                  "message": f"A control message nests at most {MAX_JSON_DEPTH} lists or objects "
                                             "deep; flatten it."})
            return None
        try:
            message = json.loads(text_data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_json({"type": "error", "code": "bad_json", "message": self.bad_json_hint})
            return None
        return message

    async def refuse(self, code, error_code, message, audit=None, target=None, permission=None, **values):
        """Tell the client why (on a JSON socket) and close with an application close code.

        audit: the refusals reason when this is an access refusal (a ticket, a missing permission),
        recorded once, about target, naming the permission it lacked. values go with the message, for a page
        that says the refusal in its own (translated) words, e.g. who holds a busy console.
        """
        if audit is not None:
            await refusals.record(self.scope, audit, target=target, user=self.user, permission=permission)
        if self.speaks_json:
            await self.send_json({"type": "error", "code": error_code, "message": message, **values})
        self.ended = True
        await self.close(code)

    def join(self, topic):
        """Follow topic (console.sockets.fanout): the messages about it reach this socket from now on."""
        if topic not in self._topics:
            self._topics.add(topic)
            fanout.follow(self, topic)

    def leave(self, topic):
        if topic in self._topics:
            self._topics.discard(topic)
            fanout.unfollow(self, topic)

    def push(self, handler, message):
        """On this socket's loop: handle message with the method named handler, after those pushed before it."""
        if self.ended:
            return
        self._inbox.append((handler, message))
        if not self._draining:
            self._draining = True
            # In the consumer's context, not the pusher's: a pusher inside sync_to_async would make every
            # database call of the handler look like a deadlock to asgiref.
            self.loop.create_task(self._drain(), context=self._context.copy())

    async def _drain(self):
        try:
            while self._inbox and not self.ended:
                handler, message = self._inbox.popleft()
                try:
                    await getattr(self, handler)(message)
                except Exception:  # one message failing must not stop the ones after it
                    log.exception("%s socket: handling a %s message failed", self.socket_kind, handler)
        finally:
            self._draining = False
            if self.ended:
                self._inbox.clear()

    async def disconnect(self, code):
        self.ended = True
        await self.release()
        for topic in list(self._topics):
            self.leave(topic)
        if self._registered:
            self._registered = False
            sessions.unregister(self)

    async def release(self):
        """Free what the socket holds (a console stream, a VNC connection, a monitor event watch)."""

    async def relay_event(self, message):
        """A libvirt event ({"event": ...}) of a topic this socket follows (domains.cluster.events, fanout)."""

    def concerns(self, domain):
        """Whether a change of permissions on domain may concern this socket (see sessions.recheck_sessions)."""
        return self.domain is not None and self.domain.pk == domain.pk

    async def end_session(self, reason, recheck=False):
        """Close the socket because of reason; with recheck, only if the user lost the permission."""
        if recheck:
            self.recheck_pending = False
        if self.ended:
            return
        if recheck and await self.still_allowed():
            return
        await self.end(reason, _REASON_WORDS.get(reason, reason))

    async def still_allowed(self):
        return True

    def closing_message(self, reason, message):
        if self.socket_kind == "events":
            return {"type": "error", "reason": reason, "code": reason, "message": message}
        return {"type": "console.closed", "reason": reason, "code": reason, "message": message}

    def closing_code(self, reason):
        return CLOSE_UNAUTHENTICATED if reason == sessions.LOGGED_OUT else CLOSE_NORMAL

    async def end(self, reason, message):
        if self.ended:
            return
        self.ended = True
        if self.speaks_json:
            await self.send_json(self.closing_message(reason, message))
        await self.release()
        await self.close(self.closing_code(reason))


def _nesting(text):
    """How deep lists and objects nest in JSON text (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot nest deeper than the limit: skip the walk (the common case)
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


MOVED_WORDS = "The domain moved to another host: reload the page to open its console there."
_REASON_WORDS = {
    sessions.LOGGED_OUT: "Your session ended (you logged out, or your account or session was ended): "
                         "sign in again to reopen it.",
    sessions.PERMISSION_LOST: "Your permission for this was withdrawn.",
    "domain_stopped": "The domain stopped.",
    sessions.DOMAIN_MOVED: MOVED_WORDS,
    "taken_over": "Someone else took over this console.",
    sessions.EVENTS_GAP: "The console's processes lost touch with each other for a moment, so events may have been "
                         "missed: reconnect to read the current state.",
}


@database_sync_to_async
def check_perm(user, permission, target):
    return permissions.has_perm(user, permission, target)
