"""The page tests' crawl, shared by their test files: a signed-in persona follows every link it is shown (one page
per URL name) and each page is checked at a desktop's and a phone's size.

Checks, at 1440x900 and 390x844:
- nothing is wider than the screen;
- no error reaches the browser's console (scripts, failed loads, refused styles);
- axe-core (node_modules, served like every front-end library) finds no serious or critical violation;
- no link leads to a page the server refuses (403) or does not know (404);
- no form (or htmx request) posts where the server would refuse this persona: asked of the served console's own
  permission check (served_probe.py), route by route.
"""

import time
from collections import deque
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from tests.browser_support import sign_in
from tests.ui.conftest import refused_controls

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
# Not pages: downloads, the API, Django's admin (its own product, linked only for staff), static files.
NOT_PAGES = ("/api/", "/admin/", "/static/", "/logout/")

FORMS_AND_REQUESTS = """() => {
  const seen = [];
  for (const form of document.querySelectorAll('form')) {
    const method = (form.getAttribute('method') || 'get').toUpperCase();
    if (method !== 'GET') seen.push([method, new URL(form.getAttribute('action') || location.href, location.href).pathname]);
    for (const button of form.querySelectorAll('[formaction]'))
      seen.push([method, new URL(button.getAttribute('formaction'), location.href).pathname]);
  }
  for (const verb of ['post', 'put', 'patch', 'delete'])
    for (const element of document.querySelectorAll(`[hx-${verb}]`))
      seen.push([verb.toUpperCase(), new URL(element.getAttribute(`hx-${verb}`), location.href).pathname]);
  return seen;
}"""
LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter((a) => !a.hasAttribute('download') && a.origin === location.origin)
  .map((a) => a.pathname + a.search)"""
AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}"""


def url_name(path):
    try:
        return resolve(urlsplit(path).path).url_name
    except Resolver404:
        return None


class RequestsInFlight:
    """Counts the page's HTTP requests under way (its websockets are not requests), to tell when it has settled.

    Playwright's "networkidle" waits for half a second without any request on every page: most of a crawl's
    time, spent after the page was whole. Waiting for the last request to end, then for a tenth of a
    second in which none starts, sees the same page sooner.
    """

    QUIET_SECONDS = 0.1

    def __init__(self, page):
        self.count = 0
        self.changed = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request):
        self.count += 1
        self.changed = time.monotonic()

    def _ended(self, _request):
        self.count = max(0, self.count - 1)
        self.changed = time.monotonic()

    def settle(self, page, timeout=30):
        """Return once the page is loaded and no request has been under way for QUIET_SECONDS."""
        page.wait_for_load_state("load")
        deadline = time.monotonic() + timeout
        while self.count or time.monotonic() - self.changed < self.QUIET_SECONDS:
            if time.monotonic() > deadline:
                raise AssertionError(f"{page.url}: {self.count} requests still under way after {timeout} s")
            page.wait_for_timeout(20)  # Playwright delivers the request events while it waits


def check_page(page, label, shots, in_flight):
    """The problems of the page loaded in page, at both sizes (the phone's by resizing the loaded page: one load)."""
    problems = []
    in_flight.settle(page)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        # Two animation frames: the resize has been laid out and the page's resize handlers have run.
        page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{label} ({size}): the page is {wide} px wide on a {width} px screen")
        problems += [f"{label} ({size}): axe: {found}" for found in page.evaluate(AXE)]
        if shots:
            page.screenshot(path=str(shots / f"{label}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    return problems


def crawl(browser, base_url, var, username, password, starts, only=(), shots=None, follow=None):
    """(problems, names of the pages reached) of username's walk from the paths starts, in that order.

    Every page reached is followed for its links (those for which follow(path) is true, when given); only those
    whose URL name is in only (all when empty) are checked at both sizes, with a screenshot into the folder shots
    if given.
    """
    context, page = sign_in(browser, base_url, username, password, viewport={"width": 1440, "height": 900})
    in_flight = RequestsInFlight(page)
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(
        f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))

    only = set(only)
    problems, posts = [], set()
    done_names = set()
    queue = deque(starts)
    while queue:
        path = queue.popleft()
        name = url_name(path)
        if name is None or name in done_names or path.startswith(NOT_PAGES):
            continue
        done_names.add(name)
        answer = page.goto(path)
        if answer.status >= 400:
            problems.append(f"{path}: a link the persona is shown answers {answer.status}")
            continue
        if not only or name in only:
            problems += check_page(page, name, shots, in_flight)
        posts.update((username, method, target) for method, target in page.evaluate(FORMS_AND_REQUESTS)
                     if url_name(target))
        queue.extend(link for link in page.evaluate(LINKS)
                     if url_name(link) not in done_names and (follow is None or follow(link)))
    context.close()

    for _, method, path, permission in refused_controls(var, sorted(posts)):
        problems.append(f"a form posts {method} {path}, which the server refuses this persona (needs {permission})")
    problems += [f"console error: {text}" for text in console_errors]
    return problems, done_names
