"""In Debian's Chromium against a real Daphne: live dashboard, serial console, VNC screen."""

import re

import pytest

from tests.browser_support import serial_shell_answers, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def demo_uuid(page):
    page.goto("/")
    href = page.get_attribute("tr:has(a:text('demo')) a", "href")
    return re.search(r"/domains/([0-9a-f-]{36})/", href).group(1)


def set_running(page, uuid, running):
    """Start or force off the demo guest through its domain page (another session than the one watched)."""
    page.goto(f"/domains/{uuid}/")
    state = page.inner_text("h1 [data-field=state]")
    if (state == "running") == running:
        return
    page.get_by_role("button", name="Start" if running else "Force off", exact=True).click()
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
    # Live graphs follow once stats arrive (every 2 s) for the row on screen.
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
        # The state (live.js), the Interfaces card and the top bar's jobs (jobs.js) listen on the page's one socket.
        wait_for_js(page, "document.querySelector('h1 [data-field=state]').textContent === 'running'",
                    timeout=10000)
        assert len([url for url in sockets if url.endswith("/ws/v1/events")]) == 1, sockets
    finally:
        set_running(second_page, uuid, False)  # the dashboard's browser test starts it from shut off
