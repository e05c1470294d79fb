"""The graphical console socket: raw RFB between noVNC and the domain's VNC server."""

import asyncio
import socket

from console import ws_protocol
from console.consumers.base import CLOSE_FAILED
from console.consumers.console_socket import ConsoleSocket
from domains import consoles
from domains.libvirt_adapter import VirtError

# Stop reading from the VNC server while this much waits for the browser.
PAUSE_AT = 16 << 20


class VncServerSide(asyncio.Protocol):
    """The VNC server's side: chunks go straight to the socket's queue, no stream buffer copies."""

    def __init__(self, owner):
        self.owner = owner

    def data_received(self, data):
        self.owner.chunks.put_nowait(data)
        self.owner.queued += len(data)
        if self.owner.queued > PAUSE_AT and self.owner.transport is not None:
            self.owner.transport.pause_reading()

    def connection_lost(self, exc):
        self.owner.chunks.put_nowait(None)


class VncConsoleSocket(ConsoleSocket):
    socket_kind = "vnc"
    # noVNC asks for "binary"; our own clients may ask for virtconsole.v1.
    accepted_subprotocols = (ws_protocol.NOVNC_SUBPROTOCOL, ws_protocol.SUBPROTOCOL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transport = None
        self.chunks = asyncio.Queue()
        self.queued = 0
        self._pump = None

    async def connect(self):
        domain = await self.open_console()
        if domain is None:
            return
        loop = asyncio.get_running_loop()
        try:
            target = await asyncio.to_thread(consoles.vnc_target, domain)
            if target.fd is not None:
                sock = socket.socket(fileno=target.fd)
                sock.setblocking(False)
                self.transport, _ = await loop.connect_accepted_socket(lambda: VncServerSide(self), sock)
            else:
                self.transport, _ = await loop.create_connection(lambda: VncServerSide(self), target.address,
                                                                 target.port)
        except (VirtError, OSError) as exc:
            await self.refuse(CLOSE_FAILED, "console_failed", f"Could not reach the VNC server of '{domain.name}': {exc}")
            return
        if self.speaks_json:
            await self.send_json({"type": "console.opened", "domain": str(domain.uuid), "kind": "vnc",
                                  "took_over": False})
        self._pump = asyncio.create_task(self._pump_screen())

    async def _pump_screen(self):
        """Forward what the VNC server sent, in order, as few large frames as it arrived."""
        while True:
            chunk = await self.chunks.get()
            if chunk is None:
                break
            if not self.chunks.empty():
                parts = [chunk]
                while not self.chunks.empty() and self.chunks._queue[0] is not None:
                    parts.append(self.chunks.get_nowait())
                chunk = b"".join(parts)
            self.queued -= len(chunk)
            if self.queued < PAUSE_AT // 2 and self.transport is not None:
                self.transport.resume_reading()
            await self.send(bytes_data=chunk)
        await self.end(consoles.CLOSED_DOMAIN_STOPPED, "The VNC server closed the connection (the domain stopped?).")

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None and self.transport is not None and not self.ended:
            self.transport.write(bytes_data)

    async def release(self):
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
