"""Transfer tests' helpers (their pool fixture is in conftest.py): volumes, tokens, byte patterns, and requests
driven straight through the console's ASGI application (real bytes, no mock: the same app Daphne serves)."""

import hashlib
import json

from rest_framework.authtoken.models import Token

from domains.libvirt.storage import create_volume

MiB = 1 << 20


def make_volume(pool_handle, name, capacity):
    """An empty raw volume of capacity bytes with nothing allocated (a test's own, not an action under test)."""
    return create_volume(pool_handle, f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>"
                                      "<allocation unit='bytes'>0</allocation><target><format type='raw'/></target>"
                                      "</volume>")


def token_for(user):
    return Token.objects.get_or_create(user=user)[0].key


def auth(user):
    """The headers of an API request made with user's token."""
    return {"Authorization": f"Token {token_for(user)}"}


def pattern(size, seed=1, chunk=4 * MiB):
    """size bytes of a fixed pseudo-random pattern, in chunks (never all in memory)."""
    block = hashlib.shake_256(f"volume-{seed}".encode()).digest(chunk)
    sent = 0
    while sent < size:
        piece = block[: min(chunk, size - sent)]
        sent += len(piece)
        yield piece


def pattern_range(first, length, seed=1, chunk=4 * MiB, piece=MiB):
    """Bytes first..first+length-1 of pattern(size, seed, chunk) (which repeats every chunk), piece at a time."""
    block = hashlib.shake_256(f"volume-{seed}".encode()).digest(chunk)
    position, end = first, first + length
    while position < end:
        offset = position % chunk
        step = min(piece, chunk - offset, end - position)
        yield block[offset:offset + step]
        position += step


async def put_part(path, headers, first, length, total, **options):
    """One part of an upload: bytes first..first+length-1 of the pattern, with its Content-Range."""
    seed, chunk, piece = options.pop("seed", 1), options.pop("chunk", 4 * MiB), options.pop("piece", MiB)
    return await call("PUT", path, {**headers, "Content-Length": length,
                                    "Content-Range": f"bytes {first}-{first + length - 1}/{total}"},
                      pattern_range(first, length, seed, chunk, piece), **options)


async def put_parts(path, headers, total, first=0, part=8 * MiB, until=None, **options):
    """The parts from first up to until (default: total), each answered before the next is sent; the answers."""
    answers = []
    until = total if until is None else until
    while first < until:
        length = min(part, until - first)
        answer = await put_part(path, headers, first, length, total, **options)
        answers.append(answer)
        if answer.status not in (200, 202):
            break
        first += length
    return answers


async def wait_for_job(condition, kind="volume.upload", timeout=60):
    """The newest job of kind once condition(job) holds (checked every 50 ms, up to timeout seconds)."""
    import asyncio
    import time

    from asgiref.sync import sync_to_async

    from domains.jobs.models import Job

    deadline = time.monotonic() + timeout
    while True:
        job = await sync_to_async(lambda: Job.objects.filter(kind=kind).order_by("-id").first())()
        if job is not None and condition(job):
            return job
        assert time.monotonic() < deadline, f"job never met the condition: {job and job.as_message()}"
        await asyncio.sleep(0.05)


def sha256_of(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def content_path(host, pool_handle, volume):
    return f"/api/v1/hosts/{host.pk}/pools/{pool_handle.name()}/volumes/{volume}/content"


def _scope(method, path, headers):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(k.lower().encode(), str(v).encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}


class Answer:
    def __init__(self):
        self.status, self.headers, self.digest, self.size, self.body = None, {}, hashlib.sha256(), 0, bytearray()

    def json(self):
        return json.loads(bytes(self.body))


async def call(method, path, headers, body_chunks=(), disconnect_after=None, drop_after=None, on_body=None):
    """Send one request through console.asgi's application; the answer (its body hashed as it arrives).

    disconnect_after: the client goes away once that many body bytes were sent (a dropped upload);
    drop_after: the client goes away once that many response bytes arrived (a dropped download);
    on_body: awaited with the answer after each response body message (a client that stops reading).
    """
    import asyncio

    from console.asgi import application

    chunks = iter(body_chunks)
    sent, body_done = 0, False
    answer = Answer()
    gone = asyncio.Event()
    pending = next(chunks, None)

    # Each message is made when the app asks for it: the app's reading pace is the client's sending pace.
    async def receive():
        nonlocal pending, sent, body_done
        if not body_done:
            if disconnect_after is not None and sent >= disconnect_after:
                body_done = True
                return {"type": "http.disconnect"}
            piece, pending = pending or b"", next(chunks, None)
            sent += len(piece)
            body_done = pending is None
            return {"type": "http.request", "body": piece, "more_body": not body_done}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            data = message.get("body", b"")
            answer.digest.update(data)
            answer.size += len(data)
            if answer.size <= 16 * MiB:
                answer.body += data
            if not message.get("more_body", False) or (drop_after is not None and answer.size >= drop_after):
                gone.set()
            if on_body is not None:
                await on_body(answer)

    await application(_scope(method, path, headers), receive, send)
    gone.set()
    return answer
