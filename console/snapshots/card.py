"""What the Snapshots card shows a user: the tree, the snapshot jobs under way, the forms they may use, and the
questions its revert and delete buttons ask first."""

from django.utils.translation import gettext as _

from console.confirm import confirm_details
from console.domain_cards import jobs_of
from domains.access import permissions
from domains.errors import ConsoleError
from domains.snapshots.actions import PERMISSION, snapshots_of
from domains.snapshots.tree import INTERNAL


def kind_words():
    return {"internal": _("internal"), "external_disk_only": _("external, disk only"),
            "external_with_memory": _("external, with memory")}


def _questions(domain, name, has_children):
    """The confirmation dialog's words for reverting to and deleting snapshot name (data-confirm, -details)."""
    revert_details = [_("%(domain)s goes back to how it was when %(snapshot)s was taken: its disks, and its memory "
                        "if the snapshot holds it.") % {"domain": domain.name, "snapshot": name},
                      _("What changed since is lost, unless another snapshot holds it.")]
    delete_details = [_("The snapshot is gone for good: the domain can no longer go back to it.")]
    if has_children:
        delete_details.append(_("With the box ticked, the snapshots under it go too; otherwise they stay."))
    return {"revert_question": _("Revert %(domain)s to snapshot %(snapshot)s?") % {"domain": domain.name,
                                                                                  "snapshot": name},
            "revert_details": confirm_details(revert_details),
            "delete_question": _("Delete snapshot %(snapshot)s?") % {"snapshot": name},
            "delete_details": confirm_details(delete_details)}


def _nodes(domain, tree, by_name, external_revert, words):
    nodes = []
    for node in tree:
        fact = by_name[node["name"]]
        nodes.append({**fact, "kind_words": words.get(fact["kind"], ""),
                      "revert_refusal": "" if fact["kind"] == INTERNAL else external_revert["reason"],
                      **_questions(domain, fact["name"], bool(node["children"])),
                      "nodes": _nodes(domain, node["children"], by_name, external_revert, words)})
    return nodes


def snapshots_card(user, domain, running):
    """The card's context: the snapshots as nested nodes (or problem), what may be taken, jobs under way."""
    card = {"domain": domain, "running": running, "nodes": [], "count": 0, "problem": "", "offers": [],
            "may_snapshot": permissions.has_perm(user, PERMISSION, domain)}
    card["jobs"], card["failed_job"] = jobs_of(domain, "domain.snapshot_")
    try:
        listing = snapshots_of(domain)
    except ConsoleError as exc:
        card["problem"] = exc.message
        return card
    words = kind_words()
    by_name = {fact["name"]: fact for fact in listing["snapshots"]}
    card.update(nodes=_nodes(domain, listing["tree"], by_name, listing["external_revert"], words), count=len(by_name),
                current=listing["current"],
                offers=[{**offer, "words": words[offer["kind"]]} for offer in listing["offers"]])
    card["may_create"] = any(offer["allowed"] for offer in listing["offers"])
    return card
