"""GET /api/v1/os-variants: the operating systems of Debian's osinfo-db, searched by name or short id."""

import pytest
from rest_framework.test import APIClient

from domains.install import osinfo

pytestmark = pytest.mark.django_db


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_database_is_read_with_sizes_and_firmware_hints():
    debian = osinfo.find("debian11")
    assert debian.name == "Debian 11" and debian.vendor == "Debian Project" and debian.release_date == "2021-08-14"
    assert debian.minimum.memory_mib == 1024 and debian.minimum.disk_gib == 10 and debian.minimum.vcpus == 1
    assert debian.recommended.disk_gib == 20 and debian.recommended.vcpus == 1  # the minimum stands in
    assert "efi" in osinfo.find("centos-stream9").firmware


def test_a_search_finds_an_os_by_name_words_or_short_id(outsider):
    answer = client_of(outsider).get("/api/v1/os-variants", {"search": "debian 11"})
    assert answer.status_code == 200
    assert [row["short_id"] for row in answer.json()["results"]][:1] == ["debian11"]
    by_alias = client_of(outsider).get("/api/v1/os-variants", {"search": "debianbullseye"}).json()["results"]
    assert by_alias[0]["name"] == "Debian 11" and by_alias[0]["recommended"]["memory_mib"] == 1024


def test_the_answer_comes_a_page_at_a_time(outsider):
    page = client_of(outsider).get("/api/v1/os-variants", {"limit": "3"}).json()
    assert len(page["results"]) == 3 and page["count"] > 100 and page["next"]


def test_it_answers_only_a_signed_in_user():
    assert APIClient().get("/api/v1/os-variants").status_code in (401, 403)
