"""Serializers of the install API: OS variants, the structured create body, media changes."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class SizesSerializer(serializers.Serializer):
    """vCPUs, memory and disk of one resources level; null where osinfo-db says nothing."""

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
    minimum = SizesSerializer(help_text="The least the OS runs with")
    recommended = SizesSerializer(help_text="The minimum stands in where the database recommends nothing")
    firmware = serializers.ListField(child=serializers.CharField(), help_text="x86_64 firmware the OS names: efi, bios")
    firmware_unsupported = serializers.ListField(child=serializers.CharField())


class InstallSourceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["iso", "cloud-image", "network", "import"])
    volume = serializers.CharField(required=False, help_text="'pool/volume': the ISO, the cloud image or the disk to "
                                                             "import (not for network)")
    mode = serializers.CharField(required=False, help_text="cloud-image: 'clone' (a copy of the image, a job) or "
                                                           "'link' (a qcow2 overlay on it)")
    pool = serializers.CharField(required=False, help_text="cloud-image: the pool of the copy or overlay")


class NewDiskSerializer(serializers.Serializer):
    pool = serializers.CharField()
    size_gib = serializers.IntegerField(required=False, min_value=1, help_text="The OS's recommended size if left out")
    format = serializers.ChoiceField(choices=["qcow2", "raw"], required=False)


class NewInterfaceSerializer(serializers.Serializer):
    network = serializers.CharField()


class CloudInitSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_blank=True)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                     help_text="Written to the seed as a SHA-512 crypt hash only")
    ssh_keys = serializers.ListField(child=serializers.CharField(), required=False)
    hostname = serializers.CharField(required=False, allow_blank=True)
    user_data = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                      help_text="Free cloud-config (YAML), merged under the fields above")
    pool = serializers.CharField(required=False, help_text="The seed ISO's pool (the boot disk's by default)")


class HostDomainCreateSerializer(serializers.Serializer):
    xml = serializers.CharField(required=False, trim_whitespace=False,
                                help_text="A libvirt <domain> definition; or leave it out and give install, name...")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    name = serializers.CharField(required=False)
    os = serializers.CharField(required=False, help_text="An osinfo short id (GET /os-variants): sizes default to its "
                                                         "recommended ones")
    vcpus = serializers.IntegerField(required=False, min_value=1)
    memory_mib = serializers.IntegerField(required=False, min_value=1)
    firmware = serializers.ChoiceField(choices=["bios", "uefi", "uefi-secure"], required=False,
                                       help_text="Only what the host's domain capabilities offer")
    install = InstallSourceSerializer(required=False)
    disks = NewDiskSerializer(many=True, required=False)
    interfaces = NewInterfaceSerializer(many=True, required=False)
    cloud_init = CloudInitSerializer(required=False)
    start = serializers.BooleanField(required=False, default=False)
    template = serializers.IntegerField(required=False, help_text="A template's id (GET /templates): its fields, "
                                                                  "each one given here replacing it")

    def validate(self, attrs):
        if "xml" not in attrs and (("install" not in attrs and "template" not in attrs) or "name" not in attrs):
            raise serializers.ValidationError(_("Give either xml (a definition) or name and install (a structured "
                                                "create) or name and template."))
        return attrs


class InstallResultSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    revision = serializers.IntegerField(help_text="The created definition's revision number")
    volumes = serializers.ListField(child=serializers.CharField(), help_text="'pool/volume' made for it")
    started = serializers.BooleanField()
    os = serializers.CharField(allow_null=True)


class MediaChangeSerializer(serializers.Serializer):
    device = serializers.CharField(help_text="The drive's target name, e.g. hdc or sda")
    volume = serializers.CharField(allow_null=True, help_text="'pool/volume' to insert, or null to eject")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class MediaResultSerializer(serializers.Serializer):
    device = serializers.CharField()
    volume = serializers.CharField(allow_null=True)
    live = serializers.BooleanField(help_text="True when the running domain's drive changed too")
    revision = serializers.IntegerField(allow_null=True, help_text="The definition's new revision, if it changed")
