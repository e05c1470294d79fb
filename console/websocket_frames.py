"""A websocket's binary frames written straight into its plain TCP connection: the graphical console's screen.

Through Channels and Daphne each frame of the VNC stream is a message that crosses Channels, Daphne and
autobahn (about 0.1 ms each), and autobahn joins the frame's header and payload into a new bytes before
Twisted sends it: a copy of every megabyte of the screen, on top of the allocation of every piece read from
the VNC server. That left the console behind websockify on CPU per MB (benchmarks/vnc_proxy.py).

A FrameWriter (scope["extensions"]["virtconsole.frame_writer"], offered to websockets on plain TCP or Unix
sockets) writes a frame from the reader's own buffer, its header put in front of the payload in place, with
one send into the client's socket. What the socket does not take goes to Twisted's queue, behind which every
later frame waits, so the order of frames stays that of the calls whichever way they leave (autobahn's
pings and Channels' text frames go through that queue). Under TLS the bytes on the socket are not the
frames, so no writer is offered and the socket sends through Channels as any other.
"""

from autobahn.websocket.protocol import WebSocketProtocol
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocket
from twisted.internet import tcp
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

# Room kept in front of a frame's payload for its header: 2 bytes, then 8 of length for a payload over 64 KiB
# (a server's frames are not masked).
HEADER_ROOM = 10
_BINARY_FINAL = 0x82  # FIN, opcode 2


def header(length):
    """The header of one final, unmasked binary frame of length bytes."""
    if length <= 125:
        return bytes((_BINARY_FINAL, length))
    if length <= 0xFFFF:
        return bytes((_BINARY_FINAL, 126)) + length.to_bytes(2, "big")
    return bytes((_BINARY_FINAL, 127)) + length.to_bytes(8, "big")


@implementer(IPushProducer)
class _Pacing:
    """Stands as the transport's producer: Twisted pauses it while its queue is over its buffer size and resumes
    it once the queue is sent. The producer it replaced (Daphne's HTTP channel, still registered after the
    upgrade to a websocket) is told the same, as it would have been."""

    def __init__(self, replaced, pause, resume):
        self.replaced = replaced
        self.pause = pause
        self.resume = resume

    def pauseProducing(self):  # noqa: N802  (Twisted's interface names)
        if self.replaced is not None:
            self.replaced.pauseProducing()
        self.pause()

    def resumeProducing(self):  # noqa: N802
        if self.replaced is not None:
            self.replaced.resumeProducing()
        self.resume()

    def stopProducing(self):  # noqa: N802
        if self.replaced is not None:
            self.replaced.stopProducing()


def _ignore():
    pass


class FrameWriter:
    """Sends one websocket's binary frames into its socket, on the server's loop thread:

        writer.pace(pause, resume)  # called while the client is behind (Twisted holds more than it sends at once)
        buffer = bytearray(HEADER_ROOM + size)
        count = sock.recv_into(memoryview(buffer)[HEADER_ROOM:])
        writer.send(buffer, count)  # buffer may be filled again once this returns
        writer.stop_pacing()  # before the socket's sender goes away
    """

    def __init__(self, protocol):
        self._protocol = protocol
        self._pacing = None

    def pace(self, pause, resume):
        transport = self._protocol.transport
        if transport is None or self._pacing is not None:
            return
        replaced = transport.producer
        if replaced is not None:
            transport.unregisterProducer()
        self._pacing = _Pacing(replaced, pause, resume)
        transport.registerProducer(self._pacing, True)

    def stop_pacing(self):
        if self._pacing is not None:
            self._pacing.pause = self._pacing.resume = _ignore

    def send(self, buffer, count):
        """Send buffer[HEADER_ROOM:HEADER_ROOM + count] as one binary frame, unless the websocket is closing."""
        protocol = self._protocol
        transport = protocol.transport
        if protocol.state != WebSocketProtocol.STATE_OPEN or transport is None or transport.disconnecting \
                or not transport.connected:
            return  # as autobahn does with a message sent once the close began
        if protocol._perMessageCompress is not None or protocol.maskServerFrames:
            protocol.sendMessage(bytes(buffer[HEADER_ROOM:HEADER_ROOM + count]), True)  # autobahn's to encode
            return
        head = header(count)
        start = HEADER_ROOM - len(head)
        buffer[start:HEADER_ROOM] = head
        frame = memoryview(buffer)[start:HEADER_ROOM + count]
        if protocol.send_queue or transport._tempDataBuffer or len(transport.dataBuffer) > transport.offset:
            transport.write(bytes(frame))  # behind what Twisted holds: after it, in order
            return
        try:
            sent = transport.socket.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            return  # the connection broke: Twisted's reading of it sees that and ends the websocket
        if sent < len(frame):
            transport.write(bytes(frame[sent:]))


def _offered(protocol):
    transport = protocol.transport
    # A plain TCP (or Unix) socket: the bytes written on it are what the client reads.
    return isinstance(transport, tcp.Connection) and not transport.TLS


def install():
    """Offer each websocket on a plain socket its FrameWriter. Called by console/asgi.py."""
    if getattr(Server.create_application, "offers_frame_writer", False):
        return
    create_application = Server.create_application

    def create_application_offering(self, protocol, scope):
        if isinstance(protocol, DaphneWebSocket) and _offered(protocol):
            scope.setdefault("extensions", {})["virtconsole.frame_writer"] = FrameWriter(protocol)
        return create_application(self, protocol, scope)

    create_application_offering.__dict__.update(create_application.__dict__)  # request_bodies' mark stays
    create_application_offering.offers_frame_writer = True
    Server.create_application = create_application_offering
