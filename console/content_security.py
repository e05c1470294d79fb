"""The Content-Security-Policy header on every answer: scripts only from our own static files."""

from django.conf import settings


def policy_header(directives):
    """'name value; name value' from {"name": ["value", ...]}, in the order given."""
    return "; ".join(f"{name} {' '.join(values)}".strip() for name, values in directives.items())


class ContentSecurityPolicy:
    """Sets CONTENT_SECURITY_POLICY on each response that has none of its own.

    Django 5.2 has no CSP of its own; one header for the whole site keeps every page
    (and the admin, the API docs, error pages) under the same rule: no inline script,
    no handler attribute, nothing loaded from another origin.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = policy_header(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
