"""The shape of a clone request in API v1."""

from rest_framework import serializers


class CloneDiskSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="The source disk's target (vda, ...)")
    # Text, not an enum: an enum named after the field would collide with other features' "mode" enums.
    mode = serializers.CharField(required=False, help_text="copy: a copy of the volume; linked: a "
                                   "qcow2 overlay on it; share: the same image (read-only, shareable or CD-ROM only)."
                                   " Default: copy (share for read-only, shareable and CD-ROM disks)")
    pool = serializers.CharField(required=False, help_text="The pool the new volume goes in (default: the source "
                                                           "volume's)")
    format = serializers.CharField(required=False, help_text="The new volume's format (default: the source's where "
                                                             "the pool holds it); linked clones are qcow2")


class CloneRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=63, help_text="The clone's name, unique on the host")
    host = serializers.IntegerField(required=False, help_text="The id of the host the clone goes to (default: the "
                                    "source's). Another host must be of the same kind (not embedded) and hold a pool "
                                    "of each copied disk's pool name; disks are copied there by storage streams, "
                                    "read-only ones shared where it has the same pool/volume, none linked")
    disks = CloneDiskSerializer(many=True, required=False, help_text="A choice per disk; disks left out take the "
                                                                     "default")
