"""The Users and Groups pages: only superusers change accounts and groups, every change is audited, deactivation and a
new password end the person's sessions and sockets, refused forms keep what was typed and name the field."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from console.sockets import sessions as socket_sessions
from domains.access import permissions
from domains.access.models import AuditEntry, Grant

GOOD_PASSWORD = "plum-harbour-417"


def text(answer):
    return html.unescape(answer.content.decode())


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def session_count(user):
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


@pytest.fixture
def grant_manager(make_user, grant):
    """vera: manages grants everywhere (the Administrator role on everything) but is no superuser."""
    vera = make_user("vera")
    grant("Administrator", to=vera)
    return vera


@pytest.fixture
def closed(monkeypatch):
    """The socket endings asked for: ("user", pk) and ("session", key), as console/sockets/sessions.py gets them."""
    asked = []
    monkeypatch.setattr(socket_sessions, "close_sessions",
                        lambda user=None, domain=None, reason=None: asked.append(("user", user)))
    monkeypatch.setattr(socket_sessions, "close_sessions_of_session",
                        lambda key, reason=None: asked.append(("session", key)))
    return asked


# --- who may ---

def test_the_users_page_lists_people_with_their_state_groups_and_last_sign_in(owner, teammate, outsider, make_group):
    make_group("night-ops", members=[teammate])
    outsider.is_active = False
    outsider.save()
    page = text(signed_in(owner).get("/access/users/"))
    assert "bob" in page and "night-ops" in page and "inactive" in page and "never" in page
    assert 'href="/access/users/new/"' in page
    assert "mallory" not in text(signed_in(owner).get("/access/users/", {"state": "active"}))
    searched = text(signed_in(owner).get("/access/users/", {"q": "night"}))
    assert "bob" in searched and "mallory" not in searched


def test_a_grant_manager_who_is_no_superuser_sees_the_users_but_may_not_change_them(grant_manager, teammate):
    client = signed_in(grant_manager)
    listing = text(client.get("/access/users/"))
    assert "bob" in listing and 'href="/access/users/new/"' not in listing
    assert 'action="/access/users/%d/active/"' % teammate.pk not in text(client.get(f"/access/users/{teammate.pk}/"))
    assert client.get("/access/users/new/").status_code == 403
    refused = client.post("/access/users/new/", {"username": "eve", "password": GOOD_PASSWORD,
                                                 "password_again": GOOD_PASSWORD})
    assert refused.status_code == 403 and "superuser" in text(refused)
    assert not get_user_model().objects.filter(username="eve").exists()
    assert AuditEntry.objects.latest("id").outcome == "denied"
    for path, body in ((f"/access/users/{teammate.pk}/active/", {"active": "0"}),
                       (f"/access/users/{teammate.pk}/password/", {"password": GOOD_PASSWORD,
                                                                   "password_again": GOOD_PASSWORD}),
                       ("/access/groups/", {"name": "sneaky"})):
        assert client.post(path, body).status_code == 403, path
    teammate.refresh_from_db()
    assert teammate.is_active and teammate.check_password("bob-pass-123")
    assert not Group.objects.filter(name="sneaky").exists()
    assert list(AuditEntry.objects.filter(action__in=["user.deactivate", "user.password"])
                .values_list("outcome", flat=True)) == ["denied", "denied"]


def test_someone_without_grants_everywhere_is_refused_the_users_page_naming_the_permission(outsider):
    answer = signed_in(outsider).get("/access/users/")
    assert answer.status_code == 403 and "'manage_grants'" in text(answer)


# --- creating ---

def test_the_owner_creates_a_user_and_the_audit_log_says_so_without_the_password(owner):
    answer = signed_in(owner).post("/access/users/new/", {"username": "vera", "email": "vera@example.com",
                                                          "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
    vera = get_user_model().objects.get(username="vera")
    assert answer.status_code == 302 and answer["Location"] == f"/access/users/{vera.pk}/"
    assert vera.check_password(GOOD_PASSWORD) and not vera.is_superuser
    entry = AuditEntry.objects.latest("id")
    assert (entry.actor_name, entry.action, entry.target_id, entry.outcome) == ("alice", "user.create", str(vera.pk),
                                                                                "ok")
    assert GOOD_PASSWORD not in entry.canonical().decode()
    assert GOOD_PASSWORD not in text(signed_in(owner).get(f"/access/users/{vera.pk}/"))


def test_a_bad_password_is_refused_on_its_field_keeping_what_was_typed_and_nothing_is_created(owner):
    answer = signed_in(owner).post("/access/users/new/", {"username": "vera", "email": "vera@example.com",
                                                          "password": "1234", "password_again": "1234"})
    page = text(answer)
    assert answer.status_code == 400
    assert 'id="new-password-error"' in page and "This password is too short" in page
    assert 'class="form-control is-invalid" autocomplete="new-password"' in page
    assert 'value="vera"' in page and 'value="vera@example.com"' in page and "1234" not in page
    assert not get_user_model().objects.filter(username="vera").exists()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.outcome.split(":")[0]) == ("user.create", "refused")


def test_two_different_passwords_are_refused_on_the_second_field(owner):
    answer = signed_in(owner).post("/access/users/new/", {"username": "vera", "password": GOOD_PASSWORD,
                                                          "password_again": GOOD_PASSWORD + "x"})
    assert answer.status_code == 400 and 'id="new-password-again-error"' in text(answer)
    assert not get_user_model().objects.filter(username="vera").exists()


def test_a_taken_username_is_refused_on_the_username_field(owner, teammate):
    answer = signed_in(owner).post("/access/users/new/", {"username": "bob", "password": GOOD_PASSWORD,
                                                          "password_again": GOOD_PASSWORD})
    assert answer.status_code == 400 and 'id="new-username-error"' in text(answer)
    assert "exists already" in text(answer)


# --- deactivating, reactivating, passwords ---

def test_deactivation_ends_the_persons_sessions_and_sockets_and_is_audited_before_and_after(owner, teammate, closed):
    bob = signed_in(teammate)
    assert bob.get("/account/").status_code == 200 and session_count(teammate) == 1
    page = text(signed_in(owner).get(f"/access/users/{teammate.pk}/"))
    assert f'action="/access/users/{teammate.pk}/active/" data-confirm="Deactivate bob?"' in page
    assert "consoles and monitors close" in page

    answer = signed_in(owner).post(f"/access/users/{teammate.pk}/active/", {"active": "0"})

    teammate.refresh_from_db()
    assert answer.status_code == 302 and not teammate.is_active
    assert session_count(teammate) == 0
    assert bob.get("/account/")["Location"].startswith("/login/")
    assert ("user", teammate.pk) in closed and any(kind == "session" for kind, _ in closed)
    intent, outcome = AuditEntry.objects.filter(action="user.deactivate").order_by("id")
    assert (intent.outcome, outcome.outcome, outcome.parameters["intent"]) == ("started", "ok", intent.pk)
    assert outcome.parameters["sessions_ended"] == 1


def test_a_deactivated_person_is_reactivated_and_may_sign_in_again(owner, teammate):
    signed_in(owner).post(f"/access/users/{teammate.pk}/active/", {"active": "0"})
    assert not Client().login(username="bob", password="bob-pass-123")
    signed_in(owner).post(f"/access/users/{teammate.pk}/active/", {"active": "1"})
    assert Client().login(username="bob", password="bob-pass-123")
    assert AuditEntry.objects.filter(action="user.reactivate", outcome="ok").exists()


def test_the_administrator_cannot_deactivate_their_own_account(owner):
    answer = signed_in(owner).post(f"/access/users/{owner.pk}/active/", {"active": "0"}, follow=True)
    owner.refresh_from_db()
    assert owner.is_active and "cannot deactivate your own account" in text(answer)


def test_a_new_password_set_by_the_administrator_ends_the_persons_sessions(owner, teammate, closed):
    bob = signed_in(teammate)
    answer = signed_in(owner).post(f"/access/users/{teammate.pk}/password/",
                                   {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
    teammate.refresh_from_db()
    assert answer.status_code == 302 and teammate.check_password(GOOD_PASSWORD)
    assert session_count(teammate) == 0 and bob.get("/account/").status_code == 302
    assert any(kind == "session" for kind, _ in closed)
    entries = AuditEntry.objects.filter(action="user.password").order_by("id")
    assert [e.outcome for e in entries] == ["started", "ok"]
    assert all(GOOD_PASSWORD not in e.canonical().decode() for e in entries)


def test_a_weak_new_password_is_refused_on_the_field_and_the_old_one_stays(owner, teammate):
    answer = signed_in(owner).post(f"/access/users/{teammate.pk}/password/",
                                   {"password": "password", "password_again": "password"})
    page = text(answer)
    teammate.refresh_from_db()
    assert answer.status_code == 400 and 'id="reset-password-error"' in page and "too common" in page
    assert teammate.check_password("bob-pass-123")


# --- groups ---

def test_the_owner_makes_renames_fills_and_deletes_a_group_each_change_audited(owner, teammate):
    client = signed_in(owner)
    made = client.post("/access/groups/", {"name": "night-ops"})
    group = Group.objects.get(name="night-ops")
    assert made["Location"] == f"/access/groups/{group.pk}/"
    client.post(f"/access/groups/{group.pk}/members/", {"username": "bob", "change": "add"})
    assert list(group.user_set.values_list("username", flat=True)) == ["bob"]
    client.post(f"/access/groups/{group.pk}/rename/", {"name": "day-ops"})
    group.refresh_from_db()
    assert group.name == "day-ops"
    page = text(client.get(f"/access/groups/{group.pk}/"))
    assert "bob" in page and 'data-confirm="Delete the group day-ops?"' in page
    client.post(f"/access/groups/{group.pk}/members/", {"username": "bob", "change": "remove"})
    assert not group.user_set.exists()
    client.post(f"/access/groups/{group.pk}/delete/")
    assert not Group.objects.filter(pk=group.pk).exists()
    assert list(AuditEntry.objects.filter(action__startswith="group.").order_by("id")
                .values_list("action", "outcome")) == [
        ("group.create", "ok"), ("group.add_member", "ok"), ("group.rename", "ok"), ("group.remove_member", "ok"),
        ("group.delete", "started"), ("group.delete", "ok")]


def test_a_taken_group_name_is_refused_on_the_name_field_keeping_what_was_typed(owner, make_group):
    make_group("night-ops")
    other = make_group("day-ops")
    made = signed_in(owner).post("/access/groups/", {"name": "night-ops"})
    assert made.status_code == 400 and 'id="group-name-error"' in text(made)
    renamed = signed_in(owner).post(f"/access/groups/{other.pk}/rename/", {"name": "night-ops"})
    assert renamed.status_code == 400 and 'id="group-rename-error"' in text(renamed)
    assert 'value="night-ops"' in text(renamed)
    other.refresh_from_db()
    assert other.name == "day-ops"


def test_leaving_or_deleting_a_group_closes_what_its_grants_allowed(world, make_group, grant, monkeypatch):
    lost = []
    monkeypatch.setattr(permissions, "notify_revoked", lambda user, domains: lost.append((user.pk, list(domains))))
    person, target = world["person"], world["target"]
    Grant.objects.filter(user=person).delete()
    ops = make_group("night-ops", members=[person])
    grant("Operator", to=ops, domain=target)
    client = signed_in(world["people"]["admin"])
    client.post(f"/access/groups/{ops.pk}/members/", {"username": person.username, "change": "remove"})
    assert lost == [(person.pk, [target])]
    ops.user_set.add(person)
    lost.clear()
    client.post(f"/access/groups/{ops.pk}/delete/")
    assert lost == [(person.pk, [target])] and not Grant.objects.filter(group_id=ops.pk).exists()


def test_a_persons_page_grants_them_a_role_on_a_chosen_scope(world):
    client = signed_in(world["people"]["admin"])
    person, target = world["person"], world["target"]
    answer = client.post(f"/access/users/{person.pk}/", {"role": "Operator", "holder": f"user:{person.username}",
                                                         "scope": f"host:{world['host'].pk}"})
    assert answer.status_code == 302
    assert Grant.objects.filter(user=person, host=world["host"], role__name="Operator").exists()
    refused = client.post(f"/access/users/{person.pk}/", {"role": "Operator", "holder": f"user:{person.username}",
                                                          "scope": "domain:not-a-uuid"})
    assert refused.status_code == 400 and 'id="grant-scope-error"' in text(refused)
    assert f'value="domain:{target.uuid}"' in text(refused)
