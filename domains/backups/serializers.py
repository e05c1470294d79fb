"""The shapes of a domain's backups in API v1: one backup, and the requests to take, restore and delete them."""

from rest_framework import serializers

from domains.backups.models import KINDS
from domains.backups.restore import MODES


class BackupVolumeSerializer(serializers.Serializer):
    disk = serializers.CharField(help_text="The disk's target (vda, ...)")
    pool = serializers.CharField(help_text="The pool holding the backup's image of the disk")
    volume = serializers.CharField()
    path = serializers.CharField()
    capacity = serializers.IntegerField(help_text="Bytes the guest sees")
    allocation = serializers.IntegerField(help_text="Bytes the image takes: all data (full) or what changed "
                                                    "(incremental)")


class BackupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # Text, not enums: an enum named after the field would collide with other features' "state" and "kind" enums.
    kind = serializers.CharField(help_text=" | ".join(KINDS))
    parent = serializers.IntegerField(source="parent_id", allow_null=True, help_text="Incremental: the backup it "
                                                                                     "builds on")
    children = serializers.SerializerMethodField(help_text="The incremental backups that build on it")
    checkpoint = serializers.CharField(help_text="The libvirt checkpoint made with it")
    volumes = BackupVolumeSerializer(source="disks", many=True)
    size = serializers.IntegerField(help_text="Bytes its volumes take")
    created = serializers.DateTimeField()
    created_by = serializers.CharField()
    state = serializers.CharField(help_text="running | complete")
    job = serializers.IntegerField(source="job_id", allow_null=True)

    def get_children(self, backup) -> list[int]:
        return sorted(child.pk for child in backup.children.all())


class BackupCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(default="full", help_text=" | ".join(KINDS) + ": incremental holds what changed "
                                                                              "since the newest backup")
    pool = serializers.CharField(help_text="The pool (a directory pool on the domain's host) the backup goes into")


class BackupRestoreSerializer(serializers.Serializer):
    mode = serializers.CharField(default="new", help_text=" | ".join(MODES) + ": a new domain (new name, UUID and "
                                                                              "MACs), or over this one (shut off)")
    pool = serializers.CharField(help_text="The pool the restored disks go into")
    name = serializers.CharField(default="", allow_blank=True, help_text="mode new: the new domain's name")
