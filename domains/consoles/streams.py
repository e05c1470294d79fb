"""The libvirt side of live consoles: serial console streams and the VNC server's way in."""

import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access.lookups import libvirt_domain
from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events
from domains.libvirt.adapter import VirtError, translated_errors

log = logging.getLogger(__name__)

# URIs whose driver runs on this machine, so a graphics fd can be passed to us.
# test:/// has no graphics at all; remote URIs cannot pass file descriptors.
LOCAL_URI_PREFIXES = ("qemu:///system", "qemu:///session", "qemu:///embed")

CLOSED_DOMAIN_STOPPED = "domain_stopped"
CLOSED_TAKEN_OVER = "taken_over"
CLOSED_ERROR = "error"
CLOSED_HANGUP = "hangup"

RECV_CHUNK = 64 * 1024
# Bytes for the guest that the console stream did not take yet. A guest reads
# its serial line at the speed of its UART (a few KiB/s under TCG): what is
# typed or pasted fits easily, a flood is refused instead of held in memory.
MAX_PENDING_INPUT = 256 * 1024


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def is_local_host(host):
    return bool(host.embedded) or host.uri.startswith(LOCAL_URI_PREFIXES)


def is_active(domain):
    """Whether the domain runs now (blocking libvirt call)."""
    dom = libvirt_domain(domain)
    with translated_errors():
        return bool(dom.isActive())


def hangup_reason(domain, wait=2.0, interval=0.1):
    """Why a console hung up (blocking, up to wait seconds): the domain stopped, or someone took it over.

    A destroy holds the domain for a second or more after the console hangs
    up, so the first check may block that long: look again after it.
    """
    deadline = time.monotonic() + wait
    checks = 0
    while True:
        try:
            if not is_active(domain):
                return CLOSED_DOMAIN_STOPPED
        except VirtError:
            return CLOSED_DOMAIN_STOPPED
        checks += 1
        if time.monotonic() >= deadline and checks > 1:
            return CLOSED_TAKEN_OVER
        time.sleep(interval)


class SerialStream:
    """A non-blocking libvirt console stream of one domain.

    on_data(bytes) and on_close(reason) are called on libvirt's event loop;
    write() may be called from any thread: libvirt streams are thread safe.
    """

    def __init__(self, domain, on_data, on_close):
        self.domain = domain
        self._on_data = on_data
        self._on_close = on_close
        self._stream = None
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._closed = False
        self.taken_over = False

    def open(self, force=False):
        """Open the domain's first console (blocking). VirtError if it is held and force is False."""
        dom = libvirt_domain(self.domain)
        conn = adapter.connection_for(self.domain.host).get()
        flags = libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else libvirt.VIR_DOMAIN_CONSOLE_SAFE
        with translated_errors():
            if not dom.isActive():
                raise VirtError(format_lazy(_("'{name}' is not running: start it to use its serial console."),
                                            name=self.domain.name))
            stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            try:
                dom.openConsole(None, stream, flags)
            except libvirt.libvirtError:
                stream.abort()
                raise
        self._stream = stream
        # Registering the callback touches libvirt's event loop state: do it there.
        done = threading.Event()

        def register():
            try:
                stream.eventAddCallback(
                    libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP,
                    self._event, None,
                )
            finally:
                done.set()

        loop = libvirt_events.ensure_event_loop()
        if _running_loop() is loop:
            register()
        else:
            loop.call_soon_threadsafe(register)
            done.wait(5)
        return self

    def _event(self, stream, events, _opaque):
        if events & libvirt.VIR_STREAM_EVENT_READABLE:
            while not self._closed:
                try:
                    data = stream.recv(RECV_CHUNK)
                except libvirt.libvirtError as exc:
                    self._finish(CLOSED_ERROR, exc.get_error_message())
                    return
                if data == -2:
                    break
                if not data:
                    self._finish(self._hangup_reason(), "")
                    return
                self._on_data(data)
        if events & libvirt.VIR_STREAM_EVENT_WRITABLE:
            self._flush()
        if events & (libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP):
            self._finish(self._hangup_reason(), "")

    def _hangup_reason(self):
        """Taken over by a session of ours, or a hangup: the domain stopping, or a client outside forcing it.

        Which of the two is not known yet when the stream hangs up (the domain
        still counts as active then), and this runs on the event loop where
        no blocking call belongs: the caller finds out with hangup_reason().
        """
        return CLOSED_TAKEN_OVER if self.taken_over else CLOSED_HANGUP

    def write(self, data):
        """Queue bytes for the guest, sent now if the stream takes them; False (nothing queued) when the
        bytes the guest has not read yet would pass MAX_PENDING_INPUT."""
        with self._lock:
            if self._closed or self._stream is None:
                return True
            if len(self._pending) + len(data) > MAX_PENDING_INPUT:
                return False
            self._pending += data
        self._flush()
        return True

    @property
    def pending(self):
        """How many bytes wait for the guest to read them."""
        return len(self._pending)

    def _flush(self):
        with self._lock:
            while self._pending and not self._closed:
                try:
                    sent = self._stream.send(bytes(self._pending[:RECV_CHUNK]))
                except libvirt.libvirtError as exc:
                    log.info("console write to %s failed: %s", self.domain, exc.get_error_message())
                    self._pending.clear()
                    return
                if sent == -2:
                    # Ask to be told when the stream takes more: the guest is slow to read.
                    self._update_events(libvirt.VIR_STREAM_EVENT_WRITABLE)
                    return
                del self._pending[:sent]
            self._update_events(0)

    def _update_events(self, extra):
        events = (libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR
                  | libvirt.VIR_STREAM_EVENT_HANGUP | extra)
        try:
            self._stream.eventUpdateCallback(events)
        except libvirt.libvirtError as exc:
            log.info("console stream of %s: %s", self.domain, exc.get_error_message())

    def _finish(self, reason, message):
        if self._closed:
            return
        self.close()
        self._on_close(reason, message)

    def close(self):
        """Release the console (safe to call twice, from any thread)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.eventRemoveCallback()
        except libvirt.libvirtError:
            pass  # already gone with the connection
        try:
            stream.abort()
        except libvirt.libvirtError:
            pass  # a stream the guest side closed cannot be aborted again


@dataclass
class VncTarget:
    """How to reach a domain's VNC server: a socket fd handed over by libvirt, or TCP."""

    fd: int | None = None
    address: str | None = None
    port: int | None = None


