"""In Debian's Chromium: edit the demo guest's vCPUs by form, its XML in CodeMirror (errors at their line), roll back."""

import re

import pytest

from tests.browser_support import accept_confirmation

pytestmark = pytest.mark.browser


def settled(page):
    """Wait for the answer to a form: a message or the problems box; fail with the page's text otherwise."""
    page.wait_for_selector(".messages, .definition-issues, .error")
    problems = page.locator(".definition-issues, p.error")
    return page.inner_text("main") + (" PROBLEMS: " + problems.first.inner_text() if problems.count() else "")


def open_definition(page):
    page.goto("/")
    page.get_by_role("link", name="demo", exact=True).click()
    page.get_by_role("link", name="Definition").click()
    page.wait_for_selector("#cpu")


def line_of(page, text):
    """The 1-based editor line holding text."""
    return page.evaluate("""text => {
        const editor = window.definitionEditor;
        for (let i = 0; i < editor.lineCount(); i++) { if (editor.getLine(i).includes(text)) return i + 1; }
        return 0;
    }""", text)


def type_at_line_start(page, line, text):
    """Put the cursor at the start of a line, as a click there would, and type like a user."""
    page.click(".CodeMirror")
    page.evaluate("line => { window.definitionEditor.focus(); window.definitionEditor.setCursor({line: line - 1, ch: 0}); }",
                  line)
    page.keyboard.type(text)


def issue_widget_line(page):
    """(line number the widget names, line number of the editor line it is attached under)."""
    return page.evaluate("""() => {
        const widget = document.querySelector('.xml-issue-widget');
        if (!widget) return null;
        const wrapper = widget.closest('.CodeMirror-linewidget').parentElement;
        const number = wrapper.querySelector('.CodeMirror-linenumber').textContent;
        return [parseInt(widget.dataset.line, 10), parseInt(number, 10)];
    }""")


def test_an_admin_edits_vcpus_by_form_edits_raw_xml_with_errors_at_their_line_and_rolls_back(logged_in_page, tmp_path):
    page = logged_in_page
    open_definition(page)
    first = re.search(r"Revision (\d+)", page.inner_text("main")).group(1)

    # vCPUs by form
    page.fill("#cpu input[name=max_vcpus]", "2")
    page.fill("#cpu input[name=vcpus]", "1")
    page.get_by_role("button", name="Save vCPUs").click()
    text = settled(page)
    assert "vCPUs saved: revision" in text, text[-1500:]
    assert page.input_value("#cpu input[name=max_vcpus]") == "2"

    # Raw XML in CodeMirror: an unknown element is typed, Validate marks its line
    page.get_by_role("link", name="XML editor").click()
    page.wait_for_selector(".CodeMirror-linenumber")
    assert page.locator(".CodeMirror .cm-tag").count() > 10  # highlighted
    line = line_of(page, "<on_crash>")
    type_at_line_start(page, line, "<bogus-element/>")
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector(".xml-issue-widget")
    assert issue_widget_line(page) == [line, line]
    assert "problem" in page.inner_text("#validation-result")

    # Saving it anyway: refused, the typed text stays in the editor with the error under its line
    page.get_by_role("button", name="Save definition").click()
    page.wait_for_selector(".definition-issues")
    assert "was not changed" in page.inner_text(".definition-issues")
    assert line_of(page, "<bogus-element/>") == line
    assert issue_widget_line(page) == [line, line]
    page.screenshot(path=str(tmp_path / "editor-error.png"))

    # Fixed and saved
    page.evaluate("line => window.definitionEditor.replaceRange('', {line: line - 1, ch: 0}, "
                  "{line: line - 1, ch: '<bogus-element/>'.length})", line)
    type_at_line_start(page, line_of(page, "<memory"),
                       "  <metadata><app:note xmlns:app='https://example.org/app'>browser</app:note></metadata>\n")
    page.get_by_role("button", name="Save definition").click()
    text = settled(page)
    assert "Definition saved: revision" in text, text[-1500:]

    # Roll back to the first revision
    page.get_by_role("link", name="History").click()
    page.get_by_role("button", name=f"Roll back to {first}", exact=True).click()
    page.wait_for_selector("#confirm-dialog.show [data-confirm-accept]")
    assert "vCPUs: 1/2 → 1/1" in page.inner_text("#confirm-dialog [data-confirm-details]")  # what changes
    assert accept_confirmation(page) == f"Roll demo back to revision {first}?"
    assert f"Rolled back to revision {first}" in settled(page)
    open_definition(page)
    assert page.input_value("#cpu input[name=max_vcpus]") == "1"


EDITOR_AXE = """async () => {
  const result = await axe.run(document.querySelector('.CodeMirror').closest('.card'),
                               {runOnly: ['color-contrast', 'label', 'scrollable-region-focusable', 'aria-allowed-attr']});
  return result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_xml_editor_is_labelled_reachable_and_readable_in_both_colour_modes(logged_in_page, scheme, tmp_path):
    page = logged_in_page
    page.emulate_media(color_scheme=scheme)
    open_definition(page)
    for link in ("XML editor", "History"):
        page.get_by_role("link", name=link, exact=True).click()
        if link == "History":
            page.locator("table.revisions a").first.click()
        page.wait_for_selector(".CodeMirror-linenumber")
        assert page.get_attribute("html", "data-bs-theme") == scheme
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
        assert page.evaluate(EDITOR_AXE) == [], link
        # The typing area is named; its scroll area takes the keyboard focus.
        assert page.get_attribute(".CodeMirror textarea", "aria-label").endswith(")")
        assert page.get_attribute(".CodeMirror-scroll", "tabindex") == "0"
        background = page.evaluate("getComputedStyle(document.querySelector('.CodeMirror')).backgroundColor")
        red = int(re.search(r"\d+", background).group(0))
        assert (red < 100) == (scheme == "dark"), background
        page.screenshot(path=str(tmp_path / f"editor-{link}-{scheme}.png"))
