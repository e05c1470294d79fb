"""Fixtures for the permission and audit tests: roles by name and a way to hand out grants directly."""

import pytest
from django.contrib.auth import get_user_model

from domains.access.models import Grant, Role


@pytest.fixture
def role(db):
    """role("Operator") -> the built-in Role row seeded by the migration."""
    return lambda name: Role.objects.get(name=name)


@pytest.fixture
def give(db):
    """give(user_or_group, "Console user", domain=..., host=...) -> Grant, written directly (no checks)."""

    def make(holder, role_name, domain=None, host=None):
        who = {"group": holder} if holder.__class__.__name__ == "Group" else {"user": holder}
        return Grant.objects.create(role=Role.objects.get(name=role_name), domain=domain, host=host, **who)

    return make


@pytest.fixture
def make_user(db):
    def make(username):
        return get_user_model().objects.create_user(username, f"{username}@example.com", f"{username}-pass-123")

    return make
