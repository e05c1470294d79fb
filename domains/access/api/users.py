"""API v1: people and groups. Listed to whoever manages grants everywhere; created and changed by superusers only,
through the same actions as the pages (domains/access/users.py, groups.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access import permissions
from domains.access.groups import (
    do_add_member,
    do_create_group,
    do_delete_group,
    do_remove_member,
    do_rename_group,
)
from domains.access.permissions import route_permission
from domains.access.users import do_create_user, do_set_active, do_set_password
from domains.api.views import ApiView

ADMINISTRATORS_ONLY = "manage_grants everywhere; changes: superusers only (domains/access/users.py)"


class UserSerializer(serializers.ModelSerializer):
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_active", "is_superuser", "groups", "last_login", "date_joined"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(write_only=True, help_text="Checked by the console's password validators")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    is_superuser = serializers.BooleanField(required=False, default=False)


class UserChangeSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, help_text="false deactivates: their sessions and sockets "
                                                                   "end; true reactivates")
    password = serializers.CharField(required=False, write_only=True,
                                     help_text="A new password; their signed-in sessions end")


class GroupSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "name", "members"]
        read_only_fields = ["id", "members"]

    def get_members(self, group) -> list[str]:
        return sorted(group.user_set.values_list("username", flat=True))


class GroupNameSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The group's name, unique")


class UserApiView(ApiView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        permissions.require(request.user, "manage_grants")


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
class UserList(UserApiView):
    serializer_class = UserSerializer

    def get_queryset(self):
        rows = get_user_model().objects.prefetch_related("groups").order_by("username")
        search = self.request.query_params.get("q", "").strip()
        if search:
            rows = rows.filter(Q(username__icontains=search) | Q(email__icontains=search)).distinct()
        if self.request.query_params.get("is_active") in ("true", "false"):
            rows = rows.filter(is_active=self.request.query_params["is_active"] == "true")
        return rows

    @extend_schema(responses=UserSerializer(many=True), parameters=[
        OpenApiParameter("q", str, description="Part of a username or email"),
        OpenApiParameter("is_active", bool, description="true: active accounts only; false: inactive only")])
    def get(self, request):
        return self.page_of(self.get_queryset())

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def post(self, request):
        data = self.valid_body(UserCreateSerializer)
        user = do_create_user(request.user, data["username"], data["password"], data["email"],
                              is_superuser=data["is_superuser"], source_address=self.source_address)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
class UserDetail(UserApiView):
    serializer_class = UserSerializer

    def get(self, request, user_id):
        return Response(self.get_serializer(get_object_or_404(get_user_model(), pk=user_id)).data)

    @extend_schema(request=UserChangeSerializer, responses=UserSerializer)
    def patch(self, request, user_id):
        person = get_object_or_404(get_user_model(), pk=user_id)
        data = self.valid_body(UserChangeSerializer)
        if "password" in data:
            do_set_password(request.user, person, data["password"], source_address=self.source_address)
        if "is_active" in data:
            do_set_active(request.user, person, data["is_active"], source_address=self.source_address)
        return Response(self.get_serializer(person).data)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
class GroupList(UserApiView):
    serializer_class = GroupSerializer
    queryset = Group.objects.order_by("name")

    @extend_schema(responses=GroupSerializer(many=True))
    def get(self, request):
        return self.page_of(self.get_queryset())

    @extend_schema(request=GroupNameSerializer, responses={201: GroupSerializer})
    def post(self, request):
        data = self.valid_body(GroupNameSerializer)
        group = do_create_group(request.user, data["name"], source_address=self.source_address)
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
class GroupDetail(UserApiView):
    serializer_class = GroupSerializer

    def get(self, request, group_id):
        return Response(self.get_serializer(get_object_or_404(Group, pk=group_id)).data)

    @extend_schema(request=GroupNameSerializer, responses=GroupSerializer)
    def patch(self, request, group_id):
        group = get_object_or_404(Group, pk=group_id)
        data = self.valid_body(GroupNameSerializer)
        do_rename_group(request.user, group, data["name"], source_address=self.source_address)
        return Response(self.get_serializer(group).data)

    @extend_schema(responses={204: None})
    def delete(self, request, group_id):
        do_delete_group(request.user, get_object_or_404(Group, pk=group_id), source_address=self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
class GroupMember(UserApiView):
    """One person's membership of one group: PUT puts them in, DELETE takes them out (what the group's grants gave
    them ends at once)."""

    serializer_class = GroupSerializer

    def _both(self, group_id, username):
        return get_object_or_404(Group, pk=group_id), get_object_or_404(get_user_model(), username=username)

    @extend_schema(request=None, responses=GroupSerializer)
    def put(self, request, group_id, username):
        group, person = self._both(group_id, username)
        do_add_member(request.user, group, person, source_address=self.source_address)
        return Response(self.get_serializer(group).data)

    @extend_schema(responses={204: None})
    def delete(self, request, group_id, username):
        group, person = self._both(group_id, username)
        do_remove_member(request.user, group, person, source_address=self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)
