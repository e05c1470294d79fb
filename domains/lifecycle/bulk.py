"""One lifecycle action on several domains at once: each domain checked, done and audited on its own."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from domains.access import permissions
from domains.access.permissions import PermissionDenied
from domains.libvirt.adapter import VirtError
from domains.lifecycle.actions import ACTIONS, do_domain_action
from domains.lifecycle.errors import ActionError
from domains.lifecycle.facts import read_facts
from domains.lifecycle.models import Domain
from domains.lifecycle.overview import ROW_ACTIONS
from domains.lifecycle.state_words import state_word

BULK_ACTIONS = ROW_ACTIONS
MOST_AT_ONCE = 500


@dataclass
class BulkOutcome:
    """What became of each domain asked: done (the action's own words), skipped, refused, failed."""

    action: object  # the LifecycleAction
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (name, why): not in a state the action fits
    refused: list = field(default_factory=list)  # names: the user lacks the permission (audited as a refusal)
    failed: list = field(default_factory=list)  # libvirt's or the action's words
    not_found: int = 0  # uuids of no domain the user may see

    @property
    def kind(self):
        """The toast's kind: success when all asked was done, error when nothing was, warning in between."""
        if not (self.skipped or self.refused or self.failed or self.not_found):
            return "success"
        return "warning" if self.done else "error"

    def summary(self):
        parts = []
        if self.done:
            parts.append(_("%(action)s: %(names)s.") % {"action": _(self.action.label), "names": ", ".join(self.done)})
        if self.skipped:
            parts.append(_("Skipped (not in a state for it): %(names)s.") % {
                "names": ", ".join(f"{name} ({why})" for name, why in self.skipped)})
        if self.refused:
            parts.append(_("Not allowed: %(names)s.") % {"names": ", ".join(self.refused)})
        if self.failed:
            parts.append(" ".join(self.failed))
        if self.not_found:
            parts.append(_("%(count)d not found: undefined meanwhile, or not yours to see.") % {"count": self.not_found})
        return " ".join(parts) or _("No domain was selected.")


def do_bulk_domain_action(user, uuids, action_name, source_address=None):
    """Run one of BULK_ACTIONS on each domain of uuids that user may see; a BulkOutcome. Each domain goes
    through do_domain_action: its own permission check (a refusal audited), its own audit entry."""
    if action_name not in BULK_ACTIONS:
        raise ActionError(_("'%(action)s' cannot be done on several domains at once. Use one of: %(actions)s.") % {
            "action": action_name, "actions": ", ".join(BULK_ACTIONS)}, code="unknown_action")
    action = ACTIONS[action_name]
    wanted = list(dict.fromkeys(uuids))
    if len(wanted) > MOST_AT_ONCE:
        # Refused whole rather than cut short: a user must never believe an action reached domains it did not.
        raise ActionError(_("%(count)d domains were selected; at most %(most)d can be acted on at once. Select "
                            "fewer, for example by filtering the list by host or state.") % {
            "count": len(wanted), "most": MOST_AT_ONCE}, code="too_many")
    outcome = BulkOutcome(action)
    seen = permissions.restrict(Domain.objects.filter(uuid__in=wanted, gone=False), user).select_related("host")
    found = {domain.uuid: domain for domain in seen}
    outcome.not_found = len([each for each in wanted if each not in found])
    for domain in sorted(found.values(), key=lambda each: each.name):
        try:
            facts = read_facts(domain)
        except VirtError as exc:
            outcome.failed.append(_("Could not read '%(name)s': %(error)s") % {"name": domain.name,
                                                                               "error": exc.message})
            continue
        if not action.offered(facts):
            outcome.skipped.append((domain.name, state_word(facts.state)))
            continue
        try:
            do_domain_action(user, domain, action_name, {}, source_address)
        except PermissionDenied:
            outcome.refused.append(domain.name)
        except ActionError as exc:
            outcome.failed.append(str(exc))  # said now: the summary is made for this request

        else:
            outcome.done.append(domain.name)
    return outcome
