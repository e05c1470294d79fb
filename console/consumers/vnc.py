"""The graphical console socket: raw RFB between noVNC and the domain's VNC server."""

import asyncio
import logging
import socket

from console import ws_protocol
from console.consumers.base import CLOSE_FAILED
from console.consumers.console_socket import ConsoleSocket
from domains import consoles
from domains.libvirt_adapter import VirtError

log = logging.getLogger(__name__)

# Large reads: a full-screen raw update is 8 MB, and each websocket frame
# costs a fixed overhead in the server.
READ_SIZE = 1 << 20


class VncConsoleSocket(ConsoleSocket):
    socket_kind = "vnc"
    # noVNC asks for "binary"; our own clients may ask for virtconsole.v1.
    accepted_subprotocols = (ws_protocol.NOVNC_SUBPROTOCOL, ws_protocol.SUBPROTOCOL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer = None
        self._pump = None

    async def connect(self):
        domain = await self.open_console()
        if domain is None:
            return
        try:
            target = await asyncio.to_thread(consoles.vnc_target, domain)
            if target.fd is not None:
                sock = socket.socket(fileno=target.fd)
                sock.setblocking(False)
                reader, self.writer = await asyncio.open_connection(sock=sock, limit=READ_SIZE)
            else:
                reader, self.writer = await asyncio.open_connection(target.address, target.port, limit=READ_SIZE)
        except (VirtError, OSError) as exc:
            await self.refuse(CLOSE_FAILED, "console_failed", f"Could not reach the VNC server of '{domain.name}': {exc}")
            return
        if self.speaks_json:
            await self.send_json({"type": "console.opened", "domain": str(domain.uuid), "kind": "vnc",
                                  "took_over": False})
        self._pump = asyncio.create_task(self._pump_screen(reader))

    async def _pump_screen(self, reader):
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    break
                await self.send(bytes_data=data)
        except OSError as exc:
            log.info("VNC connection of %s ended: %s", self.domain, exc)
        await self.end(consoles.CLOSED_DOMAIN_STOPPED, "The VNC server closed the connection (the domain stopped?).")

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None and self.writer is not None and not self.ended:
            self.writer.write(bytes_data)

    async def release(self):
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
