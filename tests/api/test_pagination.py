"""API lists page by limit and offset: the largest page is 1,000 rows, and no number makes them fail."""

from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from domains.api.pagination import Pages


def test_a_limit_above_the_largest_page_is_served_as_the_largest_page():
    request = Request(APIRequestFactory().get("/api/v1/domains", {"limit": "5000"}))
    assert Pages().get_limit(request) == 1000


def test_numbers_past_what_the_database_holds_answer_a_page_not_a_server_error(owner, make_test_host):
    make_test_host("paged", domains=1)
    api = APIClient()
    api.force_authenticate(owner)
    huge = "128889257437662527488"
    everything = api.get(f"/api/v1/hosts?limit={huge}")
    # Every host on one page; the run's embedded host is there too once a test before this one made it.
    assert everything.status_code == 200 and everything.json()["count"] == len(everything.json()["results"])
    assert "paged" in [host["name"] for host in everything.json()["results"]]
    beyond = api.get(f"/api/v1/hosts?offset={huge}")
    assert beyond.status_code == 200 and beyond.json()["results"] == []
