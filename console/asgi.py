"""The ASGI application Daphne serves: HTTP through Django, websockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django  # noqa: E402  (settings must be set first)
from asgiref.sync import sync_to_async  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

# --- Twisted's write size (the graphical console's throughput) ---
# Daphne writes through Twisted, which hands the kernel at most SEND_LIMIT
# bytes (128 KiB) per reactor turn, so one 8 MB screen update from the VNC
# console took some 64 loop turns to leave, each behind every other ready
# callback. The kernel takes what fits in the socket buffer anyway, so a
# larger limit only means fewer turns: measured in benchmarks/README.md.
# Process-wide because Daphne gives the ASGI application no transport.
from twisted.internet import tcp  # noqa: E402

tcp.Connection.SEND_LIMIT = 4 << 20
# --- end of Twisted's write size ---

# A streamed response waits while its client is not reading (Daphne would hold the rest in memory).
from console import backpressure  # noqa: E402

backpressure.install()

# Each request's synchronous part runs on a thread of its own, taken from the idle ones.
from console import request_threads  # noqa: E402


class ConsoleASGIHandler(ASGIHandler):
    """Django's ASGI handler, with a request's synchronous part in one trip to a pooled thread of its own.

    Streamed bodies go out in messages of up to 1 MiB instead of 64 KiB: each message costs a trip through Daphne
    and Twisted on the one loop thread, and at 64 KiB that trip was a volume download's bottleneck
    (benchmarks/storage_transfer.py).
    """

    chunk_size = 1 << 20

    async def __call__(self, scope, receive, send):
        # Django's own context inside this one changes nothing: the request runs on a pooled thread.
        async with request_threads.RequestThread():
            await super().__call__(scope, receive, send)

    def load_middleware(self, is_async=False):
        # Built for async (Django's ASGI choice), the chain of synchronous middleware went back to the loop for
        # axes (async-capable, last), and from there to the request's thread again for each process_view, the view
        # and its rendering: six crossings between threads where one does, each about a tenth of a millisecond of
        # CPU on 2 cores and more in waiting. Every middleware here can run synchronously, so the whole chain runs
        # as under WSGI, in one trip to the request's thread.
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


django.setup(set_prefix=False)
django_application = ConsoleASGIHandler()

# Daphne reads a whole request body before the application sees it: a volume upload's goes to the
# application as it arrives instead, and any other larger than BODY_LIMIT is refused while its headers
# arrive (console/request_bodies.py), so no client can make the process hold a body.
from console import request_bodies  # noqa: E402

request_bodies.install()

# The graphical console's screen leaves in frames written straight into a plain socket
# (console/websocket_frames.py), not as Channels messages.
from console import websocket_frames  # noqa: E402

websocket_frames.install()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from console.routing import websocket_urlpatterns  # noqa: E402
from console.sockets.origins import SameOriginValidator  # noqa: E402
from console.stopping import finishing_requests  # noqa: E402
from domains.cluster import hosts as cluster_hosts  # noqa: E402
from domains.libvirt import events as libvirt_events  # noqa: E402
from domains.storage.transfer.upload_app import UploadApp  # noqa: E402
from domains.storage.urls import CONTENT_ROUTE  # noqa: E402

# A volume upload streams its parts into libvirt as they arrive: Django would read each body first
# (domains/storage/transfer/upload_app.py).
# The session/token check happens inside UploadApp, the way the API does it.
http_routes = URLRouter([
    path(f"api/v1/{CONTENT_ROUTE}", UploadApp(django_application)),
    re_path(r"", django_application),
])

router = ProtocolTypeRouter(
    {
        "http": http_routes,
        # The origin check sits inside the session's, so a refused origin is audited with the user whose
        # cookie the foreign page sent; it compares scheme, host and port (console/sockets/origins.py).
        "websocket": AuthMiddlewareStack(SameOriginValidator(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope, receive, send):
    # libvirt's events must run on the server's own loop, so the first
    # request of any kind attaches them there before anything opens a host.
    libvirt_events.attach_to_running_loop()
    if settings.CONNECT_EVERY_HOST:
        cluster_hosts.connect_every_host()
    await finishing_requests(router, scope, receive, send)
