"""Tags: set on a domain (API and page) by who may write it, checked, audited, and found by in the lists."""

import re

import pytest

from domains.access.models import AuditEntry
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.tags.models import DomainTag

pytestmark = pytest.mark.django_db


def tags_of(domain):
    return list(DomainTag.objects.filter(domain=domain).values_list("name", flat=True))


def listed(client, query=""):
    return re.findall(r'<tr data-uuid="[^"]+" data-host="\d+" data-name="([^"]+)"', client.get(f"/{query}").content.decode())


@pytest.fixture
def domains(make_test_host):
    host = make_test_host(domains=3)
    inventory.sync_host(host)  # the rows, as a first listing makes them
    return {row.name: row for row in Domain.objects.filter(host=host)}


def test_a_put_replaces_the_tags_lower_cased_once_each_sorted_and_audits_before_and_after(api_as, owner, domains):
    api = api_as(owner)
    vm = domains["vm0000"]

    answer = api.put(f"/api/v1/domains/{vm.uuid}/tags", {"tags": ["Web", "staging", "web", " db-1 "]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"tags": ["db-1", "staging", "web"]}
    assert api.get(f"/api/v1/domains/{vm.uuid}/tags").json() == {"tags": ["db-1", "staging", "web"]}

    assert api.put(f"/api/v1/domains/{vm.uuid}/tags", {"tags": ["web"]}, format="json").json() == {"tags": ["web"]}
    assert tags_of(vm) == ["web"]
    entry = AuditEntry.objects.filter(action="domain.tags").latest("id")
    assert entry.outcome == "ok"
    assert entry.parameters == {"tags": ["web"], "before": ["db-1", "staging", "web"]}

    assert api.put(f"/api/v1/domains/{vm.uuid}/tags", {"tags": []}, format="json").json() == {"tags": []}
    assert tags_of(vm) == []


@pytest.mark.parametrize("body, words", [
    ({"tags": ["web", "has space"]}, "Not a tag: has space."),
    ({"tags": ["-leading"]}, "Not a tag: -leading."),
    ({"tags": ["x" * 41]}, "Not a tag: " + "x" * 41),
    ({"tags": [f"t{n}" for n in range(21)]}, "21 tags given, at most 20 are kept per domain"),
    ({"tags": "web"}, "Give the tags as a list of words"),
    ({"tags": [1, 2]}, "Give the tags as a list of words"),
    ({}, 'Send {"tags": ["web", ...]}'),
])
def test_bad_tags_are_refused_saying_what_is_wrong_and_nothing_changes(api_as, owner, domains, body, words):
    api = api_as(owner)
    vm = domains["vm0000"]
    api.put(f"/api/v1/domains/{vm.uuid}/tags", {"tags": ["kept"]}, format="json")

    answer = api.put(f"/api/v1/domains/{vm.uuid}/tags", body, format="json")

    assert answer.status_code == 400
    assert words in answer.json()["message"]
    assert "tags" in answer.json()["fields"]
    assert tags_of(vm) == ["kept"]


def test_tagging_needs_write_on_the_domain_and_a_refusal_is_audited(api_as, teammate, outsider, grant, domains):
    vm = domains["vm0000"]
    grant("Viewer", domain=vm)

    refused = api_as(teammate).put(f"/api/v1/domains/{vm.uuid}/tags", {"tags": ["mine"]}, format="json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == {"permission": "write"}
    assert AuditEntry.objects.filter(action="domain.tags", actor_name="bob", outcome="denied").exists()
    assert api_as(teammate).get(f"/api/v1/domains/{vm.uuid}/tags").status_code == 200
    assert api_as(outsider).get(f"/api/v1/domains/{vm.uuid}/tags").status_code == 404
    assert tags_of(vm) == []


def test_the_api_list_filters_by_tag_and_shows_each_domains_tags(api_as, owner, domains):
    api = api_as(owner)
    for name, tags in (("vm0000", ["web"]), ("vm0001", ["web", "prod"])):
        api.put(f"/api/v1/domains/{domains[name].uuid}/tags", {"tags": tags}, format="json")

    rows = api.get("/api/v1/domains?tag=web").json()["results"]
    assert [(row["name"], row["tags"]) for row in rows] == [("vm0000", ["web"]), ("vm0001", ["prod", "web"])]
    assert [row["name"] for row in api.get("/api/v1/domains?tag=PROD").json()["results"]] == ["vm0001"]
    assert api.get("/api/v1/domains?tag=none").json()["results"] == []
    assert api.get(f"/api/v1/domains/{domains['vm0002'].uuid}").json()["tags"] == []


def test_the_domain_list_filters_by_tag_offers_the_tags_in_use_and_links_each_badge(client, owner, api_as, domains):
    api_as(owner).put(f"/api/v1/domains/{domains['vm0001'].uuid}/tags", {"tags": ["web"]}, format="json")
    client.force_login(owner)

    assert listed(client, "?tag=web") == ["vm0001"]
    assert listed(client, "?tag=Web") == ["vm0001"]
    assert "vm0000" in listed(client) and "vm0002" in listed(client)
    page = client.get("/").content.decode()
    assert '<option value="web">web</option>' in page
    assert 'href="/?tag=web"' in page


def test_a_user_without_tags_in_sight_gets_no_tag_filter(client, owner, teammate, grant, api_as, domains):
    api_as(owner).put(f"/api/v1/domains/{domains['vm0001'].uuid}/tags", {"tags": ["secret-project"]}, format="json")
    grant("Viewer", domain=domains["vm0000"])
    client.force_login(teammate)

    page = client.get("/").content.decode()
    assert "secret-project" not in page
    assert 'id="domain-tag"' not in page


def test_the_domain_page_form_sets_tags_and_a_refused_one_keeps_what_was_typed(client, owner, domains):
    vm = domains["vm0000"]
    client.force_login(owner)
    assert 'id="domain-tags-input"' in client.get(f"/domains/{vm.uuid}/").content.decode()

    done = client.post(f"/domains/{vm.uuid}/tags/", {"tags": "web, Staging"}, follow=True)
    assert tags_of(vm) == ["staging", "web"]
    assert "Tags saved: staging, web." in done.content.decode()

    refused = client.post(f"/domains/{vm.uuid}/tags/", {"tags": "web bad/tag"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'value="web bad/tag"' in page
    assert "is-invalid" in page and "Not a tag: bad/tag." in page
    assert tags_of(vm) == ["staging", "web"]


def test_the_form_is_absent_without_write_and_its_post_refused(client, teammate, grant, domains):
    vm = domains["vm0000"]
    grant("Operator", domain=vm)
    client.force_login(teammate)

    assert 'id="domain-tags-input"' not in client.get(f"/domains/{vm.uuid}/").content.decode()
    assert client.post(f"/domains/{vm.uuid}/tags/", {"tags": "mine"}).status_code == 403
    assert tags_of(vm) == []
