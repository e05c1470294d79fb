"""In Debian's Chromium against a real Daphne: live dashboard, serial console, VNC screen."""

import os
import re
from pathlib import Path

import pytest

from tests.browser_support import accept_confirmation, fits_a_phone, serial_shell_answers, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = Path(os.environ.get("CONSOLE_PAGES_SHOTS", "/tmp/console-pages-shots"))


def demo_uuid(page):
    page.goto("/")
    href = page.get_attribute("tr:has(a:text('demo')) a", "href")
    return re.search(r"/domains/([0-9a-f-]{36})/", href).group(1)


def set_running(page, uuid, running):
    """Start or force off the demo guest through its domain page (another session than the one watched)."""
    page.goto(f"/domains/{uuid}/")
    state = page.get_attribute("h1 [data-state]", "data-state")
    if (state == "running") == running:
        return
    page.get_by_role("button", name="Start" if running else "Force off", exact=True).click()
    if not running:
        with page.expect_navigation():
            accept_confirmation(page)  # forcing off asks first
    page.wait_for_selector(".msg-success")


def test_the_dashboard_shows_a_domain_started_elsewhere_without_a_reload(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, False)
    page.goto("/")
    state = f"tr[data-uuid='{uuid}'] [data-field=state]"
    wait_for_js(page, "document.body.dataset.live === 'connected'")
    assert page.inner_text(state) == "Shut off" and page.get_attribute(state, "data-state") == "shutoff"
    page.evaluate("window.notReloaded = true")

    set_running(second_page, uuid, True)

    wait_for_js(page, f"document.querySelector(\"{state}\").dataset.state === 'running'", timeout=10000)
    assert page.inner_text(state) == "Running"
    assert page.evaluate("window.notReloaded") is True
    # Live graphs follow once stats arrive (every 2 s) for the rows on screen: with the hosts earlier tests added,
    # their cards can push the row below the fold, where the page rightly asks for no stats.
    # Scrolled by the page itself: the row is drawn again by the server after each lifecycle event, so a handle
    # taken on it a moment before may name a row already replaced.
    page.evaluate(f"document.querySelector(\"tr[data-uuid='{uuid}']\").scrollIntoView({{block: 'center'}})")
    wait_for_js(
        page, f"document.querySelector(\"tr[data-uuid='{uuid}'] canvas[data-graph=cpu]\").title.includes('%')",
        timeout=10000)


def test_the_serial_console_page_shows_the_guest_shell_and_answers_a_command(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, True)
    serial_shell_answers(page, uuid)


def test_the_vnc_page_draws_the_guest_screen(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, True)
    page.goto(f"/domains/{uuid}/console/vnc/")
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent === 'connected'",
                           timeout=15000)
    # Non-blank: the kernel's log on the VGA text screen gives pixels of more than one colour.
    wait_for_js(page, """(() => {
        const canvas = document.querySelector('[data-field=screen] canvas');
        if (!canvas || !canvas.width) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4 * 97) seen.add(data[i] * 65536 + data[i + 1] * 256 + data[i + 2]);
        return seen.size > 1;
    })()""", timeout=20000)
    set_running(second_page, uuid, False)
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent !== 'connected'",
                           timeout=10000)


def test_the_domain_page_follows_the_domain_on_one_events_socket(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, False)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"/domains/{uuid}/")
    wait_for_js(page, "document.body.dataset.live === 'connected'")

    set_running(second_page, uuid, True)
    try:
        # The state (read again by htmx on the lifecycle event), the Interfaces card and the top bar's jobs (jobs.js) listen on the page's one socket.
        wait_for_js(page, "document.querySelector('h1 [data-state]').dataset.state === 'running'",
                    timeout=10000)
        assert len([url for url in sockets if url.endswith("/ws/v1/events")]) == 1, sockets
    finally:
        set_running(second_page, uuid, False)  # the dashboard's browser test starts it from shut off


TERMINAL_TEXT = ("(() => { const b = window.serialConsole.term.buffer.active; let t = ''; "
                 "for (let i = 0; i < b.length; i++) t += b.getLine(i).translateToString(true) + '\\n'; return t; })()")
SCREEN_COLOURS = """(() => {
    const canvas = document.querySelector('[data-field=screen] canvas');
    if (!canvas || !canvas.width) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * 97) seen.add(data[i] * 65536 + data[i + 1] * 256 + data[i + 2]);
    return seen.size;
})()"""


