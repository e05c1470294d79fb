"""Daphne refuses a request body larger than one upload part before reading it: memory bounded for any client.

(And hands a body to the application in pieces of MESSAGE_LIMIT rather than 8 KiB; see BoundedWebRequest.)

Twisted reads a whole request body (spooled to a temporary file) before Daphne calls the application, and
Daphne then queues all of it to the application at once: whatever the application answers, a 1 GiB body
costs the process 1 GiB. The largest body the console takes is one part of a volume upload (PART_LIMIT;
forms and definitions are far smaller), so a body announced larger, or a chunked one that grows larger, is
answered 413 in the API's error shape as soon as that is known, and the connection closed: its bytes are
never spooled, queued or read.
"""

import io
import json

from daphne import http_protocol

from domains.storage.transfer.upload_app import MESSAGE_LIMIT, parts_advice
from domains.storage.transfer.uploads import PART_LIMIT

BODY_LIMIT = PART_LIMIT


def refusal(size):
    """The raw HTTP answer to a body of size bytes (None: a chunked body that passed the limit)."""
    said = f"of {size} bytes" if size is not None else "sent in chunks"
    body = json.dumps({
        "status": 413, "code": "part_too_large",
        "message": f"A request body {said} is more than this console takes ({BODY_LIMIT} bytes); for a volume "
                   f"upload, {parts_advice(size)}.",
        "fields": {"part_limit": PART_LIMIT, **({"size": size} if size is not None else {})},
    }).encode()
    head = ("HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class BoundedWebRequest(http_protocol.WebRequest):
    """Daphne's request, refusing a body over BODY_LIMIT while its headers or first bytes arrive."""

    body_refused = False
    body_seen = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Daphne hands a body to the app in request_buffer_size pieces, 8 KiB unless set (its command line
        # cannot). The whole body is in hand by then, so larger pieces hold no more memory and cost far fewer
        # loop turns: an 8 MiB upload part arrives as 8 messages, not 1,024.
        self.server.request_buffer_size = max(self.server.request_buffer_size, MESSAGE_LIMIT)

    def gotLength(self, length):
        if length is not None and length > BODY_LIMIT:
            self._refuse(length)
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_refused:
            return  # what was read with the headers, before the connection closed
        self.body_seen += len(data)
        if self.body_seen > BODY_LIMIT:
            self._refuse(None)
            return
        super().handleContentChunk(data)

    def process(self):
        if not self.body_refused:
            return super().process()

    def _refuse(self, size):
        self.body_refused = True
        # No "100 Continue" after the refusal (Twisted sends one right after gotLength when asked).
        self.requestHeaders.removeHeader(b"expect")
        self.content = io.BytesIO()  # what was spooled goes; Twisted still reads this at the request's end
        self.channel.transport.write(refusal(size))
        self.channel.loseConnection()


def install():
    """Serve every HTTP request of this process through BoundedWebRequest (Daphne's factory builds its requests
    from this module-level name, and offers no other hook before a body is read). Called by console/asgi.py."""
    http_protocol.WebRequest = BoundedWebRequest
