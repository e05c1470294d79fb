"""Browser test support: a real console served by Daphne in a subprocess, and Debian's Chromium driving it.

It is a plugin of the whole run (tests/conftest.py names it), so every browser test shares one
server and one Chromium whatever folder it lives in.
"""

import asyncio
import atexit
import inspect
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from domains.hosts.embedded import embed_root
from tests import failure_causes, qemu_capabilities
from tests.free_ports import free_ports

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _pids_using(root):
    """Processes (the QEMUs an embedded driver started) whose command line names root."""
    needle = str(root).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return pids


def collected_static():
    """The static files a served console's WhiteNoise serves (with DEBUG off, only what is collected: the pages'
    JS, vendor modules), collected once per test process into a folder every served console links to."""
    global _collected
    if _collected is None:
        var = Path(f"/var/tmp/vcstatic-{os.getpid()}")  # its static/ is settings.STATIC_ROOT
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "VIRTCONSOLE_VAR_DIR": str(var)}
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, env=env,
                       check=True, capture_output=True, timeout=180)
        atexit.register(shutil.rmtree, var, ignore_errors=True)
        _collected = var / "static"
    return _collected


_collected = None


@contextmanager
def serve_console(var, guest_dir, password="browser-pass-123", extra_env=None):
    """Run migrate, bootstrap and Daphne on a free port with var as VIRTCONSOLE_VAR_DIR, var/static linked to the
    test process's one collectstatic.

    Yields (base_url, username, password, server process). Benchmarks use it too.
    """
    var = Path(var)
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "VIRTCONSOLE_VAR_DIR": str(var),
        "VIRTCONSOLE_EMBED_ROOT": str(var / "embed"),
        "VIRTCONSOLE_GUEST_DIR": str(guest_dir),
        "DJANGO_SUPERUSER_PASSWORD": password,
        # VNC ports apart from the test process's embedded guests (tests/conftest.py).
        "VIRTCONSOLE_VNC_PORT_MIN": "5980",
        "VIRTCONSOLE_VNC_PORT_MAX": "5999",
        **(extra_env or {}),
    }
    env.pop("DATABASE_URL", None)
    python = sys.executable
    # Kept as soon as bootstrap probed, for a console started while this one serves, and again at the end.
    embed = embed_root(env["VIRTCONSOLE_EMBED_ROOT"])
    qemu_capabilities.seed(embed)
    for command in (["migrate", "--noinput", "-v0"], ["bootstrap"]):
        subprocess.run([python, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True, timeout=180)
    qemu_capabilities.keep(embed)
    (var / "static").symlink_to(collected_static())
    port = free_ports()
    log = open(var / "daphne.log", "wb")
    server = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "console.asgi:application"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/login/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Daphne did not start; see {var / 'daphne.log'}") from None
            time.sleep(0.2)
    failure_causes.watch_server_log(var / "daphne.log")
    try:
        yield base_url, "admin", password, server
    finally:
        failure_causes.forget_server_log(var / "daphne.log")
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        qemu_capabilities.keep(embed)  # with what the server probed (the other QEMU binaries, for its host's page)
        # The embedded driver leaves QEMU running when its process ends: stop the guests it started.
        for pid in _pids_using(var / "embed"):
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(var, ignore_errors=True)


def served_var():
    """The VIRTCONSOLE_VAR_DIR of the session's served console (its database, its embedded host)."""
    return Path(f"/var/tmp/vcb-{os.getpid()}")


def served_manage(var, *args, extra_env=None):
    """Run manage.py with args against the console served with var (its own database); returns stdout."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "VIRTCONSOLE_VAR_DIR": str(var),
           "VIRTCONSOLE_EMBED_ROOT": str(var / "embed"), "VIRTCONSOLE_GUEST_DIR": str(settings.DEMO_GUEST_DIR),
           **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def served_console():
    """Yields (base_url, username, password) of a Daphne serving a fresh virtconsole with the demo guest."""
    with serve_console(served_var(), settings.DEMO_GUEST_DIR) as (base_url, username, password, _):
        yield base_url, username, password


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Async tests run with no event loop marked as running in the main thread.

    Playwright's sync API parks its own loop inside a greenlet of the main thread, and greenlets share
    the thread's "running loop", so while the session's Chromium is open every later async test would
    find a loop running and pytest-asyncio refuses to start its own. The mark is Playwright's only
    between its calls, and no browser call happens inside an async test, so it is lifted for the
    test and put back after.
    """
    parked = asyncio._get_running_loop()
    if parked is None or not inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return (yield)
    asyncio._set_running_loop(None)
    try:
        return (yield)
    finally:
        asyncio._set_running_loop(parked)


def wait_for_js(page, expression, timeout=30000):
    """Poll until the JavaScript expression is truthy in page (milliseconds, like Playwright's own timeouts).

    Playwright's wait_for_function re-evaluates a string with eval, which the console's
    Content-Security-Policy forbids (as it should); page.evaluate goes through DevTools instead.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(50)  # lets Playwright's events (console, websocket frames) flow meanwhile


def fits_a_phone(page, label, shots):
    """Screenshots of page at 1280 and 390 px wide into shots; asserts nothing is wider than the phone's screen."""
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shots / f"{label}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / f"{label}-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"the {label} page is {width} px wide on a 390 px screen"


def serial_shell_answers(page, domain_uuid):
    """Open the domain's serial console page and wait until the demo guest's shell answers a typed command."""
    page.goto(f"/domains/{domain_uuid}/console/serial/")
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent.startsWith('connected')")
    screen = "window.serialConsole.term.buffer.active"
    text = (f"(() => {{ const b = {screen}; let t = ''; for (let i = 0; i < b.length; i++) "
            "t += b.getLine(i).translateToString(true) + '\\n'; return t; })()")
    for _ in range(60):
        page.keyboard.press("Enter")
        try:
            wait_for_js(page, f"{text}.includes('/ # ')", timeout=1000)
            break
        except AssertionError:  # the guest may still be booting; poke it again
            continue
    page.keyboard.type("echo vc-$((6*7))\n")
    wait_for_js(page, f"/\\nvc-42/.test({text})", timeout=10000)


def add_host_in_page(page, name, uri="qemu:///system"):
    """The id of a host added through the API from the signed-in page (its session and CSRF token)."""
    return page.evaluate("""async ([name, uri]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const made = await fetch('/api/v1/hosts', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': csrf}, body: JSON.stringify({name, uri})});
        return (await made.json()).id;
    }""", [name, uri])


def open_domain_of_system_host(page, base_url, host_name, domain_uuid):
    """Add the system libvirtd as host host_name from the signed-in page, let the dashboard list its domains, and
    open the page of the domain domain_uuid (made behind the served console's back)."""
    page.goto(f"{base_url}/")
    add_host_in_page(page, host_name)
    page.goto(f"{base_url}/")
    page.goto(f"{base_url}/domains/{domain_uuid}/")


def signed_in_page(browser, served_console):
    """A new browser context signed in as the served console's admin; returns (context, page)."""
    return sign_in(browser, *served_console)


def sign_in(browser, base_url, username, password, **context_options):
    """A new browser context (with context_options) on base_url, signed in as username; returns (context, page)."""
    context = browser.new_context(base_url=base_url, **context_options)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return context, page


@pytest.fixture
def logged_in_page(browser, served_console):
    """A Chromium page logged in as the admin of the served console."""
    context, page = signed_in_page(browser, served_console)
    yield page
    context.close()


@pytest.fixture
def second_page(browser, served_console):
    """Another signed-in session: what it changes happens out of band for the page under test."""
    context, page = signed_in_page(browser, served_console)
    yield page
    context.close()


def accept_confirmation(page):
    """Answer Continue in the page's confirmation dialog (feedback.js) once it shows; returns its question."""
    dialog = page.locator("#confirm-dialog.show")
    accept = dialog.locator("[data-confirm-accept]")
    accept.wait_for()
    question = dialog.locator("[data-confirm-question]").inner_text()
    accept.click()
    return question
