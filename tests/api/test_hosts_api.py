"""PATCH and DELETE /api/v1/hosts/{id}: what the hosts page does, through the API."""

import pytest
from rest_framework.authtoken.models import Token

from domains.hosts.models import Host


@pytest.fixture
def as_owner(owner):
    # A token row written directly: no action makes tokens (the My account page writes this same row).
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=owner).key}"}


@pytest.fixture
def as_outsider(outsider):
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=outsider).key}"}


def test_it_renames_and_disables_a_host(client, as_owner, make_test_host):
    host = make_test_host("old-name", domains=1)

    answer = client.patch(f"/api/v1/hosts/{host.pk}", {"name": "new-name", "enabled": False},
                          content_type="application/json", **as_owner)

    assert answer.status_code == 200, answer.content
    assert (answer.json()["name"], answer.json()["enabled"]) == ("new-name", False)
    host.refresh_from_db()
    assert (host.name, host.enabled) == ("new-name", False)


def test_it_refuses_a_uri_it_cannot_use_naming_the_field(client, as_owner, make_test_host):
    host = make_test_host("pointed", domains=1)

    answer = client.patch(f"/api/v1/hosts/{host.pk}", {"uri": "http://example.com/"},
                          content_type="application/json", **as_owner)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_host"
    assert "uri" in answer.json()["fields"]


def test_it_removes_a_host(client, as_owner, make_test_host):
    host = make_test_host("leaving", domains=1)

    assert client.delete(f"/api/v1/hosts/{host.pk}", **as_owner).status_code == 204
    assert not Host.objects.filter(pk=host.pk).exists()
    assert client.get(f"/api/v1/hosts/{host.pk}", **as_owner).status_code == 404


def test_it_refuses_to_remove_the_embedded_host(client, as_owner, db):
    # A raw row: do_add_host refuses embedded hosts (the console runs the one embedded driver itself).
    host = Host.objects.create(name="inside", uri="test:///default", embedded=True)

    answer = client.delete(f"/api/v1/hosts/{host.pk}", **as_owner)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_host"
    assert Host.objects.filter(pk=host.pk).exists()


def test_it_hides_hosts_from_an_outsider(client, as_outsider, make_test_host):
    host = make_test_host("hidden", domains=1)

    assert client.patch(f"/api/v1/hosts/{host.pk}", {"name": "x"}, content_type="application/json",
                        **as_outsider).status_code == 404
    assert client.delete(f"/api/v1/hosts/{host.pk}", **as_outsider).status_code == 404
    assert Host.objects.get(pk=host.pk).name == "hidden"
