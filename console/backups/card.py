"""What the domain page's Backups card shows a user: the backups with their chain, jobs under way, the forms allowed."""

from console.domain_cards import jobs_of
from domains.access import permissions
from domains.backups.actions import backups_of, pools_for_backups
from domains.errors import ConsoleError


def backups_card(user, domain, running):
    """The card's context: backups newest first, the pools a backup may go into, the jobs under way."""
    card = {"domain": domain, "running": running, "backups": [], "pools": [], "problem": "",
            "may_backup": all(permissions.has_perm(user, name, domain) for name in ("checkpoint", "block_read")),
            "may_restore_over": permissions.has_perm(user, "write", domain),
            "may_restore_new": permissions.has_perm(user, "define_domains", domain.host)}
    card["jobs"], card["failed_job"] = jobs_of(domain, "domain.backup_")
    card["backups"] = list(reversed(backups_of(domain)))
    try:
        card["pools"] = pools_for_backups(user, domain)
    except ConsoleError as exc:
        card["problem"] = exc.message
    return card
