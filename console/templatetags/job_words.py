"""A job's kind and a backup's kind in words, for the cards that show a running or failed job: the kinds are
codes ("domain.snapshot_revert", "incremental"), the words the reader's ("revert", "inkrementell")."""

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

# What a snapshot or backup job does, as the cards say it before the snapshot's name or the backup kind.
JOB_ACTIONS = {
    "domain.snapshot_create": pgettext_lazy("job action", "create"),
    "domain.snapshot_revert": pgettext_lazy("job action", "revert"),
    "domain.snapshot_delete": pgettext_lazy("job action", "delete"),
    "domain.backup_create": pgettext_lazy("job action", "create"),
    "domain.backup_delete": pgettext_lazy("job action", "delete"),
    "domain.backup_restore": pgettext_lazy("job action", "restore"),
}
BACKUP_KINDS = {"full": pgettext_lazy("backup kind", "full"),
                "incremental": pgettext_lazy("backup kind", "incremental")}


@register.filter
def job_action(kind):
    """{{ job.kind|job_action }}: "domain.snapshot_revert" -> "revert" in the reader's words; another kind as it is."""
    return JOB_ACTIONS.get(kind, kind)


@register.filter
def backup_kind(kind):
    """{{ job.params.kind|backup_kind }}: "incremental" in the reader's words."""
    return BACKUP_KINDS.get(kind, kind)