def _vnc_listen(xml):
    tree = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    graphics = tree.find("devices/graphics[@type='vnc']")
    if graphics is None:
        return None, None
    listen = graphics.get("listen") or ""
    element = graphics.find("listen[@type='address']")
    if element is not None and element.get("address"):
        listen = element.get("address")
    port = int(graphics.get("port") or -1)
    return listen, port


def _loopback_pair():
    """(ours, theirs): the two ends of one TCP connection on 127.0.0.1, both blocking.

    Our own listener lives only until our connect was accepted, and an end is ours only if its peer is the
    socket we connected: another local process that connected to the port meanwhile gets closed, not the screen.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(5)
        ours = socket.create_connection(listener.getsockname(), timeout=5)
        try:
            while True:
                theirs, peer = listener.accept()
                if peer == ours.getsockname():
                    break
                theirs.close()  # not ours: someone else's connect raced ours to the port
        except OSError:
            ours.close()
            raise
    ours.settimeout(None)
    theirs.settimeout(None)
    return ours, theirs


def _vnc_socket(dom):
    """Our end of a connection whose other end libvirt hands to the domain's VNC server (blocking).

    Not openGraphicsFD, whose Unix socket pair queues only what the sender's
    buffer holds: QEMU stopped and waited for us every 208 KiB of a
    full-screen update. A larger SO_SNDBUF on a Unix pair is capped at
    net.core.wmem_max, which a stock kernel keeps at 208 KiB. A loopback TCP
    connection's buffers grow by the kernel's autotuning (tcp_wmem, tcp_rmem:
    4-6 MiB by default) whatever wmem_max says, as websockify's TCP socket to
    QEMU's port does: QEMU writes an 8 MB update in a few large pieces.
    """
    ours, theirs = _loopback_pair()
    try:
        # Keys and pointer moves are a few bytes each: sent at once, not held for an acknowledgement.
        ours.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with translated_errors():
            # SKIPAUTH: the console already authorised the user; no VNC password travels.
            dom.openGraphics(0, theirs.fileno(), libvirt.VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH)
    except (VirtError, OSError):
        ours.close()
        raise
    finally:
        theirs.close()  # QEMU holds its own copy now; ours must go for its hangup to reach us
    return ours.detach()


def vnc_target(domain):
    """Where the console proxy connects for domain's VNC screen (blocking). VirtError if there is none."""
    dom = libvirt_domain(domain)
    with translated_errors():
        if not dom.isActive():
            raise VirtError(format_lazy(_("'{name}' is not running: start it to see its screen."), name=domain.name))
        xml = dom.XMLDesc(0)
    listen, port = _vnc_listen(xml)
    if listen is None:
        raise VirtError(format_lazy(_("'{name}' has no VNC graphics device: add <graphics type='vnc'/> to use the "
                                      "screen."), name=domain.name))
    if is_local_host(domain.host):
        return VncTarget(fd=_vnc_socket(dom))
    if port <= 0:
        raise VirtError(format_lazy(_("'{name}' has a VNC device without a TCP port (a unix socket?): give it "
                                      "listen='0.0.0.0' or an address this console can reach."), name=domain.name))
    host_name = urlsplit(domain.host.uri).hostname or "127.0.0.1"
    if listen in ("127.0.0.1", "::1", "localhost") and host_name not in ("127.0.0.1", "::1", "localhost"):
        raise VirtError(format_lazy(_("'{name}' listens for VNC on {host}'s loopback only: give its graphics "
                                      "listen='0.0.0.0' (or an address this console can reach) to view it from here."),
                                    name=domain.name, host=host_name))
    if listen in ("", "0.0.0.0", "::"):
        # A wildcard listen is reachable at the host's own name.
        listen = host_name
    return VncTarget(address=listen, port=port)
