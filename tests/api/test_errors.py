"""Failures of API v1 answer the one error shape, even where no view answers."""

import pytest
from rest_framework.authtoken.models import Token


@pytest.fixture
def token_headers(owner):
    # A token row written directly: no action makes tokens (the My account page writes this same row).
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=owner).key}"}


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]


def test_an_unknown_api_path_answers_404_in_the_error_shape(client, token_headers):
    response = client.get("/api/v1/domains/not-a-uuid", **token_headers)

    assert_error_shape(response, 404, "not_found")
    assert "/api/v1/domains/not-a-uuid" in response.json()["message"]


def test_an_unknown_api_path_answers_404_to_a_post_without_csrf_too(client, token_headers):
    client.handler.enforce_csrf_checks = True

    assert_error_shape(client.post("/api/v1/nothing/here", {}, **token_headers), 404, "not_found")


def test_an_anonymous_request_is_refused_in_the_error_shape(client, db):
    assert_error_shape(client.get("/api/v1/domains"), 403, "not_authenticated")


def test_a_bad_host_filter_names_the_field(client, token_headers):
    response = client.get("/api/v1/domains?host=abc", **token_headers)

    assert_error_shape(response, 400, "invalid")
    assert response.json()["fields"] == {"host": ["Give a host id."]}


def test_the_domain_list_paginates_and_filters(client, token_headers, make_test_host):
    host = make_test_host("listing", domains=3, running=(1,))

    page = client.get(f"/api/v1/domains?host={host.pk}&limit=2", **token_headers).json()
    running = client.get(f"/api/v1/domains?host={host.pk}&state=running", **token_headers).json()

    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [item["name"] for item in running["results"]] == ["vm0001"]


def test_the_catch_all_route_stays_last():
    from domains.api import urls
    from domains.api.errors import unknown_endpoint

    assert urls.urlpatterns[-1].callback is unknown_endpoint
    assert all(pattern.callback is not unknown_endpoint for pattern in urls.urlpatterns[:-1])


def test_options_describes_a_view_without_looking_anything_up(client, token_headers):
    response = client.options("/api/v1/hosts", **token_headers)

    assert response.status_code == 200
    assert "actions" not in response.json()
