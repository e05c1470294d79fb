"""What the Backups card shows a user: the backups with their chain, jobs under way, the forms allowed, and the
questions its restore and delete buttons ask first."""

from django.utils.translation import gettext as _

from console.confirm import confirm_details
from console.domain_cards import jobs_of
from domains.access import permissions
from domains.backups.actions import backups_of, pools_for_backups
from domains.errors import ConsoleError


def _questions(domain, backup):
    restore_details = [_("Into a new domain: a new domain is defined from the backup, with volumes of its own."),
                       _("Over %(domain)s: its disks are replaced by the backup's; the old volumes are kept.")
                       % {"domain": domain.name}]
    delete_details = [_("Its volumes and its checkpoint are deleted.")]
    if backup.children.exists():
        delete_details.append(_("With the box ticked, the incremental backups built on it go too."))
    return {"restore_question": _("Restore backup %(backup)s?") % {"backup": backup.pk},
            "restore_details": confirm_details(restore_details),
            "delete_question": _("Delete backup %(backup)s?") % {"backup": backup.pk},
            "delete_details": confirm_details(delete_details)}


def backups_card(user, domain, running):
    """The card's context: backups newest first, the pools a backup may go into, the jobs under way."""
    card = {"domain": domain, "running": running, "backups": [], "pools": [], "problem": "",
            "may_backup": all(permissions.has_perm(user, name, domain) for name in ("checkpoint", "block_read")),
            "may_restore_over": permissions.has_perm(user, "write", domain),
            "may_restore_new": permissions.has_perm(user, "define_domains", domain.host)}
    card["jobs"], card["failed_job"] = jobs_of(domain, "domain.backup_")
    card["backups"] = [{"backup": backup, **_questions(domain, backup)} for backup in reversed(backups_of(domain))]
    try:
        card["pools"] = pools_for_backups(user, domain)
    except ConsoleError as exc:
        card["problem"] = exc.message
    return card
