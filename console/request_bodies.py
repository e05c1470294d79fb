"""How Daphne takes request bodies: a volume upload's streamed to the app as it arrives, any other bounded.

Twisted reads a whole request body (spooled to a temporary file) before Daphne calls the application, and
Daphne then queues all of it to the application at once: whatever the application answers, a 1 GiB body
costs the process 1 GiB, and an upload's bytes wait for the last of them before the first reaches libvirt.

- A PUT of a volume's content (domains/storage/urls.py CONTENT_ROUTE) with a Content-Length starts the
  application as soon as its headers are in, and each piece of its body goes to the application as Twisted
  reads it. Reading the socket pauses while more than QUEUED_LIMIT bytes wait for the application to take
  them, so the client is held back by TCP and the process holds a few MiB whatever the body's size.
  On a plain TCP connection the application may also take the rest of the body off the socket itself
  (scope["extensions"]["virtconsole.body_socket"], a BodySocket): the upload's stream pump then reads it
  straight from the socket, without the copies through Twisted, Daphne and a pipe.
- A GET of a volume's content on a plain TCP connection is offered the socket the other way round
  (scope["extensions"]["virtconsole.response_socket"], a ResponseSocket): once the response's head is
  written, the download's stream pump writes the body into the socket itself.
- Any other body is at most BODY_LIMIT bytes (forms and definitions are far smaller): one announced larger,
  or a chunked one that grows larger, is answered 413 in the API's error shape as soon as that is known and
  the connection closed, its bytes never spooled, queued or read. Smaller bodies go to the application in
  pieces of MESSAGE_LIMIT rather than Daphne's 8 KiB.
"""

import io
import json
from urllib.parse import unquote

from daphne import http_protocol
from daphne.server import Server
from django.urls.resolvers import RoutePattern
from twisted.internet import tcp

from domains.storage.transfer.upload_app import MESSAGE_LIMIT
from domains.storage.urls import CONTENT_ROUTE

BODY_LIMIT = 8 << 20
# Body bytes handed to the application and not yet taken by it, past which the socket is not read.
QUEUED_LIMIT = 2 << 20
# Twisted reads at most this much per turn of the loop from a streamed upload's socket (its default is
# 64 KiB: sixteen times the turns, each a message the application takes one by one).
STREAMED_READ_SIZE = 1 << 20

_streamed_route = RoutePattern(f"api/v1/{CONTENT_ROUTE}", is_endpoint=True)


def _is_content_route(raw_path):
    path = raw_path.split(b"?", 1)[0]
    try:
        path = unquote(path.decode("ascii"))
    except UnicodeDecodeError:
        return False  # Daphne answers 400 to such a path
    return _streamed_route.match(path.removeprefix("/")) is not None


def streams_body(method, raw_path, length, headers):
    """Whether a request's body goes to the application as it arrives: a volume content PUT of known length."""
    if method != b"PUT" or not length or headers.hasHeader(b"upgrade"):
        return False
    return _is_content_route(raw_path)


