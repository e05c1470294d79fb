"""Serializers of the templates API."""

from rest_framework import serializers

from domains.domain_templates.models import Template
from domains.install.serializers import CloudInitSerializer, InstallSourceSerializer


class TemplateCloudInitSerializer(CloudInitSerializer):
    password = None  # a template keeps no password: it is given when creating from it


class TemplateSerializer(serializers.ModelSerializer):
    install = InstallSourceSerializer(help_text="As the create's install: kind iso|cloud-image|network|import, "
                                                "volume 'pool/volume', mode clone|link, pool")
    networks = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text="Network names: one interface on each")
    cloud_init = TemplateCloudInitSerializer(required=False, allow_null=True)
    disk_format = serializers.CharField(required=False, help_text="qcow2 or raw")
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = Template
        fields = ["id", "name", "description", "os", "vcpus", "memory_mib", "disk_size_gib", "disk_pool",
                  "disk_format", "install", "networks", "cloud_init", "created", "created_by", "changed"]
        read_only_fields = ["created", "changed"]
        # The name's uniqueness is said by the action (409 name_taken), in the API's one error shape.
        extra_kwargs = {"name": {"validators": []}}


class TemplateFromDomainSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
