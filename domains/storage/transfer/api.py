"""API v1: a volume's content. GET/HEAD through Django (streamed out); PUT is declared here for the schema
and served in parts by upload_app.UploadApp, routed ahead of Django in console/asgi.py.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.errors import ConsoleError
from domains.jobs.actions import JobCancelled
from domains.storage.transfer import content as transfer

log = logging.getLogger(__name__)

# A download reads libvirt in batches of BATCH bytes, one read ahead of the one going out.
BATCH = 1 << 20
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
        response_socket = getattr(request, "scope", {}).get("extensions", {}).get("virtconsole.response_socket")
        transfer.start_download(request.user, plan, request.META.get("REMOTE_ADDR"),
                                to_client=response_socket is not None)
        body = stream_download(plan) if response_socket is None else write_download(plan, response_socket)
        response = StreamingHttpResponse(body, status=206 if partial else 200,
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
                         description="bytes N-M/T: this part is bytes N..M of a T-byte file (without it, the "
                                     "body is the whole file). Parts may be any size and go one after another, "
                                     "each sent once the one before was answered; the first at 0 (or, resuming "
                                     "an interrupted upload, at most where it stopped)")],
        responses={200: OpenApiResponse(description="the last part: {sha256, size, resumed_at, pool, volume, job}"),
                   202: OpenApiResponse(description="a part taken, the upload not complete: {received, total, "
                                                    "job}; send the next part from byte `received`"),
                   400: OpenApiResponse(description="bad Content-Range or Content-Length, or a Host header the "
                                                    "console does not answer to (code bad_host)"),
                   409: OpenApiResponse(description="a part not where the upload stands, another upload running, "
                                                    "or the upload cancelled: fields.offset says where to go on"),
                   411: OpenApiResponse(description="no Content-Length"),
                   413: OpenApiResponse(description="larger than the volume (fields.size and fields.capacity), or a "
                                                    "body without Content-Length over 8 MiB (code part_too_large, "
                                                    "fields.part_limit)")})
    def put(self, request, host_id, pool, volume):
        # Only reached when the server runs without UploadApp in front (console/asgi.py always routes it).
        raise ConsoleError(_("Uploads are served by the streaming upload route, which this server was started "
                             "without: serve console.asgi:application."), code="not_served", status=501)

    @staticmethod
    def _apply_range(request, plan):
        """True for a Range request (plan narrowed), False for the whole volume, or the 416 response."""
        header = request.headers.get("Range")
        if not header:
            return False
        wanted = transfer.parse_range(header, plan.size)
        if wanted is None:
            response = error_response(416, "range_not_satisfiable",
                                      format_lazy(_("Range '{header}' is outside the volume's {size} bytes: ask "
                                                    "for bytes=0-{last} or a part of it."), header=header,
                                                  size=plan.size, last=max(plan.size - 1, 0)),
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


async def write_download(plan, response_socket):
    """The response body when the stream's child writes it into the client's socket itself (Daphne on plain
    TCP, console/request_bodies.py ResponseSocket): the bytes pass through neither this process nor a pipe.
    Yields only the empty piece that has the head written, then waits for the child."""
    handed, whole, ended = None, False, False
    try:
        yield b""
        handed = response_socket.hand_over()
        if handed is None:  # the connection ended before its head was out
            ended = True
            await sync_to_async(transfer.interrupt_download)(plan)
            return
        head, fd = handed
        written = await asyncio.to_thread(plan.reader.send_to_client, head, fd,
                                          lambda count: transfer.report_written(plan, count))
        plan.sent = plan.delivered = written
        whole, ended = written == plan.length, True
        # A client that took fewer bytes went away: the job says where to resume (Range).
        await sync_to_async(transfer.complete_download if whole else transfer.interrupt_download)(plan)
    except (ConsoleError, JobCancelled) as exc:
        ended = True
        plan.delivered = max(plan.delivered, getattr(exc, "written", None) or 0)
        log.info("download of %s/%s stopped: %s", plan.pool.name, plan.volume_name, exc)
        await sync_to_async(transfer.interrupt_download)(plan, exc)
    finally:
        if not ended:  # the response was cancelled (the server stops): the child is stopped if bytes are missing
            await sync_to_async(transfer.end_download_early)(plan)
        if handed is not None:
            response_socket.handed_back(plan.delivered, whole)