def refusal(size):
    """The raw HTTP answer to a body of size bytes (None: a chunked body that passed the limit)."""
    said = f"of {size} bytes" if size is not None else "sent in chunks"
    body = json.dumps({
        "status": 413, "code": "part_too_large",  # the code of old, when the body limit was an upload part's
        "message": f"A request body {said} is more than this console takes ({BODY_LIMIT} bytes); only a volume "
                   f"upload (PUT .../volumes/{{volume}}/content with a Content-Length) may be larger.",
        "fields": {"part_limit": BODY_LIMIT, **({"size": size} if size is not None else {})},
    }).encode()
    head = ("HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class _BodyPassedOn:
    """Stands where Twisted keeps a body: Daphne's process() seeks it, then starts the application and hands it
    nothing, since it says it is closed; the body follows as it arrives."""

    closed = True

    def seek(self, *args):
        return 0

    def tell(self):
        return 0

    def read(self, *args):
        return b""

    def close(self):
        pass


class ConsoleWebRequest(http_protocol.WebRequest):
    """Daphne's request, streaming a volume upload's body to the application and refusing any other body over
    BODY_LIMIT while its headers or first bytes arrive."""

    body_refused = False
    body_seen = 0
    streamed_length = None  # the body's length when it is streamed, else None
    body_queued = 0  # streamed bytes handed to the application, not yet taken by it
    reading_paused = False
    answered_early = False  # the application answered before the whole streamed body arrived
    handed_over = False  # the rest of the body is being read off the socket by someone else (BodySocket)
    body_lost = False  # a hand-over failed: how much of the body is left unread is not known
    response_handed_over = False  # the response's body is being written into the socket by someone else

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Daphne hands a body to the app in request_buffer_size pieces, 8 KiB unless set (its command line
        # cannot). The whole body is in hand by then, so larger pieces hold no more memory and cost far fewer
        # loop turns.
        self.server.request_buffer_size = max(self.server.request_buffer_size, MESSAGE_LIMIT)

    def gotLength(self, length):
        channel = self.channel
        if streams_body(channel._command, channel._path, length, self.requestHeaders):
            self._start_streaming(length)
            return
        if length is not None and length > BODY_LIMIT:
            self._refuse(length)
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_refused:
            return  # what was read with the headers, before the connection closed
        self.body_seen += len(data)
        if self.streamed_length is not None:
            self._pass_on(data)
            return
        if self.body_seen > BODY_LIMIT:
            self._refuse(None)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.streamed_length is None:
            return super().requestReceived(command, path, version)
        # The last of a streamed body arrived: the application has had it all (_pass_on), and an answer
        # given before it waited for the rest to be read past (finish).
        self._stream_ended()
        if self.answered_early and not self.finished and self.channel is not None:
            super().finish()

    def process(self):
        if not self.body_refused:
            return super().process()

    def finish(self):
        if self.body_lost and self.channel is not None:
            # Where the body stands in the socket is not known: the connection ends with this answer.
            self.channel.persistent = False
            super().finish()
            return
        if self.streamed_length is not None and self.body_seen < self.streamed_length:
            # Answered before the body ended (a refusal): the rest is read and dropped before the request
            # ends, so the connection's next bytes are the next request's, and the client reads the answer
            # instead of a reset.
            self.answered_early = True
            self._resume_reading()
            return
        super().finish()

    # --- streaming ---

    def _start_streaming(self, length):
        """Start the application now, as Daphne does once a body is in (requestReceived and process)."""
        channel = self.channel
        self.streamed_length = length
        self.method, self.uri, self.clientproto = channel._command, channel._path, channel._version
        self.path = self.uri.split(b"?", 1)[0]
        self.args = {}
        self.client, self.host = channel.getPeer(), channel.getHost()
        self.content = _BodyPassedOn()
        if hasattr(channel.transport, "bufferSize"):
            channel.transport.bufferSize = STREAMED_READ_SIZE
        self.process()  # synchronous up to the application's start (create_application returns its queue)
        if self.application_queue is None:
            self.answered_early = True  # Daphne refused the request (400) and answered: drop the body
            return
        self._take = take = self.application_queue.get_nowait  # what asyncio.Queue.get() returns through

        def taken():
            message = take()
            self._taken(len(message.get("body", b"")))
            return message

        self.application_queue.get_nowait = taken

    def _pass_on(self, data):
        if self.answered_early or self.body_lost or self.application_queue is None or not data:
            return  # nobody reads it any more (or nothing to pass on)
        last = self.body_seen >= self.streamed_length
        self.application_queue.put_nowait({"type": "http.request", "body": data, "more_body": not last})
        self.body_queued += len(data)
        if last:
            self._stream_ended()
        elif self.body_queued > QUEUED_LIMIT and not self.reading_paused and self.channel is not None:
            self.reading_paused = True
            self.channel._networkProducer.pauseProducing()

    def _taken(self, size):
        self.body_queued -= size
        if self.body_queued <= QUEUED_LIMIT // 2:
            self._resume_reading()

    def _resume_reading(self):
        if self.reading_paused and self.channel is not None and not self.handed_over:
            self.reading_paused = False
            self.channel._networkProducer.resumeProducing()

    def _stream_ended(self):
        """The body is in: Twisted's own pacing of the connection applies again, at its usual read size."""
        self._resume_reading()
        if self.channel is not None and hasattr(self.channel.transport, "bufferSize"):
            self.channel.transport.bufferSize = type(self.channel.transport).bufferSize

    # --- handing the socket over ---

    def can_hand_over(self):
        return self.streamed_length is not None and self._plain_socket()

    def _plain_socket(self):
        transport = getattr(self.channel, "transport", None)
        # A plain TCP (or Unix) socket only: under TLS the bytes on the socket are not the body.
        return isinstance(transport, tcp.Connection) and not transport.TLS

    def can_hand_over_response(self):
        return self.method == b"GET" and _is_content_route(self.uri) and self._plain_socket()

    def hand_over_response(self):
        """Stop writing and reading the socket: (the response's bytes written but not sent yet, its head; the
        socket's fd), or None when the connection is gone or the head was not written."""
        channel = self.channel
        if channel is None or self.finished or not self.startedWriting or self.response_handed_over:
            return None
        transport = channel.transport
        # Twisted sends what it was given when the socket is next writable: whatever of it is still here goes
        # first, from the same hands as the body.
        head = bytes(memoryview(transport.dataBuffer)[transport.offset:]) + b"".join(transport._tempDataBuffer)
        transport.dataBuffer, transport.offset, transport._tempDataBuffer, transport._tempDataLen = b"", 0, [], 0
        transport.stopWriting()
        # Not reading either: a client that closes once it has every byte must not end the request before the
        # download is counted done.
        channel._networkProducer.pauseProducing()
        self.response_handed_over = True
        return head, transport.fileno()

    def response_handed_back(self, written, whole):
        """The socket is ours again after written bytes of the body went into it; whole: all of the body (else
        the connection is closed: the client cannot tell a short body from a long one otherwise)."""
        self.response_handed_over = False
        if self.channel is None:
            return
        self.sentLength += written
        if whole:
            self.channel._networkProducer.resumeProducing()
        else:
            self.channel.transport.loseConnection()

    def hand_over(self):
        """Stop reading the socket: (the body's pieces read but not taken yet, the socket's fd, the bytes of the
        body still in it), or None when there is nothing to hand over (connection gone, body all read)."""
        if self.channel is None or self.answered_early or self.handed_over or self.body_seen >= self.streamed_length:
            return None
        self.handed_over = self.reading_paused = True
        self.channel._networkProducer.pauseProducing()
        pieces = []
        while not self.application_queue.empty():
            message = self._take()  # no disconnect is queued while the connection stands
            if message.get("body"):
                pieces.append(message["body"])
        self.body_queued = 0
        return pieces, self.channel.transport.fileno(), self.streamed_length - self.body_seen

    def handed_back(self, taken):
        """The socket is ours again after taken more bytes of the body were read off it (None: not known)."""
        self.handed_over = False
        if self.channel is None:
            return  # the connection ended meanwhile
        if taken is None:
            self.body_lost = True  # reading stays paused: the answer ends the connection (finish)
            return
        self.body_seen += taken
        decoder = self.channel._transferDecoder
        if self.body_seen < self.streamed_length or decoder is None:
            # The client's connection ended (or went silent) mid-body: nothing more of it is taken.
            self.channel.transport.loseConnection()
            return
        # Twisted's own count of the body ends with what was read elsewhere: the request ends as if Twisted
        # had read it (requestReceived, then the next request on this connection).
        decoder.contentLength = 0
        decoder.dataReceived(b"")

    # --- refusing ---

    def _refuse(self, size):
        self.body_refused = True
        # No "100 Continue" after the refusal (Twisted sends one right after gotLength when asked).
        self.requestHeaders.removeHeader(b"expect")
        self.content = io.BytesIO()  # what was spooled goes; Twisted still reads this at the request's end
        self.channel.transport.write(refusal(size))
        self.channel.loseConnection()


class BodySocket:
    """scope["extensions"]["virtconsole.body_socket"] of a streamed upload on plain TCP: the application may
    take the rest of the body off the socket itself, on the server's loop thread:

        pieces, fd, count = body_socket.hand_over()  # None: nothing to hand over; else reading pauses
        ... read count bytes of the body from fd (a non-blocking socket) elsewhere ...
        body_socket.handed_back(taken)  # taken < count: the client's connection ended; None: not known

    After handed_back the request goes on as if Daphne had read the body (the connection closes when the body
    was not all taken).
    """

    def __init__(self, request):
        self.hand_over = request.hand_over
        self.handed_back = request.handed_back


class ResponseSocket:
    """scope["extensions"]["virtconsole.response_socket"] of a volume content GET on plain TCP: the application
    may write the response's body into the socket itself, on the server's loop thread:

        ... send http.response.start and an empty http.response.body (more_body): the head is written ...
        head, fd = response_socket.hand_over()  # None: nothing to hand over; else writing and reading pause
        ... write head, then the body, into fd (a non-blocking socket) elsewhere ...
        response_socket.handed_back(written, whole)  # written: the body's bytes; not whole: the connection closes

    After handed_back the application ends the response with an empty http.response.body.
    """

    def __init__(self, request):
        self.hand_over = request.hand_over_response
        self.handed_back = request.response_handed_back


def install():
    """Serve every HTTP request of this process through ConsoleWebRequest (Daphne's factory builds its requests
    from this module-level name, and offers no other hook before a body is read), and offer a streamed upload's
    application its BodySocket, a download's its ResponseSocket. Called by console/asgi.py."""
    http_protocol.WebRequest = ConsoleWebRequest
    if getattr(Server.create_application, "offers_body_socket", False):
        return
    create_application = Server.create_application

    def create_application_offering(self, protocol, scope):
        if isinstance(protocol, ConsoleWebRequest) and protocol.can_hand_over():
            scope.setdefault("extensions", {})["virtconsole.body_socket"] = BodySocket(protocol)
        elif isinstance(protocol, ConsoleWebRequest) and protocol.can_hand_over_response():
            scope.setdefault("extensions", {})["virtconsole.response_socket"] = ResponseSocket(protocol)
        return create_application(self, protocol, scope)

    create_application_offering.offers_body_socket = True
    Server.create_application = create_application_offering
