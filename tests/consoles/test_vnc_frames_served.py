"""The graphical console through Daphne on a plain socket: the screen's frames written from the reader's own buffer
(console/websocket_frames.py), whole and in order, and the VNC server held back while the client reads nothing."""

import base64
import os
import re
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster.client import signed_in

pytestmark = [pytest.mark.embedded, pytest.mark.timeout(180)]

KiB = 1024
RAW = 0
# Pseudo-encodings: rectangles without pixels. The screen's new size (the guest may switch modes while it boots),
# and QEMU's extended key events, which the server acknowledges as soon as a SetEncodings asks for them, behind
# whatever it sent before: a marker in the stream.
DESKTOP_SIZE = -223
EXT_KEY_EVENT = -258


class ScreenSocket:
    """The VNC console's websocket on a plain socket with a small receive buffer, read only when the test asks."""

    def __init__(self, base_url, http, path):
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)  # a slow link's small window
        self.sock.settimeout(60)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Sec-WebSocket-Protocol: binary\r\nOrigin: {base_url}\r\n"
                           f"Cookie: sessionid={http.cookies['sessionid']}\r\n\r\n").encode())
        self.received = bytearray()
        while b"\r\n\r\n" not in self.received:
            self.received += self.sock.recv(64 * KiB)
        head, _, rest = bytes(self.received).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.received = bytearray(rest)
        self.rfb = bytearray()  # the payloads of the frames read, not taken yet
        self.frame_lengths = []

    def _bytes(self, count):
        while len(self.received) < count:
            data = self.sock.recv(1 << 20)
            assert data, "the console closed the connection"
            self.received += data
        data = bytes(self.received[:count])
        del self.received[:count]
        return data

    def _frame(self):
        first, second = self._bytes(2)
        assert (first, second & 0x80) == (0x82, 0), f"not a final, unmasked binary frame: {first:#x} {second:#x}"
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._bytes(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._bytes(8))[0]
        self.frame_lengths.append(length)
        self.rfb += self._bytes(length)

    def take(self, count):
        while len(self.rfb) < count:
            self._frame()
        data = bytes(self.rfb[:count])
        del self.rfb[:count]
        return data

    def send(self, data):
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))
        self.sock.sendall(struct.pack(">BB", 0x82, 0x80 | len(data)) + mask + masked)  # RFB messages are short

    def close(self):
        self.sock.close()


def encodings(*names):
    return struct.pack(">BxH", 2, len(names)) + b"".join(struct.pack(">i", name) for name in names)


def rfb_handshake(screen):
    """RFB 3.8 without a password, raw encoding and size changes; the screen's size and bytes per pixel set on
    screen."""
    assert screen.take(12) == b"RFB 003.008\n"
    screen.send(b"RFB 003.008\n")
    assert 1 in screen.take(screen.take(1)[0])
    screen.send(b"\x01")
    assert screen.take(4) == b"\x00\x00\x00\x00"
    screen.send(b"\x01")  # ClientInit, shared
    screen.size = struct.unpack(">HH", screen.take(4))
    screen.bytes_per_pixel = screen.take(16)[0] // 8
    screen.take(struct.unpack(">I", screen.take(4))[0])
    screen.send(encodings(RAW, DESKTOP_SIZE))


def update_request(x, y, width, height):
    return struct.pack(">BBHHHH", 3, 0, x, y, width, height)  # not incremental: the whole area is sent


def whole_screen(screen):
    return update_request(0, 0, *screen.size)


def read_update(screen):
    """The encodings of the next framebuffer update's rectangles, and the pixels its raw ones cover, each read
    whole and lying within the screen."""
    kind = screen.take(1)[0]
    while kind == 2:  # a bell
        kind = screen.take(1)[0]
    assert kind == 0, f"server message {kind}, not a framebuffer update"
    count = struct.unpack(">xH", screen.take(3))[0]
    kinds, pixels = [], 0
    for _ in range(count):
        x, y, width, height, encoding = struct.unpack(">HHHHi", screen.take(12))
        kinds.append(encoding)
        if encoding == DESKTOP_SIZE:
            screen.size = (width, height)
        elif encoding == RAW:
            assert x + width <= screen.size[0] and y + height <= screen.size[1], (x, y, width, height, screen.size)
            screen.take(width * height * screen.bytes_per_pixel)
            pixels += width * height
        else:
            assert encoding == EXT_KEY_EVENT, encoding
    return kinds, pixels


def read_whole_screen(screen):
    """Read updates up to one with pixels (a size change may come first); whether it covered the screen."""
    pixels = 0
    while not pixels:
        _, pixels = read_update(screen)
    return pixels == screen.size[0] * screen.size[1]


