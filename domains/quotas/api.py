"""API v1 of quotas: the caller's usage and limits; administrators read anyone's and set users' and groups'."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from domains.access import permissions
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.errors import ConsoleError
from domains.quotas.actions import LIMIT_FIELDS, PERMISSION, do_set_quota
from domains.quotas.limits import limits_of, usage_of
from domains.quotas.models import Quota
from domains.quotas.serializers import (
    QuotaChangeSerializer,
    QuotaSerializer,
    QuotaUsageSerializer,
)


def usage_answer(user):
    limits, source = limits_of(user)
    return {"user": user.pk, "username": user.get_username(), "used": usage_of(user).as_dict(), "limits": limits,
            "limits_from": source}


# A holder not found: (the refusal, its field's words), whole sentences for each kind of holder.
NOT_FOUND_WORDS = {
    "user": (_("There is no user with id {id}: give the id of an existing user."), _("no user {id}")),
    "group": (_("There is no group with id {id}: give the id of an existing group."), _("no group {id}")),
}


def _found(model, pk, what):
    found = model.objects.filter(pk=int(pk)).first() if str(pk).isascii() and str(pk).isdigit() else None
    if found is None:
        refusal, field_words = NOT_FOUND_WORDS[what]
        raise ConsoleError(format_lazy(refusal, id=pk), code="no_such_holder",
                           fields={what: [format_lazy(field_words, id=pk)]})
    return found


@route_permission(GET=AUTHENTICATED, PATCH=PERMISSION,
                  note="GET: your own usage and limits; ?user= someone else's and the list of quotas need "
                       "manage_quotas everywhere")
class Quotas(ApiView):
    serializer_class = QuotaUsageSerializer
    pagination_class = None

    @extend_schema(responses=QuotaUsageSerializer, summary="Your usage beside your limits (administrators: "
                                                           "?user=<id> for someone else's, and every quota set)",
                   parameters=[OpenApiParameter("user", int, description="Another user's id (manage_quotas)")])
    def get(self, request):
        user = request.user
        if request.query_params.get("user") not in (None, "", str(user.pk)):
            permissions.require(user, PERMISSION)
            user = _found(get_user_model(), request.query_params["user"], "user")
        answer = usage_answer(user)
        if permissions.has_perm(request.user, PERMISSION):
            answer["quotas"] = Quota.objects.select_related("user", "group").order_by("id")
        return Response(QuotaUsageSerializer(answer).data)

    @extend_schema(request=QuotaChangeSerializer, responses=QuotaSerializer,
                   summary="Set a user's or a group's limits (null: unlimited; fields left out keep their value)")
    def patch(self, request):
        permissions.require(request.user, PERMISSION)
        body = self.valid_body(QuotaChangeSerializer)
        user = _found(get_user_model(), body["user"], "user") if "user" in body else None
        group = _found(Group, body["group"], "group") if "group" in body else None
        quota = do_set_quota(request.user, {field: body[field] for field in LIMIT_FIELDS if field in body},
                             user=user, group=group, source_address=self.source_address)
        return Response(QuotaSerializer(quota).data)
