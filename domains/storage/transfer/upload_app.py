"""PUT .../volumes/{volume}/content as a raw ASGI app: an upload, or one part of it, pumped into libvirt as it arrives.

Django's ASGI handler reads a whole request body before it calls a view, so the PUT is served here, routed
ahead of Django in console/asgi.py: each `http.request` message goes into the volume's stream as it
arrives, and the next one is not read until the one before is in libvirt's hands (at most IN_FLIGHT_LIMIT
bytes held by the app). Daphne hands this route's body over as it arrives too (console/request_bodies.py), so
a body may be the whole file: parts (uploads.py) are for resuming, and for clients that prefer them.
"""

import asyncio
import io
import json

from asgiref.sync import sync_to_async
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from domains.api.errors import api_exception_handler
from domains.errors import ConsoleError
from domains.jobs.actions import JobCancelled
from domains.storage.transfer import uploads
from domains.storage.transfer.content import TransferError, parse_content_range

# The app hands libvirt batches of BATCH bytes; one batch is written while the next is read, so at most two
# batches and one ASGI message are held per upload.
BATCH = 1 << 20
MESSAGE_LIMIT = 1 << 20  # what the servers hand an app per message (uvicorn: 64 KiB reads; Daphne: 8 KiB)
IN_FLIGHT_LIMIT = 2 * BATCH + MESSAGE_LIMIT


def parts_advice():
    """How to send a file: said by the refusal of a body without a Content-Length."""
    return _("send the file in one PUT with its Content-Length, or as consecutive PUTs with Content-Range "
             "(bytes 0-M/<file size> first, then from where the last answer's 'received' says), as docs/api.md "
             "shows")


def _authenticate(scope):
    """The DRF request the API would make of scope: session (with its CSRF check) or token."""
    request = ASGIRequest(scope, io.BytesIO())
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return Request(request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES])


def _check_host(drf_request):
    """Django's views check Host through request.get_host(); this app bypasses them, so it checks here (a token
    request carries no CSRF token, whose check would otherwise involve the host)."""
    try:
        drf_request._request.get_host()
    except DisallowedHost:
        host = drf_request._request.META.get("HTTP_HOST", "")
        raise TransferError(format_lazy(_("The Host header '{host}' is not a name this console answers to "
                                          "(ALLOWED_HOSTS): address the console by one of its own names."),
                                        host=host[:100]), code="bad_host") from None


def _part_of(scope):
    """(first, length, total) from the headers; 411 without Content-Length."""
    length = _header(scope, b"content-length")
    if length is None:
        raise TransferError(format_lazy(_("An upload needs a Content-Length header (the body's size in bytes): "
                                          "{advice}."), advice=parts_advice()),
                            code="length_required", status=411)
    if not (length.isascii() and length.isdigit()):
        raise TransferError(format_lazy(_("Content-Length '{length}' is not a number of bytes."), length=length[:40]),
                            code="invalid")
    length = int(length)
    content_range = _header(scope, b"content-range")
    first, total = parse_content_range(content_range, length) if content_range else (0, length)
    return first, length, total


def _begin(scope, drf_request):
    """The Part this PUT carries, or the refusal: authenticated, host checked, permission and offset checked."""
    _check_host(drf_request)
    user = drf_request.user  # runs the authenticators: AuthenticationFailed, or PermissionDenied on CSRF
    if not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    first, length, total = _part_of(scope)
    kwargs = scope["url_route"]["kwargs"]
    client = scope.get("client") or (None,)
    return uploads.begin_part(user, kwargs["host_id"], kwargs["pool"], kwargs["volume"], first, length, total,
                              client[0])


def _error_body(drf_request, exc):
    """(status, JSON bytes, extra headers) of exc in the API's one error shape (audited as the API does)."""
    response = api_exception_handler(exc, {"request": drf_request, "view": None})
    extra = [(b"www-authenticate", b"Token")] if response.status_code == 401 else []
    # DjangoJSONEncoder: a refusal's fields may hold words said lazily (domains.words).
    return response.status_code, json.dumps(response.data, cls=DjangoJSONEncoder).encode(), extra


