"""The graphical console socket: raw RFB between noVNC and the domain's VNC server."""

import asyncio
import socket

from console import websocket_frames
from console.consoles.sockets import ConsoleSocket
from console.sockets import sessions
from console.sockets.base import CLOSE_FAILED, MOVED_WORDS
from domains.api import ws_protocol
from domains.consoles import streams
from domains.libvirt.adapter import VirtError

# Each read from the VNC server takes up to this much and leaves as one
# websocket frame: with the VNC server's large send buffer
# (domains.consoles.streams) an 8 MB raw update goes out in a few 1 MiB
# frames. On a plain socket the read lands in one buffer kept for the
# connection and leaves from it (console/websocket_frames.py); through Channels
# (under TLS) each read is the bytes recv made, sent on as they are, and
# reading stops while this much waits for the pump (Daphne refuses to send a
# message over 1 MiB, its --websocket-max-message-size).
READ_BUFFER = 1 << 20


async def _connect_tcp(loop, address, port):
    """A non-blocking TCP socket to the VNC server at address:port."""
    infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    error = OSError(f"no address for {address}")
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


class VncConsoleSocket(ConsoleSocket):
    socket_kind = "vnc"
    # noVNC asks for "binary"; our own clients may ask for virtconsole.v1.
    accepted_subprotocols = (ws_protocol.NOVNC_SUBPROTOCOL, ws_protocol.SUBPROTOCOL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.vnc = None  # the non-blocking socket to the VNC server
        self.frames = None  # on a plain socket: the FrameWriter that sends reads straight from _buffer
        self._buffer = None
        self._payload = None  # the part of _buffer a read fills, behind the room for the frame's header
        self._chunks = []  # through Channels: read from the VNC server, not sent on yet
        self._queued = 0
        self._reading = False
        self._eof = False
        self._wake = None
        self._outgoing = bytearray()  # browser -> VNC bytes the socket did not take yet
        self._pump = None

    async def connect(self):
        domain = await self.open_console()
        if domain is None:
            return
        loop = asyncio.get_running_loop()
        try:
            target = await asyncio.to_thread(streams.vnc_target, domain)
            if target.fd is not None:
                sock = socket.socket(fileno=target.fd)
                sock.setblocking(False)
            else:
                sock = await _connect_tcp(loop, target.address, target.port)
        except (VirtError, OSError) as exc:
            await self.refuse(CLOSE_FAILED, "console_failed", f"Could not reach the VNC server of '{domain.name}': {exc}")
            return
        self.vnc = sock
        self.frames = self.scope.get("extensions", {}).get("virtconsole.frame_writer")
        if self.frames is not None:
            self._buffer = bytearray(websocket_frames.HEADER_ROOM + READ_BUFFER)
            self._payload = memoryview(self._buffer)[websocket_frames.HEADER_ROOM:]
            # While the client is behind, the VNC server waits (TCP holds it back) rather than this process.
            self.frames.pace(self._stop_reading, self._start_reading)
        if self.speaks_json:
            await self.send_json({"type": "console.opened", "domain": str(domain.uuid), "kind": "vnc",
                                  "took_over": False})
        self._pump = asyncio.create_task(self._pump_screen())
        self._start_reading()

    def _start_reading(self):
        if not self._reading and self.vnc is not None and not self._eof:
            self._reading = True
            self.loop.add_reader(self.vnc.fileno(), self._readable)

    def _stop_reading(self):
        if self._reading:
            self._reading = False
            self.loop.remove_reader(self.vnc.fileno())

    def _readable(self):
        """Take what the VNC server has for us now: one recv, sent on as one frame."""
        if self.vnc is None:
            return  # released while this callback was already queued
        try:
            if self.frames is not None:
                count = self.vnc.recv_into(self._payload)
                if count:
                    self.frames.send(self._buffer, count)
                    return
                data = b""
            else:
                data = self.vnc.recv(READ_BUFFER)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._chunks.append(data)
            self._queued += len(data)
            if self._queued >= READ_BUFFER:
                self._stop_reading()
        else:
            self._eof = True
            self._stop_reading()
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def _pump_screen(self):
        """Forward what the VNC server sent, in order, each read as one frame (through Channels); end at its end."""
        loop = asyncio.get_running_loop()
        chunks = self._chunks
        while True:
            if not chunks and not self._eof:
                self._wake = loop.create_future()
                await self._wake
                self._wake = None
            if chunks:
                pending = chunks[:]
                chunks.clear()
                self._queued = 0
                self._start_reading()
                for chunk in pending:
                    await self.send(bytes_data=chunk)
            elif self._eof:
                break
        if await self.moved_away({}):
            await self.end(sessions.DOMAIN_MOVED, MOVED_WORDS)
            return
        await self.end(streams.CLOSED_DOMAIN_STOPPED, "The VNC server closed the connection (the domain stopped?).")

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is None or self.vnc is None or self.ended:
            return
        if self._outgoing:
            self._outgoing += bytes_data
            return
        try:
            sent = self.vnc.send(bytes_data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            return  # the reader sees the end and closes the socket
        if sent < len(bytes_data):
            self._outgoing += bytes_data[sent:]
            self.loop.add_writer(self.vnc.fileno(), self._writable)

    def _writable(self):
        try:
            sent = self.vnc.send(self._outgoing)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            sent = len(self._outgoing)
        del self._outgoing[:sent]
        if not self._outgoing:
            self.loop.remove_writer(self.vnc.fileno())

    async def release(self):
        if self.frames is not None:
            self.frames.stop_pacing()
        sock, self.vnc = self.vnc, None
        if sock is not None:
            if self._reading:
                self._reading = False
                self.loop.remove_reader(sock.fileno())
            self.loop.remove_writer(sock.fileno())
            sock.close()
        if self._wake is not None and not self._wake.done():
            self._wake.cancel()
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
