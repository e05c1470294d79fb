"""Every page each persona reaches, in Debian's Chromium at a desktop's and a phone's size.

From the overview the test follows every link a persona is shown (one page per kind of page: the first link to
each URL name) and on each page checks, at 1440x900 and 390x844:
- nothing is wider than the screen;
- no error reaches the browser's console (scripts, failed loads, refused styles);
- axe-core (node_modules, served like every front-end library) finds no serious or critical violation;
- no link leads to a page the server refuses (403) or does not know (404);
- no form (or htmx request) posts where the server would refuse this persona: asked of the served console's own
  permission check (served_probe.py), route by route.
The crawl and its checks live in crawl.py (the host pages' test walks the same way).
Set VC_UI_SHOTS to a folder to keep a screenshot of each page at both sizes there, and VC_UI_ONLY to URL names
(comma-separated) to check only those pages while working on them (every page is still followed).
"""

import os
from pathlib import Path

import pytest

from tests.ui.crawl import crawl

pytestmark = pytest.mark.browser

PERSONAS = ["admin", "power", "operator", "console", "viewer"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_a_persona_reaches_fits_reads_and_offers_only_what_the_server_allows(browser, ui_console, persona):
    base_url, var, personas = ui_console
    username = personas[persona]
    shots = None
    if os.environ.get("VC_UI_SHOTS"):
        shots = Path(os.environ["VC_UI_SHOTS"]) / persona
        shots.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, os.environ.get("VC_UI_ONLY", "").split(",")))
    problems, done_names = crawl(browser, base_url, var, username, personas["password"],
                                 ["/", f"/domains/{personas['demo']}/"], only, shots)
    assert not problems, f"{persona} ({len(done_names)} pages):\n" + "\n".join(problems)
    assert len(done_names) >= 3
