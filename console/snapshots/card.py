"""What the domain page's Snapshots card shows a user: the tree, the snapshot jobs under way, the forms they may use."""

from console.domain_cards import jobs_of
from domains.access import permissions
from domains.errors import ConsoleError
from domains.snapshots.actions import PERMISSION, snapshots_of
from domains.snapshots.tree import INTERNAL

KIND_WORDS = {"internal": "internal", "external_disk_only": "external, disk only",
              "external_with_memory": "external, with memory"}


def _nodes(tree, by_name, external_revert):
    return [{**by_name[node["name"]], "kind_words": KIND_WORDS.get(by_name[node["name"]]["kind"], ""),
             "revert_refusal": "" if by_name[node["name"]]["kind"] == INTERNAL else external_revert["reason"],
             "nodes": _nodes(node["children"], by_name, external_revert)} for node in tree]


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
    by_name = {fact["name"]: fact for fact in listing["snapshots"]}
    card.update(nodes=_nodes(listing["tree"], by_name, listing["external_revert"]), count=len(by_name),
                current=listing["current"],
                offers=[{**offer, "words": KIND_WORDS[offer["kind"]]} for offer in listing["offers"]])
    card["may_create"] = any(offer["allowed"] for offer in listing["offers"])
    return card
