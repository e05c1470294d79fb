"""Backpressure for Daphne's HTTP responses: a streamed body waits while the client is not reading.

Daphne hands each `http.response.body` message to Twisted and returns at once, whether or not the
client takes the bytes, so a response streamed to a slow client piles up in the server's memory: a
whole volume, for a volume download to a browser on a slow link. Twisted has the means to pace it, a
producer registered on the request that the transport pauses when the socket's buffer is full and
resumes when it drains; Daphne registers none. install() makes Daphne's `send` of a body message
register one and wait while it is paused, so at most about one message is held per response beyond
what the kernel buffers. console/asgi.py installs it, beside Twisted's write size.
"""

import asyncio

from daphne.http_protocol import WebRequest
from daphne.server import Server
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer


@implementer(IPushProducer)
class ClientReading:
    """Whether the client is taking what is written to it: Twisted pauses and resumes this."""

    def __init__(self):
        self.reading = asyncio.Event()
        self.reading.set()

    def pauseProducing(self):  # noqa: N802  (Twisted's interface names)
        self.reading.clear()

    def resumeProducing(self):  # noqa: N802
        self.reading.set()

    def stopProducing(self):  # noqa: N802  the response ended or the client left: nothing more to wait for
        self.reading.set()


def _pacing(request, message):
    """The request's ClientReading, registered with its first streamed body message; None if not streamed."""
    pacing = request.__dict__.get("client_reading")
    if pacing is None and message.get("more_body") and request.channel is not None and not request.producer:
        pacing = request.client_reading = ClientReading()
        request.registerProducer(pacing, True)
        # Errback on a lost connection, callback once finished: either way no write is awaited any more.
        request.notifyFinish().addBoth(lambda _: pacing.stopProducing())
    return pacing


def install():
    """Make Daphne's send of a response body wait while the client's socket is full (once per process)."""
    if getattr(Server.handle_reply, "waits_for_client", False):
        return
    handle_reply = Server.handle_reply

    async def handle_reply_paced(self, protocol, message):
        pacing = None
        if isinstance(protocol, WebRequest) and message.get("type") == "http.response.body":
            pacing = _pacing(protocol, message)
            if pacing is not None and not message.get("more_body") and protocol.producer is pacing \
                    and protocol.channel is not None:
                protocol.unregisterProducer()  # Twisted wants it gone before the response finishes
        await handle_reply(self, protocol, message)
        if pacing is not None and message.get("more_body"):
            await pacing.reading.wait()

    handle_reply_paced.waits_for_client = True
    Server.handle_reply = handle_reply_paced
