"""A request served through console.asgi (the application Daphne serves, its middleware run synchronously in one
trip to the request's thread) meets every check a request through the test client meets: sign-in, CSRF, the
login rate limit, refusals audited, and the security headers."""

import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from channels.testing import ApplicationCommunicator

from console import request_threads
from console.asgi import application
from domains.access.models import AuditEntry
from tests.ws_support import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = "198.51.100.7"


@pytest.fixture(autouse=True)
def no_idle_request_threads():
    yield
    request_threads.end_idle_threads()  # their connections closed before the test database is emptied


async def served(method, path, cookies=None, form=None, headers=()):
    """(status, {header: value}, body) of one request through console.asgi, from CLIENT."""
    body = urlencode(form).encode() if form is not None else b""
    sent = [(b"host", b"127.0.0.1"), *headers]
    if form is not None:
        sent.append((b"content-type", b"application/x-www-form-urlencoded"))
    if cookies:
        sent.append((b"cookie", "; ".join(f"{name}={value}" for name, value in cookies.items()).encode()))
    scope = {"type": "http", "http_version": "1.1", "method": method, "path": path, "query_string": b"",
             "headers": sent, "client": (CLIENT, 50000), "server": ("127.0.0.1", 8000), "scheme": "http"}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(10)
    answer = b""
    while True:
        message = await communicator.receive_output(10)
        answer += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    returned = {}
    for name, value in start["headers"]:
        returned.setdefault(name.decode().lower(), []).append(value.decode())
    return start["status"], returned, answer


async def login_form():
    """The login page's CSRF cookie and form token."""
    _status, headers, page = await served("GET", "/login/")
    cookie = SimpleCookie("\n".join(headers["set-cookie"]))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    return {"csrftoken": cookie["csrftoken"].value}, token


async def test_an_answer_carries_the_security_headers():
    status, headers, _body = await served("GET", "/api/v1/version")

    assert status == 200
    assert headers["content-security-policy"][0].startswith("default-src 'self'")
    assert headers["x-frame-options"] == ["DENY"]
    assert headers["x-content-type-options"] == ["nosniff"]


async def test_a_page_asks_for_a_sign_in_and_opens_with_a_session(outsider):
    status, headers, _body = await served("GET", "/account/")
    assert status == 302
    assert headers["location"][0].startswith("/login/")

    cookie = await sync_to_async(session_cookie)(outsider)
    status, _headers, _body = await served("GET", "/account/", cookies={"sessionid": cookie})
    assert status == 200


async def test_a_post_without_its_csrf_token_is_refused(outsider):
    cookie = await sync_to_async(session_cookie)(outsider)

    status, _headers, _body = await served("POST", "/logout/", cookies={"sessionid": cookie}, form={})

    assert status == 403


async def test_a_refused_page_answers_403_and_is_audited(outsider):
    cookie = await sync_to_async(session_cookie)(outsider)

    status, _headers, body = await served("GET", "/access/users/", cookies={"sessionid": cookie})

    assert status == 403
    assert b"manage_grants" in body
    refusal = await AuditEntry.objects.filter(action="refused GET /access/users/").alast()
    assert refusal.actor_name == "mallory"
    assert refusal.source_address == CLIENT


async def test_repeated_failed_logins_lock_the_login_out(outsider, settings):
    settings.AXES_FAILURE_LIMIT = 3
    cookies, token = await login_form()
    form = {"username": "mallory", "password": "wrong-guess", "csrfmiddlewaretoken": token}
    for _ in range(3):
        await served("POST", "/login/", cookies=cookies, form=form)

    status, _headers, _body = await served("POST", "/login/", cookies=cookies,
                                           form={**form, "password": "mallory-pass-123"})

    assert status == 429
