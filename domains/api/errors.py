"""One error shape for every API failure: {"status", "code", "message", "fields"}."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from domains.access import audit, permissions
from domains.definitions.policy import DefinitionPolicyRefusal
from domains.definitions.xml import DefinitionError
from domains.hosts.actions import HostError
from domains.libvirt.adapter import VirtError
from domains.lifecycle.actions import ActionError


def error_response(http_status, code, message, fields=None):
    body = {"status": http_status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response(body, status=http_status)


def api_exception_handler(exc, context):
    if isinstance(exc, permissions.PermissionDenied):
        audit.record_refusal(context["request"], exc)
        return error_response(status.HTTP_403_FORBIDDEN, "permission_denied", str(exc), {"permission": exc.permission})
    if isinstance(exc, (Http404, exceptions.NotFound)):
        audit.record_not_found(context["request"], exc)
        return error_response(status.HTTP_404_NOT_FOUND, "not_found", "No such object, or you may not see it.")
    if isinstance(exc, ActionError):
        return error_response(status.HTTP_409_CONFLICT if exc.code == "action_failed" else 400, exc.code, exc.message)
    if isinstance(exc, DefinitionPolicyRefusal):
        # Audited by the define it refused; each offending element with its line, and the permission needed.
        return error_response(status.HTTP_403_FORBIDDEN, exc.code, exc.message,
                              {"xml": exc.as_dicts(), "permission": exc.permission})
    if isinstance(exc, DefinitionError):
        # Each problem with its line, column and element path, as POST /api/v1/domain-xml/validate lists them.
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid_definition", exc.message, {"xml": exc.as_dicts()})
    if isinstance(exc, HostError):
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid_host", exc.message,
                              {exc.field: [exc.message]} if exc.field else None)
    if isinstance(exc, VirtError):
        return error_response(status.HTTP_502_BAD_GATEWAY, "libvirt_error", exc.message)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response(response.status_code, "invalid", "The request has invalid fields: see 'fields'.", fields)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    return error_response(response.status_code, code if isinstance(code, str) else "error", str(detail))


@csrf_exempt
@login_not_required
def unknown_endpoint(request, *args, **kwargs):
    """Any path under /api/v1/ no route matches (e.g. a malformed UUID): the error shape, not an HTML page."""
    message = f"There is no API v1 endpoint at {request.path}: the endpoints are listed at /api/v1/docs/."
    return JsonResponse({"status": 404, "code": "not_found", "message": message}, status=404)
