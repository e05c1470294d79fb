"""API v1: a pool's volumes: list, create, show, resize, delete, and the wipe and clone jobs."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.jobs.serializers import JobSerializer
from domains.storage.lookups import visible_pool
from domains.storage.volumes import actions as volumes


class VolumeUserSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    name = serializers.CharField()


class VolumeBackingSerializer(serializers.Serializer):
    path = serializers.CharField()
    format = serializers.CharField(allow_null=True)


class VolumeOverlaySerializer(serializers.Serializer):
    pool = serializers.CharField()
    volume = serializers.CharField()


class VolumeSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField(help_text="libvirt's unique key of the volume (for a file, its path)")
    path = serializers.CharField()
    type = serializers.CharField(help_text="file, block, dir, network, netdir or ploop")
    format = serializers.CharField(allow_null=True, help_text="raw, qcow2, ...")
    capacity = serializers.IntegerField(help_text="Bytes the guest sees")
    allocation = serializers.IntegerField(help_text="Bytes taken on the pool's storage")
    physical = serializers.IntegerField(allow_null=True, help_text="Bytes of the file or device itself")
    backing = VolumeBackingSerializer(allow_null=True)
    used_by = VolumeUserSerializer(many=True, help_text="The domains using the volume that you may see")
    used_by_hidden = serializers.IntegerField(help_text="How many other domains use it (you may not see them)")
    backing_of = VolumeOverlaySerializer(many=True, help_text="The volumes built on this one (qcow2 overlays, "
                                         "directly or through others) in pools you may see: while any exist it "
                                         "cannot be deleted")


class VolumeBackingRequestSerializer(serializers.Serializer):
    pool = serializers.CharField(required=False, help_text="The backing volume's pool; this pool if left out")
    volume = serializers.CharField()


class VolumeCreateSerializer(serializers.Serializer):
    name = serializers.CharField()
    capacity = serializers.IntegerField(min_value=1, help_text="Bytes")
    format = serializers.CharField(required=False, allow_null=True,
                                   help_text="raw or qcow2 in file pools (raw if left out); in other pools one of "
                                             "their type's volume_formats (GET .../pool-types), its default if left "
                                             "out")
    allocation = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                          help_text="Bytes to allocate now; sparse if left out")
    backing = VolumeBackingRequestSerializer(required=False, allow_null=True,
                                             help_text="qcow2 only: a volume you may read, never a path")
    lazy_refcounts = serializers.BooleanField(default=False, help_text="qcow2 only")
    preallocation = serializers.CharField(required=False, allow_null=True,
                                          help_text="qcow2 only: 'metadata' preallocates its metadata")


class VolumeResizeSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(min_value=1, help_text="The new capacity in bytes")
    shrink = serializers.BooleanField(default=False, help_text="true allows a smaller capacity (data beyond the "
                                                               "new end is lost)")


class VolumeActionSerializer(serializers.Serializer):
    # Text fields, not enums: an enum named after the field would collide with other features' "action" enums.
    action = serializers.CharField(help_text="wipe or clone")
    algorithm = serializers.CharField(required=False, help_text="wipe: " + ", ".join(volumes.WIPE_ALGORITHMS)
                                      + "; zero if left out")
    name = serializers.CharField(required=False, help_text="clone: the new volume's name")
    pool = serializers.CharField(required=False, help_text="clone: the target pool; this pool if left out")
    format = serializers.CharField(required=False, allow_null=True,
                                   help_text="clone: raw or qcow2, the copy's format; the source's if left out")

    def validate(self, attrs):
        if attrs["action"] not in ("wipe", "clone"):
            raise serializers.ValidationError({"action": [_("wipe or clone.")]})
        if attrs["action"] == "clone" and not attrs.get("name"):
            raise serializers.ValidationError({"name": [_("A clone needs the new volume's name.")]})
        return attrs


@route_permission(GET="storage_pool.search_storage_vols", POST="storage_vol.create", note="on the pool")
class PoolVolumes(ApiView):
    serializer_class = VolumeCreateSerializer

    @extend_schema(responses=VolumeSerializer(many=True))
    def get(self, request, host_id, pool):
        row, handle = visible_pool(request.user, host_id, pool, "storage_pool.search_storage_vols")
        return Response(VolumeSerializer(volumes.list_volumes(request.user, row, handle), many=True).data)

    @extend_schema(request=VolumeCreateSerializer, responses={201: VolumeSerializer})
    def post(self, request, host_id, pool):
        row, handle = visible_pool(request.user, host_id, pool, "storage_pool.getattr")
        data = self.valid_body()
        backing = dict(data["backing"]) if data.get("backing") else None
        vol = volumes.do_create_volume(request.user, row, handle, data["name"], data["capacity"], data.get("format"),
                                       data.get("allocation"), backing, data["lazy_refcounts"],
                                       data.get("preallocation"), self.source_address)
        return Response(VolumeSerializer(volumes.describe_volume(request.user, row, handle, vol, new=True)).data,
                        status=201)


@route_permission(GET="storage_vol.getattr", PATCH="storage_vol.resize", DELETE="storage_vol.delete",
                  note="on the pool")
class PoolVolume(ApiView):
    serializer_class = VolumeResizeSerializer

    @extend_schema(responses=VolumeSerializer)
    def get(self, request, host_id, pool, volume):
        row, handle, vol = volumes.visible_volume(request.user, host_id, pool, volume)
        return Response(VolumeSerializer(volumes.describe_volume(request.user, row, handle, vol)).data)

    @extend_schema(request=VolumeResizeSerializer, responses=VolumeSerializer)
    def patch(self, request, host_id, pool, volume):
        row, handle, vol = volumes.visible_volume(request.user, host_id, pool, volume)
        data = self.valid_body()
        volumes.do_resize_volume(request.user, row, handle, vol, data["capacity"], data["shrink"],
                                 self.source_address)
        return Response(VolumeSerializer(volumes.describe_volume(request.user, row, handle, vol)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, host_id, pool, volume):
        row, handle, vol = volumes.visible_volume(request.user, host_id, pool, volume)
        volumes.do_delete_volume(request.user, row, handle, vol, self.source_address)
        return Response(status=204)


@route_permission(("storage_vol.format", "storage_vol.data_read"),
                  note="on the pool: wipe needs storage_vol.format; clone storage_vol.data_read here and "
                       "storage_vol.create on the target pool")
class PoolVolumeActions(ApiView):
    serializer_class = VolumeActionSerializer

    @extend_schema(request=VolumeActionSerializer, responses={202: JobSerializer})
    def post(self, request, host_id, pool, volume):
        row, handle, vol = volumes.visible_volume(request.user, host_id, pool, volume)
        data = self.valid_body()
        if data["action"] == "wipe":
            job = volumes.do_wipe_volume(request.user, row, handle, vol, data.get("algorithm") or "zero",
                                         self.source_address)
        else:
            job = volumes.do_clone_volume(request.user, row, handle, vol, data["name"], data.get("pool"),
                                          data.get("format"), self.source_address)
        return Response(JobSerializer(job).data, status=202)

