"""Every page answers with the Content-Security-Policy, and no template needs an inline script to work."""

import re
import uuid
from pathlib import Path

import pytest

from tests.access.routes import http_routes

REPO = Path(__file__).resolve().parents[2]
# What a URL converter or regex group gets: a value of the right shape, whether or not the object exists.
SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1", "slug": "general", "str": "start", "path": "x"}


def concrete(pattern):
    """A URL for pattern: <conv:name> and regex groups filled in with a sample value."""
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], pattern)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    return "/" + url.lstrip("^").rstrip("$").replace("\\", "")


def page_urls():
    urls = {concrete(route.pattern) for route in http_routes()}
    return sorted(urls | {"/admin/", "/admin/login/", "/no-such-page/", "/api/v1/docs/?script="})


@pytest.mark.django_db
def test_every_page_answers_with_the_content_security_policy(client, owner):
    client.force_login(owner)
    missing = []
    for url in page_urls():
        response = client.get(url)
        policy = response.headers.get("Content-Security-Policy", "")
        if "script-src 'self'" not in policy or "'unsafe-inline'" in policy.split("script-src", 1)[1].split(";")[0]:
            missing.append(f"{url} ({response.status_code})")
    assert not missing, "pages without a strict script policy: " + ", ".join(missing)


def test_the_policy_allows_no_inline_script_and_no_framing(client):
    policy = client.get("/login/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))

    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_no_template_has_an_inline_script_or_a_handler_attribute():
    offenders = []
    for template in sorted((REPO / "templates").rglob("*.html")) + sorted((REPO / "qemu_extras").rglob("*.html")):
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{template.relative_to(REPO)}: inline {match.group(0)}")
        for match in re.finditer(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", text):
            offenders.append(f"{template.relative_to(REPO)}: handler attribute in {match.group(0)[:60]}…")
    assert not offenders, "move these to an ES module under static/js:\n" + "\n".join(offenders)
