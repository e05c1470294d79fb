"""Serializers of the install API: OS variants, the structured create body, media changes."""

from rest_framework import serializers


class SizesSerializer(serializers.Serializer):
    vcpus = serializers.IntegerField(allow_null=True)
    memory_mib = serializers.IntegerField(allow_null=True)
    disk_gib = serializers.IntegerField(allow_null=True)


class OsVariantSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The osinfo id, e.g. http://debian.org/debian/11")
    short_id = serializers.CharField(help_text="The name to give as 'os' when creating, e.g. debian11")
    short_ids = serializers.ListField(child=serializers.CharField())
    name = serializers.CharField()
    vendor = serializers.CharField(allow_blank=True)
    family = serializers.CharField(allow_blank=True)
    release_date = serializers.CharField(allow_null=True)
    eol_date = serializers.CharField(allow_null=True)
    minimum = SizesSerializer()
    recommended = SizesSerializer(help_text="The minimum stands in where the database recommends nothing")
    firmware = serializers.ListField(child=serializers.CharField(), help_text="x86_64 firmware the OS names: efi, bios")
    firmware_unsupported = serializers.ListField(child=serializers.CharField())
