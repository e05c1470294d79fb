"""A quota: the most a user, or each member of a group, may own; a null limit is unlimited."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Quota(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="quota")
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="quota")
    max_domains = models.PositiveIntegerField(null=True, blank=True, help_text="Null: unlimited.")
    max_vcpus = models.PositiveIntegerField(null=True, blank=True, help_text="Null: unlimited.")
    max_memory_mib = models.PositiveBigIntegerField(null=True, blank=True, help_text="Null: unlimited.")
    max_disk_bytes = models.PositiveBigIntegerField(null=True, blank=True, help_text="Null: unlimited.")
    changed = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=(models.Q(user__isnull=False, group__isnull=True)
                                              | models.Q(user__isnull=True, group__isnull=False)),
                                   name="quota_of_one_user_or_one_group"),
        ]

    def __str__(self):
        return f"quota of {'user ' + self.user.get_username() if self.user_id else 'group ' + self.group.name}"
