"""Logins, logouts and failed logins go to the audit log; failed logins are rate-limited by django-axes."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)

from domains.access import audit


def _address(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _logged_in(sender, request, user, **kwargs):
    audit.record(user, "login", params={"via": sender.__name__ if sender else ""}, source_address=_address(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, "logout", source_address=_address(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    # Django already masks the password in credentials; redaction would catch it anyway.
    username = str(credentials.get("username", ""))
    locked = bool(getattr(request, "axes_locked_out", False))
    audit.record(username or "anonymous", "login.failed", params={"username": username},
                 outcome="locked out" if locked else "wrong username or password",
                 source_address=_address(request))


def install():
    """Send logins, logouts and failed logins to the audit log (called once from DomainsConfig.ready)."""
    user_logged_in.connect(_logged_in, dispatch_uid="audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")


class LoginRateLimit(AxesStandaloneBackend):
    """django-axes' lockout check, skipped for calls made without a request (manage.py, the test client).

    Every login over the network (the login form, DRF) passes its request, so it
    is counted and locked out; code that authenticates in-process has no client to limit.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
