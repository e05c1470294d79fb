"""In Debian's Chromium: log in, see the demo domain, start it, see it running."""

import pytest

from tests.browser_support import accept_confirmation

pytestmark = pytest.mark.browser


def test_an_admin_logs_in_sees_the_demo_domain_starts_it_and_sees_it_running(logged_in_page, tmp_path):
    page = logged_in_page

    page.get_by_role("link", name="demo").click()
    page.get_by_role("button", name="Start", exact=True).click()

    page.wait_for_selector(".msg-success")
    assert "'demo' started." in page.inner_text(".messages")
    page.goto("/")
    assert page.inner_text("tr:has(a:text('demo')) [data-field=state]") == "running"
    page.screenshot(path=str(tmp_path / "dashboard.png"))

    page.goto("/")
    page.get_by_role("link", name="demo").click()
    page.get_by_role("button", name="Force off").click()
    # Forcing off asks first, saying what is lost.
    with page.expect_navigation():
        assert accept_confirmation(page) == "Force off demo?"
    page.wait_for_selector(".msg-success")


def test_a_wrong_password_is_refused_with_a_clear_message(browser, served_console):
    base_url, username = served_console[:2]
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")

    assert "did not match" in page.inner_text("main")
    context.close()
