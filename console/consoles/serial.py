"""The serial console socket: a libvirt console stream in binary frames, both ways."""

import asyncio
import logging

import libvirt

from console.consoles.sockets import ConsoleSocket
from console.sockets import refusals
from console.sockets import sessions
from console.sockets.base import CLOSE_BUSY, CLOSE_FAILED, CLOSE_REFUSED, MOVED_WORDS, check_perm
from console.sockets.sessions import live_sockets
from domains.consoles import streams
from domains.libvirt.adapter import VirtError

log = logging.getLogger(__name__)

# One frame of typed or pasted input; larger frames are refused (see to_guest).
MAX_INPUT_FRAME = 64 * 1024
# How long a stream's error waits for the word that another process's session took the console over.
TAKEOVER_WORD_SECONDS = 1.0

CLOSE_MESSAGES = {
    streams.CLOSED_DOMAIN_STOPPED: "The domain stopped.",
    streams.CLOSED_TAKEN_OVER: "Someone else took over this console.",
    streams.CLOSED_ERROR: "The console stream failed.",
}


class SerialConsoleSocket(ConsoleSocket):
    socket_kind = "serial"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = None
        self.size = None
        self._output = None
        self._pump = None
        self._backlog_told = False

    async def connect(self):
        domain = await self.open_console()
        if domain is None:
            return
        holders = [s for s in live_sockets(domain=domain, kind="serial") if s is not self and s.stream is not None]
        # The same user reloading a page takes their own console back; anyone else needs the permission.
        others = [s for s in holders if s.user.pk != self.user.pk]
        wants = self.query("takeover") in ("1", "true", "yes")
        if others and not wants:
            holder = others[0].user.get_username()
            await self.refuse(CLOSE_BUSY, "console_busy", f"{holder} is using this console. Take it over if you may.",
                              holder=holder)
            return
        if others and not await check_perm(self.user, "console_takeover", domain):
            await self.refuse(CLOSE_REFUSED, "permission_denied",
                              "Taking over a console someone else holds needs the permission 'console_takeover'.",
                              audit=refusals.PERMISSION, target=domain, permission="console_takeover")
            return
        # Holders in this process and in the others: each says "taken over" when libvirt hangs its stream up.
        sessions.take_over_serial(domain, taker=self)
        self._output = asyncio.Queue()
        self.stream = streams.SerialStream(domain, self._from_guest, self._guest_closed)
        try:
            await asyncio.to_thread(self.stream.open, bool(holders) or wants)
        except VirtError as exc:
            self.stream = None
            busy = exc.code == libvirt.VIR_ERR_OPERATION_FAILED and "console" in exc.message.lower()
            await self.refuse(CLOSE_BUSY if busy else CLOSE_FAILED, "console_busy" if busy else "console_failed",
                              exc.message)
            return
        self._pump = asyncio.create_task(self._pump_output())
        if self.speaks_json:
            await self.send_json({"type": "console.opened", "domain": str(domain.uuid), "kind": "serial",
                                  "took_over": bool(holders)})

    # Called on libvirt's event loop, which may be another thread than ours.
    def _from_guest(self, data):
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._output.put_nowait, data)

    def _guest_closed(self, reason, message):
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._output.put_nowait, (reason, message))

    async def _pump_output(self):
        while True:
            item = await self._output.get()
            if isinstance(item, tuple):
                reason, message = item
                if reason == streams.CLOSED_HANGUP:
                    # A lifecycle event may end us meanwhile; otherwise ask libvirt.
                    reason = await asyncio.to_thread(streams.hangup_reason, self.domain)
                elif reason == streams.CLOSED_ERROR and await self._taken_over_meanwhile():
                    reason, message = streams.CLOSED_TAKEN_OVER, ""
                if reason == streams.CLOSED_DOMAIN_STOPPED and await self.moved_away({}):
                    reason, message = sessions.DOMAIN_MOVED, MOVED_WORDS
                await self.end(reason, message or CLOSE_MESSAGES.get(reason, reason))
                return
            # Coalesce what queued up meanwhile: fewer, larger frames under load.
            while not self._output.empty() and isinstance(self._output._queue[0], bytes):
                item += self._output.get_nowait()
            await self.send(bytes_data=item)

    async def _taken_over_meanwhile(self):
        """Whether a session of another process took the console over: a remote libvirtd ends the stream it
        forced with an error, and the word of the takeover (the cluster's bus) may come just after it."""
        deadline = self.loop.time() + TAKEOVER_WORD_SECONDS
        while not self.stream.taken_over and self.loop.time() < deadline:
            await asyncio.sleep(0.02)
        return self.stream.taken_over

    async def receive(self, text_data=None, bytes_data=None):
        if self.stream is None or self.ended:
            return
        if bytes_data is not None:
            await self.to_guest(bytes_data)
            return
        message = await self.read_json(text_data)
        if message is None:
            return
        if message.get("type") == "resize":
            # A serial line has no window size to set; the page runs `stty` when asked.
            self.size = (message.get("cols"), message.get("rows"))
        else:
            await self.send_json({"type": "error", "code": "unknown_message",
                                  "message": f"Unknown message type {message.get('type')!r} on the serial socket."})

    async def to_guest(self, data):
        """Hand typed bytes to the guest, within bounds: Daphne queues every frame it reads without limit,
        so holding frames back here would only move the memory there; a frame that does not fit is
        refused and the client told (once until the guest catches up)."""
        if len(data) > MAX_INPUT_FRAME:
            await self._input_refused("input_too_large",
                                      f"A serial input frame is at most {MAX_INPUT_FRAME} bytes; this one had "
                                      f"{len(data)} and was dropped. Send long input in pieces.")
            return
        if self.stream.write(data):
            self._backlog_told = False
            return
        if not self._backlog_told:
            self._backlog_told = True
            await self._input_refused("input_backlog",
                                      f"The guest has not read the last {self.stream.pending} bytes sent to its "
                                      "serial line yet; input is dropped until it has. Send it again then.")

    async def _input_refused(self, code, message):
        if self.speaks_json:
            await self.send_json({"type": "error", "code": code, "message": message})

    async def release(self):
        stream, self.stream = self.stream, None
        if stream is not None:
            await asyncio.to_thread(stream.close)
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
