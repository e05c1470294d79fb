"""The shapes of a domain's snapshots in API v1: one snapshot, the list with its tree, and the requests."""

from rest_framework import serializers

from domains.snapshots.actions import CREATE_KINDS, REVERT_STATES
from domains.snapshots.tree import KINDS


class SnapshotDiskSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The disk's target (vda, ...)")
    snapshot = serializers.CharField(help_text="How the snapshot took it: internal, external or no")


class SnapshotOverlaySerializer(serializers.Serializer):
    disk = serializers.CharField(help_text="The disk's target")
    path = serializers.CharField(help_text="The overlay file libvirt made for the disk")
    pool = serializers.CharField(allow_null=True, help_text="The pool holding it as a volume (null: in none)")
    volume = serializers.CharField(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True, help_text="Bytes the guest sees")
    allocation = serializers.IntegerField(allow_null=True, help_text="Bytes the overlay takes: what changed since")


class SnapshotMemorySerializer(serializers.Serializer):
    path = serializers.CharField(help_text="The file holding the memory state")
    pool = serializers.CharField(allow_null=True, help_text="The pool holding it as a volume (null: in none)")
    volume = serializers.CharField(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True)
    allocation = serializers.IntegerField(allow_null=True, help_text="Bytes it takes")


class SnapshotSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField(allow_null=True)
    # Text, not enums: an enum named after the field would collide with other features' "state" and "kind" enums.
    state = serializers.CharField(help_text="The domain's state when it was taken: running, paused, shutoff, "
                                            "disk-snapshot, ...")
    parent = serializers.CharField(allow_null=True, help_text="The parent snapshot's name; null for a root")
    children = serializers.ListField(child=serializers.CharField(), help_text="The names of its children, oldest "
                                                                              "first")
    current = serializers.BooleanField(help_text="The snapshot the domain's state descends from now")
    kind = serializers.CharField(help_text=" | ".join(KINDS))
    memory_file = serializers.CharField(allow_null=True, help_text="external_with_memory: the memory state's file")
    memory = SnapshotMemorySerializer(allow_null=True, help_text="external_with_memory: the memory state's file as a "
                                                                 "volume of its pool")
    disks = SnapshotDiskSerializer(many=True)
    overlays = SnapshotOverlaySerializer(many=True, help_text="External snapshots: the overlay made for each disk, "
                                                              "as a volume of its pool with its size")


class SnapshotOfferSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=" | ".join(CREATE_KINDS))
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why it is refused now and what to do; what it does when allowed")


class ExternalRevertSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="Whether the host's libvirt can revert external snapshots (9.9+)")
    reason = serializers.CharField(allow_blank=True)


class SnapshotListSerializer(serializers.Serializer):
    current = serializers.CharField(allow_null=True, help_text="The current snapshot's name, if any")
    snapshots = SnapshotSerializer(many=True, help_text="Every snapshot, oldest first, each naming parent and "
                                                        "children")
    tree = serializers.JSONField(help_text='The roots, oldest first, as [{"name": ..., "children": [<the same '
                                           'shape>]}]')
    offers = SnapshotOfferSerializer(many=True, help_text="The kinds POST may take now, with the reasons")
    external_revert = ExternalRevertSerializer()


class SnapshotCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="No '/', no '..', printable; unique on the domain")
    kind = serializers.CharField(default="internal", help_text="internal (with the memory state when the domain "
                                                               "runs; qcow2 disks), external_disk_only (an overlay "
                                                               "volume per disk, in the disk's pool) or "
                                                               "external_with_memory (a running domain: overlays and "
                                                               "a memory file in the first disk's pool)")
    description = serializers.CharField(default="", allow_blank=True, max_length=4000)


class SnapshotRevertSerializer(serializers.Serializer):
    state = serializers.CharField(default="snapshot", help_text=" | ".join(REVERT_STATES) + ": as it was taken "
                                                                "(snapshot), or started running or paused")
