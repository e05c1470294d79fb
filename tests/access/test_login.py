"""Logins, logouts and failed logins are audited; repeated failures lock the login out (django-axes)."""

from django.test import override_settings

from domains.access.models import AuditEntry


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="198.51.100.7")


def test_a_login_and_a_logout_are_audited(client, outsider):
    before = AuditEntry.objects.latest("id").pk  # mallory's creation
    assert _login(client, "mallory", "mallory-pass-123").status_code == 302
    client.post("/logout/")
    actions = list(AuditEntry.objects.filter(pk__gt=before).order_by("id").values_list("action", "actor_name", "source_address"))
    assert actions[0] == ("login", "mallory", "198.51.100.7")
    assert actions[-1][:2] == ("logout", "mallory")


def test_a_failed_login_is_audited_without_the_password(client, outsider):
    assert _login(client, "mallory", "wrong-guess").status_code == 200
    entry = AuditEntry.objects.get(action="login.failed")
    assert entry.actor_name == "mallory"
    assert entry.source_address == "198.51.100.7"
    assert "wrong-guess" not in entry.canonical().decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_out_a_login_after_repeated_failures(client, outsider):
    for _ in range(3):
        _login(client, "mallory", "wrong-guess")
    refused = _login(client, "mallory", "mallory-pass-123")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_test_client_login_still_works_without_a_request(client, outsider):
    assert client.login(username="mallory", password="mallory-pass-123")


def test_passwords_are_checked_by_djangos_validators(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password("12345678")
    except ValidationError as exc:
        assert any("common" in message or "numeric" in message for message in exc.messages)
    else:
        raise AssertionError("a numeric, common password was accepted")
