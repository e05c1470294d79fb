"""do_create_user: the console's administrator (or the console itself) creates users, audited; others are refused."""

import pytest
from django.contrib.auth import get_user_model

from domains.access.models import AuditEntry
from domains.access.permissions import PermissionDenied
from domains.access.users import UserError, do_create_user


def test_the_owner_creates_a_user_and_the_audit_log_says_who_did(owner):
    made = do_create_user(owner, "vera", "vera-pass-123", "vera@example.com", source_address="192.0.2.4")
    assert made.check_password("vera-pass-123") and not made.is_superuser
    entry = AuditEntry.objects.latest("id")
    assert (entry.actor_name, entry.action, entry.target_id, entry.outcome, entry.source_address) == (
        "alice", "user.create", str(made.pk), "ok", "192.0.2.4")
    assert "vera-pass-123" not in entry.canonical().decode()


def test_the_console_itself_creates_an_administrator(db):
    made = do_create_user(None, "root", None, is_superuser=True)
    assert made.is_superuser and not made.has_usable_password()
    assert AuditEntry.objects.latest("id").actor_name == "system"


def test_it_refuses_an_ordinary_user_and_audits_the_refusal(teammate):
    with pytest.raises(PermissionDenied, match="Ask an administrator"):
        do_create_user(teammate, "vera", "vera-pass-123")
    assert not get_user_model().objects.filter(username="vera").exists()
    entry = AuditEntry.objects.latest("id")
    assert (entry.actor_name, entry.action, entry.outcome) == ("bob", "user.create", "denied")


def test_it_refuses_a_username_taken_already_and_says_what_to_do(owner, teammate):
    with pytest.raises(UserError, match="'bob' exists already: pick another username") as refused:
        do_create_user(owner, "bob", "other-pass-123")
    assert refused.value.field == "username"
    assert get_user_model().objects.get(username="bob").check_password("bob-pass-123")
    assert AuditEntry.objects.latest("id").outcome.startswith("refused: A user named 'bob' exists already")


def test_it_refuses_an_empty_username(owner):
    with pytest.raises(UserError, match="needs a username"):
        do_create_user(owner, "  ", "x-pass-123")
