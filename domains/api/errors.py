"""One error shape for every API failure: {"status", "code", "message", "fields"}."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from domains.access import audit, permissions
from domains.errors import ConsoleError

log = logging.getLogger(__name__)


def error_response(http_status, code, message, fields=None):
    # str: the message may be said lazily (domains.words), and some answers are JSON-encoded by hand (upload_app).
    body = {"status": http_status, "code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return Response(body, status=http_status)


def api_exception_handler(exc, context):
    if isinstance(exc, permissions.PermissionDenied):
        audit.record_refusal(context["request"], exc)
        return error_response(status.HTTP_403_FORBIDDEN, "permission_denied", str(exc), {"permission": exc.permission})
    if isinstance(exc, (Http404, exceptions.NotFound)):
        audit.record_not_found(context["request"], exc)
        return error_response(status.HTTP_404_NOT_FOUND, "not_found", _("No such object, or you may not see it."))
    if isinstance(exc, ConsoleError):
        return error_response(*exc.as_api_error())
    response = exception_handler(exc, context)
    if response is None:
        # A bug, not a refusal: logged with its traceback, answered in the one shape rather than an HTML page.
        log.error("API request %s failed", context["request"].path, exc_info=exc)
        set_rollback()
        return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error",
                              _("The server failed on this request; the error is logged. Try again, "
                                "and tell an administrator if it keeps failing."))
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response(response.status_code, "invalid", _("The request has invalid fields: see 'fields'."),
                              fields)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    return error_response(response.status_code, code if isinstance(code, str) else "error", str(detail))


@csrf_exempt
@login_not_required
def unknown_endpoint(request, *args, **kwargs):
    """Any path under /api/v1/ no route matches (e.g. a malformed UUID): the error shape, not an HTML page."""
    message = format_lazy(_("There is no API v1 endpoint at {path}: the endpoints are listed at /api/v1/docs/."),
                          path=request.path)
    return JsonResponse({"status": 404, "code": "not_found", "message": str(message)}, status=404)
