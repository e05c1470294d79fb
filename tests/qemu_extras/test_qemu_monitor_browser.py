"""The monitor page in Debian's Chromium against a real Daphne: commands, completion, history, errors, events."""

import re

import pytest

from tests.browser_support import accept_confirmation, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.embedded, pytest.mark.timeout(180)]


def demo_uuid(page):
    page.goto("/")
    href = page.get_attribute("tr:has(a:text('demo')) a", "href")
    return re.search(r"/domains/([0-9a-f-]{36})/", href).group(1)


def press_action(page, uuid, label):
    page.goto(f"/domains/{uuid}/")
    button = page.get_by_role("button", name=label, exact=True)
    asks = button.get_attribute("data-confirm")
    button.click()
    if asks:
        with page.expect_navigation():
            accept_confirmation(page)  # force off and reset ask first
    page.wait_for_selector(".msg-success")


def send(page, text):
    page.fill("#monitor-input", text)
    page.press("#monitor-input", "Enter")


def test_the_monitor_page_runs_commands_completes_names_and_streams_filtered_events(
        logged_in_page, second_page):
    page = logged_in_page
    uuid = demo_uuid(page)
    page.goto(f"/domains/{uuid}/")
    if page.get_attribute("h1 [data-state]", "data-state") != "running":
        press_action(page, uuid, "Start")
    page.goto(f"/domains/{uuid}/")
    page.click("text=Open the QEMU monitor")
    wait_for_js(page, "document.getElementById('monitor-status').textContent === 'Connected to QEMU.'")
    wait_for_js(page, "document.querySelectorAll('#monitor-commands option').length > 100")

    page.fill("#monitor-input", "query-statu")
    page.press("#monitor-input", "Tab")
    assert page.input_value("#monitor-input") == "query-status"
    page.press("#monitor-input", "Enter")
    result = page.wait_for_selector(".monitor-result")
    assert '"status": "running"' in result.inner_text()
    assert page.input_value("#monitor-input") == ""  # sent: the field is ready for the next

    page.check("#monitor-hmp")
    send(page, "info name")
    wait_for_js(page, "document.querySelectorAll('.monitor-result').length === 2")
    page.uncheck("#monitor-hmp")
    send(page, '{"execute": "query-nothing-such"}')
    error = page.wait_for_selector(".monitor-error")
    assert "no QMP command 'query-nothing-such'" in error.inner_text()
    page.press("#monitor-input", "ArrowUp")
    assert page.input_value("#monitor-input") == '{"execute": "query-nothing-such"}'

    page.fill("#event-filter", "STOP RESUME")
    page.click("#event-filter-form button")
    press_action(second_page, uuid, "Pause")
    press_action(second_page, uuid, "Resume")
    wait_for_js(page, "document.getElementById('event-log').textContent.includes('RESUME')", timeout=10000)
    log = page.inner_text("#event-log")
    assert "STOP" in log and "RESUME" in log
    press_action(second_page, uuid, "Force off")
