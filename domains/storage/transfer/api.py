"""API v1: a volume's content. GET/HEAD through Django (streamed out), PUT as a raw ASGI app (streamed in).

Django's ASGI handler reads a whole request body before it calls a view (into memory, then a temporary file
on the web server's disk), so PUT .../content is served by UploadApp, routed ahead of Django in
console/asgi.py: each `http.request` message goes into the volume's stream as it arrives, and the next one is
not read until the one before is in libvirt's hands (at most IN_FLIGHT_LIMIT bytes held).
"""

import asyncio
import io
import json
import logging

from asgiref.sync import sync_to_async
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from domains.access.permissions import route_permission
from domains.api.errors import api_exception_handler, error_response
from domains.errors import ConsoleError
from domains.jobs.actions import JobCancelled
from domains.storage.transfer import content as transfer

log = logging.getLogger(__name__)

# An upload hands libvirt batches of BATCH bytes; one batch is written while the next is read, so at most
# two batches and one ASGI message are held per upload.
BATCH = 1 << 20
MESSAGE_LIMIT = 1 << 20  # what the servers hand an app per message (uvicorn: 64 KiB reads; Daphne: 8 KiB)
IN_FLIGHT_LIMIT = 2 * BATCH + MESSAGE_LIMIT
# Holes of a sparse download become zeros from this one buffer: nothing read, nothing allocated per hole.
ZEROS = bytes(BATCH)

CONTENT_NOTE = "GET/HEAD need storage_vol.data_read on the pool, PUT storage_vol.data_write; a pool the " \
               "caller may not see answers 404"


# --- download (and the route's declaration for the schema) ---

@route_permission(GET="storage_vol.data_read", HEAD="storage_vol.data_read", PUT="storage_vol.data_write",
                  note=CONTENT_NOTE)
class VolumeContent(APIView):
    """The bytes of a volume: GET streams them (Range honoured); PUT writes them (Content-Range resumes)."""

    @extend_schema(operation_id="volume_content_get", parameters=[
        OpenApiParameter("Range", str, OpenApiParameter.HEADER, description="bytes=a-b: that part only (206)")],
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The volume's bytes"),
                   (206, "application/octet-stream"): OpenApiResponse(description="The range asked for")})
    def get(self, request, host_id, pool, volume):
        plan = transfer.plan_download(request.user, host_id, pool, volume)
        partial = self._apply_range(request, plan)
        if not isinstance(partial, bool):
            return partial
        transfer.start_download(request.user, plan, request.META.get("REMOTE_ADDR"))
        response = StreamingHttpResponse(stream_download(plan), status=206 if partial else 200,
                                         content_type="application/octet-stream")
        return self._with_headers(response, plan, partial)

    def head(self, request, host_id, pool, volume):
        plan = transfer.plan_download(request.user, host_id, pool, volume)
        partial = self._apply_range(request, plan)
        if not isinstance(partial, bool):
            return partial
        return self._with_headers(HttpResponse(status=206 if partial else 200,
                                               content_type="application/octet-stream"), plan, partial)

    @extend_schema(operation_id="volume_content_put", request={"application/octet-stream": bytes}, parameters=[
        OpenApiParameter("Content-Range", str, OpenApiParameter.HEADER,
                         description="bytes N-M/T: resume at N (N at most what the interrupted upload wrote)")],
        responses={200: OpenApiResponse(description="{sha256, size, resumed_at, pool, volume, job}"),
                   409: OpenApiResponse(description="resume offset refused: fields.offset says where"),
                   413: OpenApiResponse(description="larger than the volume: fields.size and fields.capacity")})
    def put(self, request, host_id, pool, volume):
        # Only reached when the server runs without UploadApp in front (console/asgi.py always routes it).
        raise ConsoleError("Uploads are served by the streaming upload route, which this server was started "
                           "without: serve console.asgi:application.", code="not_served", status=501)

    @staticmethod
    def _apply_range(request, plan):
        """True for a Range request (plan narrowed), False for the whole volume, or the 416 response."""
        header = request.headers.get("Range")
        if not header:
            return False
        wanted = transfer.parse_range(header, plan.size)
        if wanted is None:
            response = error_response(416, "range_not_satisfiable",
                                      f"Range '{header}' is outside the volume's {plan.size} bytes: ask for "
                                      f"bytes=0-{max(plan.size - 1, 0)} or a part of it.",
                                      {"size": plan.size})
            response["Content-Range"] = f"bytes */{plan.size}"
            return response
        plan.first, plan.last = wanted
        return True

    @staticmethod
    def _with_headers(response, plan, partial):
        response["Content-Length"] = str(plan.length)
        response["Accept-Ranges"] = "bytes"
        response["Content-Disposition"] = f'attachment; filename="{_ascii_filename(plan.volume_name)}"'
        response["Cache-Control"] = "no-store"
        if partial:
            response["Content-Range"] = f"bytes {plan.first}-{plan.last}/{plan.size}"
        return response


def _ascii_filename(name):
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)


def _read_batch(plan):
    """Pieces (bytes, or an int: a hole's length) worth up to BATCH bytes of data; [] at the end."""
    pieces, held = [], 0
    while held < BATCH:
        got = transfer.read_chunk(plan, BATCH - held)
        if isinstance(got, int):
            pieces.append(got)
            break
        if not got:
            break
        pieces.append(got)
        held += len(got)
    return pieces


