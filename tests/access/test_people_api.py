"""API v1 people and groups: listed to grant managers, changed by superusers only, through the audited actions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from domains.access.models import AuditEntry

GOOD_PASSWORD = "plum-harbour-417"


def test_a_superuser_creates_a_user_and_a_weak_password_is_refused_naming_the_field(api_as, owner):
    client = api_as(owner)
    weak = client.post("/api/v1/users", {"username": "vera", "password": "1234"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["fields"]
    assert not get_user_model().objects.filter(username="vera").exists()
    made = client.post("/api/v1/users", {"username": "vera", "password": GOOD_PASSWORD}, format="json")
    assert made.status_code == 201 and made.json()["username"] == "vera" and "password" not in made.json()
    listed = client.get("/api/v1/users", {"q": "ver"}).json()["results"]
    assert [u["username"] for u in listed] == ["vera"]


def test_a_grant_manager_who_is_no_superuser_lists_people_but_is_refused_changes(api_as, make_user, grant, teammate):
    vera = make_user("vera")
    grant("Administrator", to=vera)
    client = api_as(vera)
    assert client.get("/api/v1/users").status_code == 200
    refused = client.patch(f"/api/v1/users/{teammate.pk}", {"is_active": False}, format="json")
    assert refused.status_code == 403 and refused.json()["fields"]["permission"] == "superuser"
    teammate.refresh_from_db()
    assert teammate.is_active
    assert AuditEntry.objects.latest("id").outcome == "denied"


def test_deactivating_through_the_api_ends_the_persons_sessions(api_as, owner, teammate):
    Client().force_login(teammate)
    answer = api_as(owner).patch(f"/api/v1/users/{teammate.pk}", {"is_active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["is_active"] is False
    assert not any(s.get_decoded().get("_auth_user_id") == str(teammate.pk) for s in Session.objects.all())


def test_groups_are_made_filled_renamed_and_deleted_through_the_api(api_as, owner, teammate):
    client = api_as(owner)
    group = client.post("/api/v1/groups", {"name": "night-ops"}, format="json").json()
    assert client.put(f"/api/v1/groups/{group['id']}/members/bob").json()["members"] == ["bob"]
    taken = client.post("/api/v1/groups", {"name": "night-ops"}, format="json")
    assert taken.status_code == 400 and "name" in taken.json()["fields"]
    assert client.patch(f"/api/v1/groups/{group['id']}", {"name": "day-ops"}, format="json").json()["name"] == "day-ops"
    assert client.delete(f"/api/v1/groups/{group['id']}/members/bob").status_code == 204
    assert client.delete(f"/api/v1/groups/{group['id']}").status_code == 204
    assert not Group.objects.exists()
