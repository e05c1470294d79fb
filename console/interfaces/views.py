"""The domain page's Interfaces card: its table re-read in place, and its forms (add, link up/down, change, remove)."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.domain_cards import card_body
from console.interfaces.card import (
    BANDWIDTH_DIRECTIONS,
    BANDWIDTH_KEYS,
    interfaces_card,
)
from console.lifecycle.views import domain_page
from console.page_actions import Unchanged, perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.definitions.models import RevisionSource
from domains.interfaces.actions import (
    NEEDED,
    InterfaceError,
    do_add_interface,
    do_change_interface,
    do_remove_interface,
)
from domains.interfaces.listing import interface_of
from domains.lifecycle.models import Domain

route_permission = permissions.route_permission

# The add form's source field for each kind of interface.
SOURCE_FIELDS = {"network": "network", "bridge": "bridge", "direct": "device"}


def _card_url(domain):
    return reverse("domain-detail", args=[domain.uuid]) + "#interfaces"


def _changeable(request, uuid):
    """The domain, visible to the user and changeable by them (404 hidden, 403 naming what is missing)."""
    domain = visible(request.user, Domain, uuid)
    for name in NEEDED:
        permissions.require(request.user, name, domain)
    return domain


def _limit_words(direction, key):
    """A bandwidth limit's name in a sentence: "inbound average", "outbound burst"."""
    return {("inbound", "average"): _("inbound average"), ("inbound", "peak"): _("inbound peak"),
            ("inbound", "burst"): _("inbound burst"), ("outbound", "average"): _("outbound average"),
            ("outbound", "peak"): _("outbound peak"), ("outbound", "burst"): _("outbound burst")}[direction, key]


def bandwidth_from_form(form):
    """{"inbound": {"average": ...}, ...} from the form's number fields; a direction left empty has no limit."""
    bandwidth = {}
    for direction in BANDWIDTH_DIRECTIONS:
        limit = {}
        for key in BANDWIDTH_KEYS:
            field = f"{direction}_{key}"
            text = form.get(field, "").strip()
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                unit = "KiB" if key == "burst" else "KiB/s"
                raise InterfaceError(_("The %(limit)s limit must be a whole number above 0 (%(unit)s), not "
                                       "'%(text)s'; leave it empty for no limit.")
                                     % {"limit": _limit_words(direction, key), "unit": unit, "text": text},
                                     fields={field: [_("A whole number.")]})
            limit[key] = int(text)
        if limit and "average" not in limit:
            needs = (_("An inbound limit needs its average rate: give the average, or leave the inbound peak and "
                       "burst empty.") if direction == "inbound" else
                     _("An outbound limit needs its average rate: give the average, or leave the outbound peak and "
                       "burst empty."))
            raise InterfaceError(needs, fields={f"{direction}_average": [_("Required.")]})
        if limit:
            bandwidth[direction] = limit
    return bandwidth


def spec_from_form(form):
    """The add action's spec from the add form: empty fields are left out, as the API leaves them out."""
    kind = form.get("type") or "network"
    spec = {"type": kind, "model": form.get("model") or "virtio"}
    source = form.get(SOURCE_FIELDS.get(kind, "network"), "").strip()
    if source:
        spec["source"] = source
    if kind == "direct" and form.get("mode"):
        spec["mode"] = form["mode"]
    if form.get("mac", "").strip():
        spec["mac"] = form["mac"].strip()
    if form.get("filter", "").strip():
        spec["filter"] = {"name": form["filter"].strip(), "parameters": {}}
    bandwidth = bandwidth_from_form(form)
    if bandwidth:
        spec["bandwidth"] = bandwidth
    return spec


@route_permission(NEEDED, note="on the domain: both write and save (the definition changes too); a bridge or direct "
                                "source also needs host_resources")
@require_POST
def interface_add(request, uuid):
    domain = _changeable(request, uuid)
    errors = {}

    def add():
        return do_add_interface(request.user, domain, spec_from_form(request.POST), "", RevisionSource.CONSOLE,
                                client_address(request))

    def done(change):
        if change.live:
            return _("Interface %(mac)s added to the running guest and its definition.") % {"mac": change.mac}
        return _("Interface %(mac)s added to the definition.") % {"mac": change.mac}

    if perform(request, add, done, failed=_("The interface was not added: "), errors=errors):
        return redirect(_card_url(domain))
    # Refused: the page again, with what was typed and the fields at fault.
    return domain_page(request, domain, status=400, interface_form=request.POST, interface_errors=errors)


def _change_spec(form, current):
    """What the change form asks that differs from the interface now: model, filter, bandwidth."""
    spec = {}
    if form.get("model") and form["model"] != current["model"]:
        spec["model"] = form["model"]
    if "filter" in form:
        wanted = form["filter"].strip() or None
        if wanted != (current["filter"] or {}).get("name"):
            spec["filter"] = {"name": wanted, "parameters": {}} if wanted else None
    bandwidth = bandwidth_from_form(form)
    if bandwidth != {direction: limit for direction, limit in (current["bandwidth"] or {}).items() if limit}:
        spec["bandwidth"] = bandwidth or None
    return spec


@route_permission(NEEDED, note="on the domain: both write and save")
@require_POST
def interface_change(request, uuid, mac):
    domain = _changeable(request, uuid)

    def change():
        current = interface_of(domain, mac)
        if current is None:
            raise InterfaceError(_("Domain '%(name)s' has no interface with MAC %(mac)s any more: it was removed "
                                   "meanwhile. Look at the list again.") % {"name": domain.name, "mac": mac},
                                 status=404, code="not_found")
        if request.POST.get("link") in ("up", "down"):
            spec = {"link": request.POST["link"]} if request.POST["link"] != current["link"] else {}
        else:
            spec = _change_spec(request.POST, current)
        if not spec:
            return None
        return do_change_interface(request.user, domain, mac, spec, "", RevisionSource.CONSOLE, client_address(request))

    def done(change):
        if change is None:
            return Unchanged(_("Interface %(mac)s already is as asked: nothing changed.") % {"mac": mac})
        if change.live:
            return _("Interface %(mac)s changed on the running guest and in its definition.") % {"mac": mac}
        return _("Interface %(mac)s changed in the definition.") % {"mac": mac}

    perform(request, change, done, failed=_("Interface %(mac)s was not changed: ") % {"mac": mac})
    return redirect(_card_url(domain))


@route_permission(NEEDED, note="on the domain: both write and save")
@require_POST
def interface_remove(request, uuid, mac):
    domain = _changeable(request, uuid)

    def done(change):
        if change.pending:
            return _("Interface %(mac)s removed from the definition; the running guest has not let go of it yet. It "
                     "is listed as pending removal until the guest does.") % {"mac": change.mac}
        if change.live:
            return _("Interface %(mac)s removed from the running guest and its definition.") % {"mac": change.mac}
        return _("Interface %(mac)s removed from the definition.") % {"mac": change.mac}

    perform(request, lambda: do_remove_interface(request.user, domain, mac, "", RevisionSource.CONSOLE,
                                                 client_address(request)),
            done, failed=_("Interface %(mac)s was not removed: ") % {"mac": mac})
    return redirect(_card_url(domain))


@route_permission("read", note="on the domain, like GET /api/v1/domains/{uuid}/interfaces")
@require_GET
def interface_table(request, uuid):
    """The card's table alone, read again (addresses come and go): the page swaps it in without a reload."""
    return card_body(request, uuid, "interfaces/_table.html", interfaces_card)
