"""Which pages may open a websocket: the site's own origin (scheme, host and port), or a trusted one.

Channels' AllowedHostsOriginValidator compares only the origin's host name
with ALLOWED_HOSTS, so a page served on another port of the same host (any
other web application there) could drive a signed-in user's sockets with
their cookie. Here the Origin must be the origin the socket was requested at,
as Django's CSRF check demands of a POST: the Host header (itself checked
against ALLOWED_HOSTS), the scheme (https when the request was secure, see
SECURE_PROXY_SSL_HEADER) and the port, or one of CSRF_TRUSTED_ORIGINS. A
request without Origin (not a browser) passes only when ALLOWED_HOSTS holds
"*", as before. Every refusal is audited.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

from console.sockets import refusals

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope, name):
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin1")
    return None


def _allowed_hosts():
    hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _secure(scope):
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, wanted = proxy
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = _header(scope, header)
        return value is not None and value.split(",")[0].strip() == wanted
    return False


def _origin_tuple(url):
    """(scheme, host name, port) of an origin URL, the port filled in from the scheme; None if unreadable."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _trusted(origin):
    for pattern in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in pattern
        wanted = _origin_tuple(pattern.replace("://*.", "://", 1))
        if wanted is None or (origin[0], origin[2]) != (wanted[0], wanted[2]):
            continue
        if origin[1] == wanted[1] or (wildcard and is_same_domain(origin[1], "." + wanted[1])):
            return True
    return False


def origin_allowed(scope):
    """Whether the socket's Origin header is the site's own origin (or a trusted one)."""
    origin_header = _header(scope, b"origin")
    if origin_header is None:
        return "*" in settings.ALLOWED_HOSTS
    origin = _origin_tuple(origin_header)
    if origin is None:
        return False
    if _trusted(origin):
        return True
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return False
    own = _origin_tuple(f"{'https' if _secure(scope) else 'http'}://{host}")
    return own is not None and origin == own


class SameOriginValidator:
    """ASGI middleware: pass the socket on if origin_allowed, else refuse it in the handshake and audit that.

    Sits inside AuthMiddlewareStack, so the audit entry names the user whose cookie the page used.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websockets only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        await refusals.record(scope, refusals.BAD_ORIGIN, detail={"origin": _header(scope, b"origin") or ""})
        return await WebsocketDenier()(scope, receive, send)
