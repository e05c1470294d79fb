"""In Debian's Chromium on the demo domain's page: Undefine opens from the More menu by keyboard with the focus in
its name field, asks first, and a refused undefine comes back with what was typed, the field marked and focused."""

import pytest

from tests.browser_support import accept_confirmation, wait_for_js

pytestmark = pytest.mark.browser


def test_a_refused_undefine_keeps_the_typed_name_and_focuses_it(logged_in_page):
    page = logged_in_page
    page.goto("/")
    page.get_by_role("link", name="demo").click()
    wait_for_js(page, "document.body.dataset.live === 'connected'")  # the page's scripts run

    # The keyboard alone: the More menu, Undefine…, and the focus lands in the name field.
    page.focus("#domain-actions [data-more-actions]")
    page.keyboard.press("Enter")
    page.locator("#domain-actions [data-action=undefine]").focus()
    page.keyboard.press("Enter")
    wait_for_js(page, "document.activeElement && document.activeElement.name === 'confirm_name'")
    page.keyboard.type("not-demo")
    page.check("#undefine-keep-nvram")
    page.get_by_role("button", name="Undefine demo").click()
    with page.expect_navigation():
        assert accept_confirmation(page) == "Undefine demo?"

    field = page.locator("#undefine-confirm-name")
    assert field.input_value() == "not-demo"
    assert "is-invalid" in field.get_attribute("class")
    assert page.locator("#undefine-keep-nvram").is_checked()
    assert page.locator("#undefine-confirm-name-error").is_visible()
    wait_for_js(page, "document.activeElement && document.activeElement.id === 'undefine-confirm-name'")
    assert page.locator(".msg-error").count() == 1  # the refusal in its own words, as a toast


def test_the_actions_state_and_facts_follow_a_start_made_elsewhere_without_a_reload(logged_in_page, second_page):
    page = logged_in_page
    page.goto("/")
    page.get_by_role("link", name="demo").click()
    wait_for_js(page, "document.body.dataset.live === 'connected'")
    if page.get_attribute("h1 [data-state]", "data-state") != "shutoff":
        pytest.skip("the demo guest is not shut off")
    page.evaluate("window.notReloaded = true")
    assert page.locator("#domain-actions [data-action=start]").count() == 1

    second_page.goto(page.url)
    second_page.get_by_role("button", name="Start", exact=True).click()
    second_page.wait_for_selector(".msg-success")
    try:
        # htmx reads the summary again on this domain's lifecycle event: actions, state and facts in place.
        wait_for_js(page, "!!document.querySelector('#domain-actions [data-action=shutdown]')", timeout=15000)
        wait_for_js(page, "document.querySelector('h1 [data-state]').dataset.state === 'running'", timeout=15000)
        assert page.locator("#domain-facts [data-field=state-words]").inner_text().startswith("Running")
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("#domain-actions [data-action=start]").count() == 0
    finally:
        second_page.goto(page.url)
        second_page.get_by_role("button", name="Force off", exact=True).click()
        with second_page.expect_navigation():
            accept_confirmation(second_page)


def test_a_read_of_the_actions_that_comes_back_while_the_menu_is_open_waits_until_the_menu_is_left(logged_in_page):
    page = logged_in_page
    page.goto("/")
    page.get_by_role("link", name="demo").click()
    wait_for_js(page, "document.body.dataset.live === 'connected'")
    page.evaluate("window.reads = 0; document.body.addEventListener('htmx:afterRequest', () => { window.reads += 1; })")
    page.focus("#domain-actions [data-more-actions]")
    page.keyboard.press("Enter")
    # A read asked for before the menu opened (a lifecycle event), answered while it is open: not put in place.
    page.evaluate("document.body.dispatchEvent(new CustomEvent('vc:domain-lifecycle'))")
    wait_for_js(page, "window.reads === 1")
    assert page.evaluate("document.activeElement.isConnected && "
                         "document.activeElement.matches('#domain-actions [data-more-actions]')")
    assert page.locator("#domain-actions [data-action=undefine]").is_visible()
    # Once the focus leaves the card, the card is read again and put in place.
    page.evaluate("document.activeElement.blur()")
    wait_for_js(page, "window.reads === 2")
