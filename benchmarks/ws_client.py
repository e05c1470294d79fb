"""A minimal asyncio websocket client for the benchmarks: few layers, so the proxies are what is measured."""

import asyncio
import base64
import os
import struct
from urllib.parse import urlsplit

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 1, 2, 8, 9


class WebSocketClosed(Exception):
    pass


class WebSocket:
    def __init__(self, reader, writer, subprotocol):
        self.reader = reader
        self.writer = writer
        self.subprotocol = subprotocol

    async def recv(self):
        """(opcode, payload) of the next frame; pings are answered and skipped."""
        while True:
            head = await self.reader.readexactly(2)
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", await self.reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", await self.reader.readexactly(8))[0]
            mask = await self.reader.readexactly(4) if head[1] & 0x80 else None
            payload = await self.reader.readexactly(length)
            if mask:
                payload = _xor(payload, mask)
            if opcode == OP_PING:
                self._send(0xA, payload)
                continue
            if opcode == OP_CLOSE:
                # Echoed at once, as RFC 6455 asks and browsers do: a server waiting for it in vain drops the
                # connection after its close timeout (Daphne's: 1 s) with a reset.
                if not self.writer.is_closing():
                    self._send(OP_CLOSE, payload[:2])
                raise WebSocketClosed(struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None)
            return opcode, payload

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack(">BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, length)
        self.writer.write(head + mask + _xor(payload, mask))

    async def send_binary(self, data):
        self._send(OP_BINARY, data)
        await self.writer.drain()

    async def send_text(self, text):
        self._send(OP_TEXT, text.encode())
        await self.writer.drain()

    def close(self):
        self.writer.close()


def _xor(data, mask):
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(len(data), "little")


async def connect(url, subprotocols=(), headers=None):
    """Open url (ws://host:port/path?query); headers: extra request headers (Cookie, Origin)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 24)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Upgrade: websocket",
        "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
    ]
    if subprotocols:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = await reader.readuntil(b"\r\n\r\n")
    status = response.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        writer.close()
        raise WebSocketClosed(f"handshake refused: {status.decode(errors='replace')}")
    chosen = None
    for line in response.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-protocol:"):
            chosen = line.split(b":", 1)[1].strip().decode()
    return WebSocket(reader, writer, chosen)
