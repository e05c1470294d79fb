"""Template tags the core pages load to show QEMU extras: explained taints, the registry's findings, links."""

from django import template

from domains.access import permissions
from domains.definitions.xml import DefinitionError
from domains.libvirt.adapter import VirtError
from qemu_extras.equivalents import registry as generic_equivalents
from qemu_extras.namespace import changes as definition_changes
from qemu_extras.taints import cache as taint_cache
from qemu_extras.taints.explanations import explain_all

register = template.Library()

ACTIVE = ("running", "paused", "blocked", "pmsuspended")


@register.inclusion_tag("qemu_extras/domain_panel.html", takes_context=True)
def qemu_domain_panel(context, domain, facts):
    """Taints and deprecations explained (to whoever sees the domain), and for who may use them the monitor, the
    passthrough and the registry's rewrites. Renders nothing when there is nothing to tell and nothing to do, so the
    domain page includes it unconditionally."""
    user = context["request"].user
    may_monitor = permissions.has_perm(user, "monitor_read", domain)
    may_write = permissions.has_perm(user, "write", domain)
    panel = {"domain": domain, "messages": explain_all(getattr(facts, "messages", None) or []),
             "running": bool(facts and facts.active), "extras": [], "error": "",
             "may_monitor": may_monitor, "may_write": may_write, "may_act": may_monitor or may_write}
    if may_write:  # the registry's findings lead to rewrites, which only a writer may review
        try:
            xml = definition_changes.inactive_xml(domain)
            version = definition_changes.libvirt_version(domain)
            panel["libvirt_version"] = generic_equivalents.version_text(version)
            # suggest_rewrites lists the rewritable extras in the same order, so the
            # n-th rewritable finding is rewrite number n.
            numbered, count = [], 0
            for extra in generic_equivalents.find_extras(xml, version):
                numbered.append({"use": extra, "rewrite": count if extra.rewritable else None})
                count += extra.rewritable
            panel["extras"] = numbered
        except (VirtError, DefinitionError) as exc:
            panel["error"] = exc.message
    return panel


@register.inclusion_tag("qemu_extras/taint_badges.html")
def qemu_taint_badges(host, item):
    """Badges for a dashboard row: cached per boot, so the listing stays one bulk call per host."""
    if getattr(item, "state", "") not in ACTIVE:
        return {"messages": []}
    return {"messages": taint_cache.explained_for_listing(host, item.uuid)}