def server_pid(base_url):
    port = base_url.rsplit(":", 1)[1]
    listing = subprocess.run(["ss", "-tlnpH", f"( sport = :{port} )"], capture_output=True, text=True,
                             check=True).stdout
    return int(re.search(r"pid=(\d+)", listing).group(1))


def outward_sockets(pid, server_port):
    """{local port: bytes received and not read yet} of the server's TCP connections it opened itself (the VNC
    server's, not its clients')."""
    listing = subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True, text=True,
                             check=True).stdout
    found = {}
    for line in listing.splitlines():
        if f"pid={pid}," not in line:
            continue
        receive_queue, _, local = line.split()[:3]
        local_port = int(local.rsplit(":", 1)[1])
        if local_port != server_port:
            found[local_port] = int(receive_queue)
    return found


def resident_bytes(pid):
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) * KiB


@pytest.fixture(scope="module")
def screen_url(served_console):
    """(base_url, signed-in session, a function giving the path of a VNC ticket of the running demo guest).

    The served console's demo guest is left as it was found: the dashboard's browser tests start it from shut off.
    """
    base_url, username, password = served_console
    http = signed_in(base_url, username, password)
    headers = {"X-CSRFToken": http.cookies["csrftoken"], "Origin": base_url, "Referer": f"{base_url}/"}
    demo = next(d for d in http.get(f"{base_url}/api/v1/domains").json()["results"] if d["name"] == "demo")
    actions = f"{base_url}/api/v1/domains/{demo['uuid']}/actions"
    was_running = demo["state"] == "running"
    if not was_running:
        started = http.post(actions, json={"action": "start"}, headers=headers)
        assert started.status_code == 200, started.text

    def ticket():
        answer = http.post(f"{base_url}/api/v1/domains/{demo['uuid']}/console-tickets", json={"kind": "vnc"},
                           headers=headers)
        assert answer.status_code == 201, answer.text
        return answer.json()["url"]

    yield base_url, http, ticket
    if not was_running:
        stopped = http.post(actions, json={"action": "destroy"}, headers=headers)
        assert stopped.status_code == 200, stopped.text


def test_the_screen_arrives_whole_in_frames_of_every_length(screen_url):
    base_url, http, ticket = screen_url
    screen = ScreenSocket(base_url, http, ticket())
    try:
        rfb_handshake(screen)
        for _ in range(3):
            screen.send(whole_screen(screen))
            assert read_whole_screen(screen)
        # 16 KiB of pixels (and whatever else of the screen changed meanwhile): a frame with a 2-byte length.
        screen.send(update_request(0, 0, 64, 64))
        assert read_update(screen)[1] >= 64 * 64
    finally:
        screen.close()
    lengths = screen.frame_lengths
    assert min(lengths) <= 125 and any(125 < n <= 0xFFFF for n in lengths) and max(lengths) > 0xFFFF, lengths


def test_while_the_client_reads_nothing_the_vnc_server_waits_and_nothing_piles_up_in_the_server(screen_url):
    base_url, http, ticket = screen_url
    pid = server_pid(base_url)
    server_port = int(base_url.rsplit(":", 1)[1])
    before = set(outward_sockets(pid, server_port))
    screen = ScreenSocket(base_url, http, ticket())
    try:
        rfb_handshake(screen)
        vnc_port, = set(outward_sockets(pid, server_port)) - before
        resident = resident_bytes(pid)
        # Full updates asked for and none read: the server sends what the client's window takes, then stops
        # reading the VNC server, whose bytes wait in the kernel instead of the server's memory.
        # Each poll asks again (QEMU answers the requests of one refresh with one update), until the server's
        # end of the VNC connection holds bytes it does not read, three polls in a row. 60 s of requests are a
        # few tens of KiB, which the kernel takes even once the server stops reading them.
        held_back = 0
        deadline = time.monotonic() + 60
        while held_back < 3:
            screen.send(whole_screen(screen))
            waiting = outward_sockets(pid, server_port).get(vnc_port, 0)
            held_back = held_back + 1 if waiting >= 32 * KiB else 0
            grown = resident_bytes(pid) - resident
            assert grown < 32 << 20, f"the server holds {grown >> 20} MiB more: it kept reading the VNC server"
            assert time.monotonic() < deadline, f"the server kept reading the VNC server ({waiting} bytes waiting)"
        assert resident_bytes(pid) - resident < 16 << 20
        # Once the client reads again, every update asked for arrives whole and in order, then the marker.
        screen.send(encodings(RAW, DESKTOP_SIZE, EXT_KEY_EVENT))
        pixels = 0
        while EXT_KEY_EVENT not in (update := read_update(screen))[0]:
            pixels += update[1]
        assert pixels, "the updates under way when reading stopped did not come"
        screen.send(whole_screen(screen))
        assert read_whole_screen(screen)
    finally:
        screen.close()