async def stream_download(plan):
    """The response body: the volume's bytes, a batch at a time from a worker thread; holes as zeros."""
    ended, reading = False, None
    try:
        # The next batch is read while this one goes out: libvirt and the client never wait for each other,
        # and at most two batches are held.
        reading = asyncio.ensure_future(asyncio.to_thread(_read_batch, plan))
        while True:
            pieces = await reading
            if not pieces:
                break
            reading = asyncio.ensure_future(asyncio.to_thread(_read_batch, plan))
            data = []  # the batch's bytes go out as one message: each message costs a trip through the server
            for piece in pieces:
                if isinstance(piece, int):
                    if data:
                        yield b"".join(data)
                        plan.delivered += sum(map(len, data))
                        data = []
                    while piece:
                        step = min(piece, BATCH)
                        yield ZEROS if step == BATCH else ZEROS[:step]
                        piece -= step
                        plan.delivered += step
                else:
                    data.append(piece)
            if data:
                yield b"".join(data)
                plan.delivered += sum(map(len, data))
        ended = True
        await sync_to_async(transfer.complete_download)(plan)
    except (ConsoleError, JobCancelled) as exc:
        ended = True
        if reading is not None:
            await asyncio.gather(reading, return_exceptions=True)
        log.info("download of %s/%s stopped: %s", plan.pool.name, plan.volume_name, exc)
        await sync_to_async(transfer.interrupt_download)(plan, exc)
    finally:
        if not ended:  # the client went away: the response task was cancelled or the generator closed
            if reading is not None:
                await asyncio.gather(reading, return_exceptions=True)
            # A client that has every byte may hang up before the stream's end was read: that is a success.
            await sync_to_async(transfer.end_download_early)(plan)


# --- upload: the raw ASGI app ---

def _authenticate(scope):
    """(DRF request, user) the way the API authenticates: session (with its CSRF check) or token."""
    request = ASGIRequest(scope, io.BytesIO())
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    drf_request = Request(request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES])
    return drf_request


def _user_of(drf_request):
    from rest_framework import exceptions

    user = drf_request.user  # runs the authenticators: AuthenticationFailed, or PermissionDenied on CSRF
    if not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user


def _error_body(drf_request, exc):
    """(status, JSON bytes, extra headers) of exc in the API's one error shape (audited as the API does)."""
    response = api_exception_handler(exc, {"request": drf_request, "view": None})
    extra = [(b"www-authenticate", b'Token')] if response.status_code == 401 else []
    return response.status_code, json.dumps(response.data).encode(), extra


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
    """PUT .../volumes/{volume}/content; any other method goes on to Django (fallback)."""

    def __init__(self, fallback):
        self.fallback = fallback

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "PUT":
            return await self.fallback(scope, receive, send)
        kwargs = scope["url_route"]["kwargs"]
        drf_request = await sync_to_async(_authenticate)(scope)
        try:
            user = await sync_to_async(_user_of)(drf_request)
            length = _header(scope, b"content-length")
            if length is not None and not length.isdigit():
                raise transfer.TransferError(f"Content-Length '{length}' is not a number of bytes.", code="invalid")
            plan = await sync_to_async(transfer.plan_upload)(
                user, kwargs["host_id"], kwargs["pool"], kwargs["volume"], None if length is None else int(length),
                _header(scope, b"content-range"))
            client = scope.get("client") or (None,)
            await sync_to_async(transfer.start_upload)(user, plan, client[0])
        except Exception as exc:  # noqa: BLE001  every refusal is answered in the API's shape, bugs logged there
            await _answer(send, *await sync_to_async(_error_body)(drf_request, exc))
            return
        outcome = await pump_body(plan, receive)
        if outcome == "disconnected":
            return  # nobody to answer; the job says where to resume
        if isinstance(outcome, BaseException):
            await _answer(send, *await sync_to_async(_error_body)(drf_request, outcome))
            return
        job = await sync_to_async(lambda: plan.job.as_message())()
        await _answer(send, 200, json.dumps({**outcome, "job": job}).encode())


async def pump_body(plan, receive):
    """Move the request body into the volume; the result dict, "disconnected", or the error to answer."""
    batch, writing, writing_size = bytearray(), None, 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if writing is not None:
                    await writing
                if batch:
                    await asyncio.to_thread(transfer.write_chunk, plan, batch)
                await sync_to_async(transfer.interrupt_upload)(plan)
                return "disconnected"
            batch += message.get("body", b"")
            more = message.get("more_body", False)
            plan.peak_buffered = max(plan.peak_buffered, len(batch) + writing_size)
            if len(batch) >= BATCH or not more:
                if writing is not None:
                    await writing  # backpressure: the next batch waits for libvirt to take the last one
                writing, writing_size = asyncio.ensure_future(asyncio.to_thread(transfer.write_chunk, plan, batch)), len(batch)
                batch = bytearray()
            if not more:
                await writing
                break
        if plan.received < plan.length:
            await sync_to_async(transfer.interrupt_upload)(plan)
            return transfer.TransferError(f"The body ended after {plan.received} of the {plan.length} bytes its "
                                          f"Content-Length announced: resume from byte {plan.done}.",
                                          code="incomplete", fields={"offset": plan.done})
        return await sync_to_async(transfer.complete_upload)(plan)
    except (ConsoleError, JobCancelled) as exc:
        if writing is not None and not writing.done():
            await asyncio.gather(writing, return_exceptions=True)
        return await sync_to_async(transfer.stop_upload)(plan, exc)