def test_the_serial_console_shows_the_waiting_prompt_without_a_key_press(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, True)
    # Once to see the guest at its prompt (it may still be booting), then again on the idle guest: a serial line
    # keeps nothing, so what the second page shows it got by waking the prompt. No key is pressed on either.
    sent = []
    page.on("websocket", lambda socket: "/serial" in socket.url and socket.on(
        "framesent", lambda payload: sent.append(payload)))
    for _ in range(2):
        page.goto(f"/domains/{uuid}/")
        sent.clear()
        page.goto(f"/domains/{uuid}/console/serial/")
        wait_for_js(page, "document.querySelector('[data-field=status]').textContent.startsWith('connected')")
        wait_for_js(page, f"{TERMINAL_TEXT}.includes('/ # ')", timeout=20000)
    fits_a_phone(page, "console-serial-running", SHOTS)
    # The idle guest's prompt came from the page's one carriage return (serial.js, "Waking the prompt").
    assert b"\r" in sent

    # The domain stopping ends the session: the page says so in words and offers Start (the admin may).
    set_running(second_page, uuid, False)
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent.includes('is not running')",
                timeout=10000)
    assert page.get_by_role("button", name="Start", exact=True).is_visible()


def test_the_vnc_page_sends_key_combinations_and_goes_full_screen(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, True)
    frames = []
    page.on("websocket", lambda socket: "/vnc" in socket.url and socket.on(
        "framesent", lambda payload: isinstance(payload, bytes) and frames.append(payload)))
    page.goto(f"/domains/{uuid}/console/vnc/")
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent === 'connected'", timeout=15000)
    wait_for_js(page, f"{SCREEN_COLOURS} > 1", timeout=20000)
    fits_a_phone(page, "console-vnc-running", SHOTS)
    page.evaluate("""() => {
        const rfb = window.vncConsole.rfb;
        const send = rfb.sendKey.bind(rfb);
        window.keysSent = [];
        rfb.sendKey = (keysym, code, down) => { window.keysSent.push([code, down]); send(keysym, code, down); };
    }""")

    # Ctrl-Alt-F2 (it would switch a guest with a keyboard driver to its second virtual terminal) goes out in order.
    page.get_by_role("button", name="Send keys").click()
    page.get_by_role("button", name="Ctrl-Alt-F2", exact=True).click()
    assert page.evaluate("window.keysSent") == [
        ["ControlLeft", True], ["AltLeft", True], ["F2", True], ["F2", False], ["AltLeft", False],
        ["ControlLeft", False]]
    # ...and they left on the screen's socket to the guest: RFB key events (QEMU's extended ones too) carry the
    # keysym as 4 bytes, once pressed and once released.
    f2 = (0xffbf).to_bytes(4, "big")
    wait_for_js(page, "window.keysSent.length === 6")
    page.wait_for_timeout(300)
    assert b"".join(frames).count(f2) == 2

    # Full screen on the screen itself: its button in, the keyboard shortcut out.
    page.get_by_role("button", name="Full screen").click()
    wait_for_js(page, "document.fullscreenElement === document.querySelector('[data-field=screen]')")
    page.keyboard.press("Control+Alt+Enter")
    wait_for_js(page, "document.fullscreenElement === null")
    assert page.inner_text("[data-field=status]") == "connected"


def test_a_console_page_of_a_stopped_domain_says_so_and_starts_it(logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    set_running(second_page, uuid, False)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"/domains/{uuid}/console/vnc/")
    assert page.inner_text("[data-field=status]") == "'demo' is not running: start it to use its screen."
    page.wait_for_timeout(500)
    assert not [url for url in sockets if "/vnc" in url]  # no console socket for a domain that does not run

    page.get_by_role("button", name="Start", exact=True).click()
    try:
        wait_for_js(page, "document.querySelector('[data-field=status]').textContent === 'connected'",
                    timeout=15000)
        assert page.get_by_role("button", name="Start", exact=True).is_hidden()
    finally:
        set_running(second_page, uuid, False)
    # The domain stopping elsewhere: the page says so again, and nothing reached the browser's console as an error.
    wait_for_js(page, "document.querySelector('[data-field=status]').textContent.includes('is not running')",
                timeout=10000)
    assert not errors
