"""API v1: a domain's network interfaces: list with the guest's addresses, add, change, remove (live when running)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import DomainScopedView
from domains.definitions.models import RevisionSource
from domains.interfaces.actions import (
    InterfaceNotFound,
    do_add_interface,
    do_change_interface,
    do_remove_interface,
)
from domains.interfaces.listing import interface_of, interfaces_of
from domains.interfaces.serializers import (
    InterfaceChangeSerializer,
    InterfaceCreateSerializer,
    InterfaceRemovalSerializer,
    InterfaceSerializer,
)

_CHANGE = ("write", "save")


def _shown(domain, mac):
    facts = interface_of(domain, mac)
    if facts is None:
        raise InterfaceNotFound(format_lazy(_("Domain '{name}' has no interface with MAC {mac} any more."),
                                            name=domain.name, mac=mac))
    return InterfaceSerializer(facts).data


@route_permission(GET="read", POST=_CHANGE, note="on the domain; POST needs both write and save (the definition "
                                                 "changes too), and host_resources for a bridge or direct source")
class DomainInterfaces(DomainScopedView):
    serializer_class = InterfaceSerializer

    @extend_schema(responses=InterfaceSerializer(many=True),
                   summary="The domain's interfaces, with the guest's addresses while it runs")
    def get(self, request, uuid):
        domain = self.get_object("read")
        return Response(InterfaceSerializer(interfaces_of(domain), many=True).data)

    @extend_schema(request=InterfaceCreateSerializer, responses={201: InterfaceSerializer},
                   summary="Add an interface to the definition and, when the domain runs, to the guest")
    def post(self, request, uuid):
        domain = self.get_object()
        body = dict(self.valid_body(InterfaceCreateSerializer))
        reason = body.pop("reason", "")
        change = do_add_interface(request.user, domain, body, reason, RevisionSource.API, self.source_address)
        return Response(_shown(domain, change.mac), status=status.HTTP_201_CREATED)


@route_permission(_CHANGE, note="on the domain: both write and save (the definition changes too)")
class DomainInterface(DomainScopedView):
    serializer_class = InterfaceSerializer

    @extend_schema(request=InterfaceChangeSerializer, responses=InterfaceSerializer,
                   summary="Change an interface (link up/down, source, filter, bandwidth, ...), live when running")
    def patch(self, request, uuid, mac):
        domain = self.get_object()
        body = dict(self.valid_body(InterfaceChangeSerializer, partial=True))
        reason = body.pop("reason", "")
        change = do_change_interface(request.user, domain, mac, body, reason, RevisionSource.API,
                                     self.source_address)
        return Response(_shown(domain, change.mac))

    @extend_schema(responses={204: None, 202: InterfaceRemovalSerializer},
                   summary="Remove an interface; 202 while the running guest has not let go of it yet")
    def delete(self, request, uuid, mac):
        domain = self.get_object()
        change = do_remove_interface(request.user, domain, mac, "", RevisionSource.API, self.source_address)
        if not change.pending:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(InterfaceRemovalSerializer({
            "mac": change.mac, "pending": "detach", "alias": change.device,
            "message": _("Removed from the definition; the guest has not released the device yet. GET "
                         ".../interfaces shows it pending until it does (domain.device_removed on the events "
                         "socket)."),
        }).data, status=status.HTTP_202_ACCEPTED)
