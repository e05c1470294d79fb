"""API v1: grants (who holds which role where) and roles."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access import permissions
from domains.access.grants import (
    do_define_role,
    do_grant,
    do_revoke,
    find_holder,
    visible_grants,
)
from domains.access.lookups import visible
from domains.access.models import Grant, Role
from domains.access.permission_names import AUTHENTICATED, PERMISSIONS
from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.hosts.models import Host
from domains.lifecycle.models import Domain
from domains.networks.models import Network
from domains.storage.models import Pool


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.ListField(child=serializers.ChoiceField(choices=sorted(PERMISSIONS)))

    class Meta:
        model = Role
        fields = ["id", "name", "description", "permissions", "builtin"]
        read_only_fields = ["id", "builtin"]


class GrantSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name")
    user = serializers.CharField(source="user.username", allow_null=True, default=None)
    group = serializers.CharField(source="group.name", allow_null=True, default=None)
    domain = serializers.UUIDField(source="domain.uuid", allow_null=True, default=None)
    domain_name = serializers.CharField(source="domain.name", allow_null=True, default=None)
    host = serializers.IntegerField(source="host_id", allow_null=True)
    scope = serializers.CharField(source="scope_kind", help_text="domain, pool, network, host or global")
    pool = serializers.IntegerField(source="pool_id", allow_null=True, default=None,
                                    help_text="Pool id (the 'id' of GET /hosts/{id}/pools) for a pool grant")
    pool_name = serializers.CharField(source="pool.name", allow_null=True, default=None)
    network = serializers.IntegerField(source="network_id", allow_null=True, default=None,
                                       help_text="Network id (the 'id' of GET /hosts/{id}/networks) for a network "
                                                 "grant")
    network_name = serializers.CharField(source="network.name", allow_null=True, default=None)

    class Meta:
        model = Grant
        fields = ["id", "role", "user", "group", "domain", "domain_name", "host", "scope", "created", "pool",
                  "pool_name", "network", "network_name"]


class GrantRequestSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, help_text="Username; or give group")
    group = serializers.CharField(required=False, help_text="Group name; or give user")
    role = serializers.CharField(help_text="Role name, e.g. 'Console user'")
    domain = serializers.UUIDField(required=False, help_text="Domain UUID; or host; or neither for everything")
    host = serializers.IntegerField(required=False, help_text="Host id")
    pool = serializers.IntegerField(required=False, help_text="Pool id (the 'id' in a pool's JSON), for a grant on "
                                                              "one storage pool")
    network = serializers.IntegerField(required=False, help_text="Network id (the 'id' in a network's JSON), for a "
                                                                 "grant on one virtual network")


def _visible_pool(user, pool_id):
    """The Pool row with pool_id if user may see it (storage_pool.getattr) and it still exists; else 404."""
    found = permissions.restrict(Pool.objects.filter(pk=pool_id, gone=False), user, "storage_pool.getattr").first()
    if found is None:
        raise Http404("No such pool, or you may not see it.")
    return found


def _visible_network(user, network_id):
    """The Network row with network_id if user may see it (network.getattr) and it still exists; else 404."""
    found = permissions.restrict(Network.objects.filter(pk=network_id, gone=False), user, "network.getattr").first()
    if found is None:
        raise Http404("No such network, or you may not see it.")
    return found


@route_permission(GET=AUTHENTICATED, POST="manage_grants",
                  note="GET lists grants on scopes where you may manage grants, and your own; "
                       "POST needs manage_grants on the scope named in the body")
class GrantList(ApiView):
    serializer_class = GrantSerializer

    def get_queryset(self):
        return visible_grants(self.request.user).order_by("id")

    @extend_schema(responses=GrantSerializer(many=True))
    def get(self, request):
        return self.page_of(self.get_queryset())

    @extend_schema(request=GrantRequestSerializer, responses={201: GrantSerializer, 200: GrantSerializer})
    def post(self, request):
        data = self.valid_body(GrantRequestSerializer)
        to_user, to_group = find_holder(data.get("user"), data.get("group"))
        domain = visible(request.user, Domain, data["domain"]) if "domain" in data else None
        host = visible(request.user, Host, data["host"]) if "host" in data else None
        pool = _visible_pool(request.user, data["pool"]) if "pool" in data else None
        network = _visible_network(request.user, data["network"]) if "network" in data else None
        grant, created = do_grant(request.user, data["role"], to_user=to_user, to_group=to_group,
                                  domain=domain, host=host, pool=pool, network=network,
                                  source_address=self.source_address)
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED if created else 200)


@route_permission("manage_grants", note="on the grant's scope")
class GrantDetail(ApiView):
    serializer_class = GrantSerializer

    def _grant(self, request, grant_id):
        grant = visible_grants(request.user).filter(pk=grant_id).first()
        if grant is None:
            raise Http404("No such grant.")
        return grant

    def get(self, request, grant_id):
        return Response(self.get_serializer(self._grant(request, grant_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, grant_id):
        do_revoke(request.user, self._grant(request, grant_id), source_address=self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission(GET=AUTHENTICATED, POST="manage_grants",
                  note="POST needs manage_grants everywhere and every permission of the new role")
class RoleList(ApiView):
    serializer_class = RoleSerializer
    queryset = Role.objects.all()
    pagination_class = None

    @extend_schema(responses=RoleSerializer(many=True))
    def get(self, request):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(responses={201: RoleSerializer})
    def post(self, request):
        data = self.valid_body()
        role = do_define_role(request.user, data["name"], data["permissions"], data.get("description", ""),
                              source_address=self.source_address)
        return Response(self.get_serializer(role).data, status=status.HTTP_201_CREATED)
