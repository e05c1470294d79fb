"""API v1 for hosts, domains and lifecycle actions: the shapes scripts rely on, and one error shape."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from domains.hosts.models import Host
from domains.libvirt.adapter import connection_for
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def host(make_test_host, api):
    host = make_test_host(domains=3, running={0})
    api.get("/api/v1/domains")
    return host


def test_it_lists_domains_with_uuid_name_host_and_state(api, host):
    body = api.get("/api/v1/domains").json()

    assert body["count"] == 3
    first = body["results"][0]
    assert {"uuid", "name", "host", "state"} <= set(first)
    assert {item["state"] for item in body["results"]} == {"running", "shutoff"}


@pytest.mark.parametrize("query, names", [
    ("state=running", ["vm0000"]),
    ("name=0002", ["vm0002"]),
    ("state=shutoff&name=vm", ["vm0001", "vm0002"]),
])
def test_it_filters_domains(api, host, query, names):
    body = api.get(f"/api/v1/domains?{query}").json()

    assert [item["name"] for item in body["results"]] == names


def test_it_filters_by_host(api, host, make_test_host):
    other = make_test_host("other", domains=2)

    body = api.get(f"/api/v1/domains?host={other.pk}").json()

    assert body["count"] == 2
    assert {item["host"] for item in body["results"]} == {other.pk}


def test_it_explains_a_bad_host_filter(api, host):
    response = api.get("/api/v1/domains?host=abc")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "host" in response.json()["fields"]


@pytest.mark.parametrize("value", ["²", "99999999999999999999999"])
def test_a_host_filter_no_host_can_have_answers_a_clear_error_or_nothing_not_a_server_error(api, host, value):
    response = api.get(f"/api/v1/domains?host={value}")

    # "²" is a digit to Python but no number: refused as one; a number past any id: no domains.
    assert response.status_code in (400, 200), response.content
    if response.status_code == 400:
        assert "host" in response.json()["fields"]
    else:
        assert response.json()["count"] == 0


def test_it_shows_one_domain(api, host):
    domain = Domain.objects.get(host=host, name="vm0000")

    body = api.get(f"/api/v1/domains/{domain.uuid}").json()

    assert body["name"] == "vm0000"
    assert body["state"] == "running"
    assert body["host"] == host.pk


def test_it_runs_an_action_and_answers_the_new_state(api, host):
    domain = Domain.objects.get(host=host, name="vm0001")

    response = api.post(f"/api/v1/domains/{domain.uuid}/actions", {"action": "start"}, format="json")

    assert response.status_code == 200
    assert response.json()["domain"]["state"] == "running"
    assert connection_for(host).get().lookupByName("vm0001").isActive()


def test_it_answers_409_with_libvirts_message_for_the_wrong_state(api, host):
    domain = Domain.objects.get(host=host, name="vm0001")

    response = api.post(f"/api/v1/domains/{domain.uuid}/actions", {"action": "resume"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "action_failed"
    assert "not paused" in body["message"]


def test_it_names_the_valid_actions_for_an_unknown_one(api, host):
    domain = Domain.objects.get(host=host, name="vm0001")

    response = api.post(f"/api/v1/domains/{domain.uuid}/actions", {"action": "fly"}, format="json")

    assert response.status_code == 400
    assert "action" in response.json()["fields"]


def test_it_answers_404_in_the_error_shape_for_a_missing_domain(api, host):
    response = api.get("/api/v1/domains/5b0e5b36-1111-4222-8333-444455556666")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_adds_a_host_and_refuses_an_unreachable_one(api):
    created = api.post("/api/v1/hosts", {"name": "t", "uri": "test:///default"}, format="json")
    refused = api.post("/api/v1/hosts", {"name": "far", "uri": "qemu+tcp://127.0.0.1:1/system"}, format="json")

    assert created.status_code == 201
    assert created.json()["state"] == "disconnected"
    assert refused.status_code == 400
    assert "Could not reach" in refused.json()["message"]
    assert not Host.objects.filter(name="far").exists()


def test_it_lists_hosts_with_their_connection_state(api, host):
    body = api.get("/api/v1/hosts").json()

    assert [(item["name"], item["state"]) for item in body["results"]] == [("testhost", "connected")]


def test_it_accepts_a_token(owner, host):
    token = Token.objects.create(user=owner)  # no action makes tokens: the My account page writes this same row
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get("/api/v1/domains").status_code == 200


def test_it_refuses_anonymous_callers_in_the_error_shape(host):
    response = APIClient().get("/api/v1/domains")

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