async def _answer(send, status, body, extra=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *extra]})
    await send({"type": "http.response.body", "body": body})


def _header(scope, name):
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class UploadApp:
    """PUT .../volumes/{volume}/content; any other method goes on to Django (fallback).

    Answers 202 {received, total, job} to a part that leaves the upload short of its total, 200 {sha256, size,
    resumed_at, pool, volume, peak_buffered, job} to the part that completes it.
    """

    def __init__(self, fallback):
        self.fallback = fallback

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "PUT":
            return await self.fallback(scope, receive, send)
        drf_request = await sync_to_async(_authenticate)(scope)
        try:
            part = await sync_to_async(_begin)(scope, drf_request)
        except Exception as exc:  # noqa: BLE001  every refusal is answered in the API's shape, bugs logged there
            await _answer(send, *await sync_to_async(_error_body)(drf_request, exc))
            return
        outcome = await pump_part(part, receive, scope.get("extensions", {}).get("virtconsole.body_socket"))
        if outcome == "disconnected":
            return  # nobody to answer; the job says where to continue
        if isinstance(outcome, BaseException):
            await _answer(send, *await sync_to_async(_error_body)(drf_request, outcome))
            return
        status, body = outcome
        await _answer(send, status, json.dumps(body).encode())


async def write_batch(part, batch, size):
    """Send a batch (a list of the body's pieces, size bytes in all) to the upload's pump, which hashes it, on a
    worker thread while the loop reads the next. The pieces are never joined: each copy of an upload's bytes is
    a share of its throughput."""
    uploads.check_chunk(part, size)
    await asyncio.to_thread(uploads.take_chunk, part, batch, size)


async def take_from_socket(part, body_socket, pieces, client_fd, count):
    """The body's pieces read already, then count bytes the upload's pump reads off the client's socket itself;
    (status, body) or "disconnected"."""
    if pieces:
        await write_batch(part, pieces, sum(len(piece) for piece in pieces))
    try:
        taken = await asyncio.to_thread(uploads.take_client_body, part, client_fd, count)
    except BaseException:
        body_socket.handed_back(None)
        raise
    body_socket.handed_back(taken)
    if taken < count:
        await sync_to_async(uploads.cut_short)(part)
        return "disconnected"
    return await sync_to_async(uploads.end_part)(part)


async def pump_part(part, receive, body_socket=None):
    """Move the request body into the upload; (status, body), "disconnected", or the error to answer.

    body_socket (console/request_bodies.py, Daphne on plain TCP): the upload's pump reads the body off the
    client's socket itself, which saves the copies through the server's loop and the pipe.
    """
    batch, size, writing, writing_size = [], 0, None, 0
    try:
        handed = body_socket.hand_over() if body_socket is not None else None
        if handed is not None:
            return await take_from_socket(part, body_socket, *handed)
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if writing is not None:
                    await writing
                if batch:
                    await write_batch(part, batch, size)
                await sync_to_async(uploads.cut_short)(part)
                return "disconnected"
            body = message.get("body", b"")
            if body:
                batch.append(body)
                size += len(body)
            more = message.get("more_body", False)
            part.peak_buffered = size + writing_size
            if size >= BATCH or not more:
                if writing is not None:
                    await writing  # backpressure: the next batch waits for libvirt to take the last one
                writing = asyncio.ensure_future(write_batch(part, batch, size))
                writing_size, batch, size = size, [], 0
            if not more:
                await writing
                break
        if part.received < part.length:
            return await sync_to_async(uploads.cut_short)(part)
        outcome = await sync_to_async(uploads.end_part)(part)
        return outcome
    except (ConsoleError, JobCancelled) as exc:
        if writing is not None and not writing.done():
            await asyncio.gather(writing, return_exceptions=True)
        return await sync_to_async(uploads.stop_part)(part, exc)
