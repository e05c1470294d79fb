"""Redirect targets from the request stay on this site, and a new API token never leaves the page that shows it."""

import pytest
from rest_framework.authtoken.models import Token

from domains.access.models import Grant
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

OTHER_SITES = ["https://evil.example/phish", "//evil.example/phish", "https:evil.example", "/\\evil.example"]


@pytest.mark.parametrize("target", OTHER_SITES)
def test_a_login_does_not_redirect_to_another_site(client, teammate, target):
    answer = client.post(f"/login/?next={target}", {"username": "bob", "password": "bob-pass-123",
                                                    "next": target})
    assert answer.status_code == 302
    assert "evil.example" not in answer["Location"]


def test_a_login_goes_on_to_a_page_of_this_site(client, teammate):
    answer = client.post("/login/", {"username": "bob", "password": "bob-pass-123", "next": "/hosts/"})
    assert answer["Location"] == "/hosts/"


@pytest.fixture
def revocable(make_test_host, owner, grant):
    """The teammate's grant on a domain, and the owner, who may revoke it."""
    host = make_test_host("redirects", domains=1)
    inventory.sync_host(host)
    domain = Domain.objects.get(host=host, name="vm0000")
    return grant("Viewer", domain=domain), owner


@pytest.mark.parametrize("target", OTHER_SITES)
def test_revoking_a_grant_does_not_redirect_to_another_site(client, revocable, target):
    grant, admin = revocable
    client.force_login(admin)
    answer = client.post(f"/access/grants/{grant.pk}/revoke/", {"next": target})
    assert answer.status_code == 302
    assert answer["Location"] == "/access/"
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_revoking_a_grant_goes_back_to_the_page_it_came_from(client, revocable):
    grant, admin = revocable
    client.force_login(admin)
    back = f"/domains/{grant.domain.uuid}/access/"
    assert client.post(f"/access/grants/{grant.pk}/revoke/", {"next": back})["Location"] == back


def test_a_new_api_token_is_shown_once_and_never_travels_in_a_cookie(client, teammate):
    client.force_login(teammate)
    answer = client.post("/account/", {"token": "create"})
    key = Token.objects.get(user=teammate).key
    assert answer.status_code == 200
    assert key in answer.content.decode()
    assert answer["Cache-Control"] == "no-store"
    assert all(key not in morsel.value for morsel in answer.cookies.values())
    assert all(key not in morsel.value for morsel in client.cookies.values())
    assert key not in client.get("/account/").content.decode()
