"""Turns a refused permission anywhere in a page view into a 403 page naming the permission; audits 404s."""

from django.http import Http404
from django.shortcuts import render

from domains.access import audit
from domains.access.permissions import PermissionDenied


class PermissionDeniedPage:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit.record_refusal(request, exception)
            return render(request, "forbidden.html", {"error": str(exception)}, status=403)
        if isinstance(exception, Http404):
            # Hidden objects answer 404 like missing ones: the probing is recorded all the same.
            audit.record_not_found(request, exception)
        return None
