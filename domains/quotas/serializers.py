"""Serializers of the quotas API: a user's usage beside her limits, and a quota as administrators set it."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from domains.quotas.models import Quota


class AmountsSerializer(serializers.Serializer):
    domains = serializers.IntegerField(allow_null=True)
    vcpus = serializers.IntegerField(allow_null=True)
    memory_mib = serializers.IntegerField(allow_null=True)
    disk_bytes = serializers.IntegerField(allow_null=True)


class QuotaSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", allow_null=True, default=None, read_only=True)
    group_name = serializers.CharField(source="group.name", allow_null=True, default=None, read_only=True)

    class Meta:
        model = Quota
        fields = ["id", "user", "username", "group", "group_name", "max_domains", "max_vcpus", "max_memory_mib",
                  "max_disk_bytes", "changed"]


class QuotaUsageSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    used = AmountsSerializer(help_text="What the user owns now: domains she holds the owner's Administrator grant "
                                       "on, their vCPUs, memory and the capacities of their disks in pools")
    limits = AmountsSerializer(help_text="Her effective limits; null is unlimited")
    limits_from = serializers.ChoiceField(choices=["user", "group", "none", "superuser"],
                                          help_text="Where the limits come from: her own quota, the most generous "
                                                    "of her groups', none (unlimited) or superuser (unlimited)")
    quotas = QuotaSerializer(many=True, required=False,
                             help_text="Administrators (manage_quotas) only: every quota set, users' and groups'")


class QuotaChangeSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, help_text="The user's id; or give group")
    group = serializers.IntegerField(required=False, help_text="The group's id; or give user")
    max_domains = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    max_vcpus = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    max_memory_mib = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    max_disk_bytes = serializers.IntegerField(required=False, allow_null=True, min_value=0)

    def validate(self, attrs):
        if ("user" in attrs) == ("group" in attrs):
            raise serializers.ValidationError(_('Name exactly one holder: "user": <id> or "group": <id>.'))
        return attrs
