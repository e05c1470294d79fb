"""The definition pages show each persona only what it may do: read-only without write, forms with it."""

import json
import re

import pytest

from tests.definitions.test_definition_pages import post_form

PAGES = ("definition/", "definition/xml/", "definition/history/", "definition/history/1/")
READ_ONLY_ROLES = ("Viewer", "Console user", "Operator")


def page_of(client, domain, path):
    answer = client.get(f"/domains/{domain.uuid}/{path}")
    assert answer.status_code == 200, answer.content.decode()[:2000]
    return answer.content.decode()


def posting_forms(html):
    """The actions of the page's forms that post (a GET form, such as the history's diff picker, changes nothing;
    the navigation's Log out is everyone's)."""
    return [action for method, action in re.findall(r'<form[^>]*method="(\w+)"[^>]*action="([^"]*)"', html)
            if method.lower() == "post" and action != "/logout/"]


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_a_persona_without_write_gets_read_only_definition_pages(client, teammate, grant, vm, role):
    grant(role, domain=vm)
    client.force_login(teammate)
    for path in PAGES:
        html = page_of(client, vm, path)
        assert posting_forms(html) == [], (path, posting_forms(html))
        assert "Save" not in html and "Roll back" not in html, path
    settings = page_of(client, vm, "definition/")
    assert 'id="cpu"' in settings and "read-only-note" in settings and "needs the permission “write”" in settings
    editor = page_of(client, vm, "definition/xml/")
    assert "data-read-only" in editor and "Validate" not in editor and "&lt;domain" in editor


def test_the_history_offers_a_read_only_persona_the_diff_but_no_rollback(client, teammate, grant, vm, signed_in_owner):
    assert post_form(signed_in_owner, vm, "cpu", vcpus="1", max_vcpus="2").status_code == 302
    grant("Viewer", domain=vm)
    client.force_login(teammate)
    history = page_of(client, vm, "definition/history/")
    assert "Show changes" in history and "rollback" not in history.lower().replace("rolling back needs", "")
    assert posting_forms(history) == []


def test_a_writer_gets_the_forms_and_rollback_asks_first_naming_what_changes(signed_in_owner, vm):
    assert post_form(signed_in_owner, vm, "memory", memory="1", memory_unit="GiB", max_memory="1",
                     max_memory_unit="GiB").status_code == 302
    settings = page_of(signed_in_owner, vm, "definition/")
    assert len(posting_forms(settings)) > 10 and "read-only-note" not in settings
    assert 'name="memory" min="0" step="any" required value="1"' in settings  # 1 GiB shown as 1 GiB
    history = page_of(signed_in_owner, vm, "definition/history/")
    form = re.search(r'<form method="post" id="rollback-1"[^>]*>', history).group(0)
    assert 'data-confirm="Roll vm0000 back to revision 1?"' in form
    details = json.loads(re.search(r'data-confirm-details="([^"]*)"', form).group(1).replace("&quot;", '"'))
    assert any(line.startswith("Memory: 1\xa0GiB → ") for line in details), details
    revision = page_of(signed_in_owner, vm, "definition/history/1/")
    assert "data-confirm=" in revision and "Roll back to this revision" in revision


def test_a_refused_form_keeps_what_was_typed_and_points_at_its_fields(signed_in_owner, vm):
    answer = post_form(signed_in_owner, vm, "cpu", vcpus="7", max_vcpus="3")
    html = answer.content.decode()
    assert answer.status_code == 400
    vcpus = re.search(r'<input[^>]*id="cpu-vcpus"[^>]*>', html).group(0)
    assert "is-invalid" in vcpus and 'value="7"' in vcpus and "autofocus" in vcpus
    assert 'aria-describedby="cpu-issues"' in vcpus and 'id="cpu-issues"' in html and "exceed the maximum" in html
    memory = post_form(signed_in_owner, vm, "memory", memory="1.3", memory_unit="MiB", max_memory="2",
                       max_memory_unit="GiB")
    assert memory.status_code == 400 and "whole number of MiB" in memory.content.decode()
    assert 'value="1.3"' in memory.content.decode()


def test_memory_is_typed_in_mib_or_gib(signed_in_owner, vm, test_host):
    from tests.definitions.conftest import inactive_xml

    assert post_form(signed_in_owner, vm, "memory", memory="256", memory_unit="MiB", max_memory="0.5",
                     max_memory_unit="GiB").status_code == 302
    xml = inactive_xml(test_host, "vm0000")
    assert "<memory unit='KiB'>524288</memory>" in xml and "<currentMemory unit='KiB'>262144</currentMemory>" in xml


@pytest.fixture
def signed_in_owner(client, owner):
    from django.test import Client

    other = Client()
    other.force_login(owner)
    return other
