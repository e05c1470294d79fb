"""{% domain_tabs domain "overview" %}: the tabs every page of one domain shows, each only for who may open it.

One list, in the order users need them, so a page of a domain never offers a tab whose page would refuse.
"""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from domains.access import permissions

register = template.Library()

# (key, label, [(url name[#fragment], permission that opens it), ...]: the first the user may open is the tab's page)
TABS = [
    ("overview", _("Overview"), [("domain-detail", "getattr")]),
    ("console", _("Console"), [("console-vnc", "open_graphics"), ("console-serial", "open_device")]),
    ("definition", _("Definition"), [("domain-definition", "read")]),
    ("snapshots", _("Snapshots"), [("domain-snapshots", "read")]),
    ("access", _("Access"), [("domain-access", "manage_grants")]),
    ("audit", _("Audit"), [("domain-audit", "read")]),
    ("qemu", _("QEMU"), [("qemu-monitor", "monitor_read"), ("qemu-commandline", "write")]),
]


def tabs_for(user, domain):
    """[(key, label, url)] of the tabs user may open on domain."""
    shown = []
    for key, label, pages in TABS:
        for url_name, permission in pages:
            if permissions.has_perm(user, permission, domain):
                url_name, _hash, fragment = url_name.partition("#")
                url = reverse(url_name, kwargs={"uuid": domain.uuid})
                shown.append((key, label, f"{url}#{fragment}" if fragment else url))
                break
    return shown


@register.inclusion_tag("lifecycle/_domain_tabs.html", takes_context=True)
def domain_tabs(context, domain, active):
    return {"domain": domain, "active": active, "tabs": tabs_for(context["request"].user, domain)}
