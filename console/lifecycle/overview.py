"""The landing page: a card per host (health, CPU, memory, domains, pools, networks), then the domain list with
search, filters, sort, row actions and bulk actions; and the route those actions post to."""

import json
import uuid as uuidlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from console.confirm import confirm_details
from domains.access import permissions
from domains.access.lookups import client_address
from domains.access.permission_names import AUTHENTICATED
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError
from domains.libvirt.host_facts import HostFacts, host_facts
from domains.lifecycle.actions import ACTIONS
from domains.lifecycle.bulk import BULK_ACTIONS, do_bulk_domain_action
from domains.lifecycle.errors import ActionError
from domains.lifecycle.models import Domain
from domains.lifecycle.overview import FILTER_STATES, SORTS, DomainQuery, domain_list, make_row
from domains.lifecycle.pages import DomainPages
from domains.lifecycle.state_words import state_word

# Row actions that ask first (they take the guest down without asking it), with what the dialog says will happen.
DESTRUCTIVE = {
    "destroy": _("The guest is stopped at once, as if its power were cut: unsaved data in it is lost."),
    "reset": _("The guest is reset at once, as if its reset button were pressed: unsaved data in it is lost."),
}
TOAST_LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}


@dataclass
class HostCard:
    section: object  # listing.HostSection
    facts: HostFacts | None
    count: object  # overview.HostCount
    may_see_pools: bool
    may_count_pools: bool  # every pool of the host is the user's to see: else the count would tell of others
    may_see_networks: bool


def host_cards(user, domains):
    """A HostCard per host the user may see; facts only from hosts libvirt answered (a few calls each)."""
    cards = []
    for section in domains.sections:
        host = section.host
        facts = None
        if section.listed:
            try:
                facts = host_facts(host, adapter.connection_for(host).get())
            except VirtError:
                facts = None
        cards.append(HostCard(
            section, facts, domains.counts[host.pk],
            # The pools page needs only a sight of the host, but the embedded host has no storage driver.
            may_see_pools=not host.embedded,
            may_count_pools=permissions.has_perm(user, "storage_pool.getattr", host),
            may_see_networks=permissions.has_perm(user, "network.getattr", host),
        ))
    return cards


def row_context(user):
    """What each row needs besides itself: the bulk actions the user may take somewhere (a row's checkbox is there
    only if there is one), the same for the list and for a row drawn alone."""
    bulk_actions = [ACTIONS[name] for name in BULK_ACTIONS
                    if permissions.has_perm_somewhere(user, ACTIONS[name].permission)]
    return {"bulk_actions": bulk_actions, "selectable": bool(bulk_actions), "destructive": DESTRUCTIVE,
            "confirm_details": {name: confirm_details([words]) for name, words in DESTRUCTIVE.items()}}


def list_context(request, query, domains):
    """What the domain list's template needs, whether the whole page or the list alone is drawn."""
    params = {key: value for key, value in request.GET.items() if key in ("q", "host", "state", "tag", "gone")}
    return {
        **row_context(request.user),
        "query": query,
        "domains": domains,
        "rows": domains.rows,
        "hosts": [section.host for section in domains.sections],
        "states": [(state, state_word(state)) for state in FILTER_STATES],
        "tags": domains.tags,
        "sorts": {name: sort_link(params, query, name) for name in SORTS},
        "show_gone_link": "?" + urlencode({**params, "gone": "1", "sort": query.sort,
                                           "dir": "desc" if query.descending else "asc"}),
        "previous_page": page_link(params, query, domains.paging.page - 1) if domains.paging.page > 1 else "",
        "next_page": (page_link(params, query, domains.paging.page + 1)
                      if domains.paging.page < domains.paging.pages else ""),
    }


def page_link(params, query, page):
    """The query string of another page of the same list, in the same order."""
    return "?" + urlencode({**params, "sort": query.sort, "dir": "desc" if query.descending else "asc", "page": page})


def sort_link(params, query, name):
    """The query string that sorts by name: the other way round when the list is sorted by it already."""
    descending = query.sort == name and not query.descending
    return "?" + urlencode({**params, "sort": name, "dir": "desc" if descending else "asc"})


@require_GET
def dashboard(request):
    query = DomainQuery.from_params(request.GET)
    if request.headers.get("HX-Request") and query.uuid is not None:
        return render(request, "lifecycle/_domain_rows.html",
                      {"rows": one_row(request.user, query), **row_context(request.user)})
    domains = domain_list(request.user, query)
    if request.headers.get("HX-Request") and request.GET.get("cards"):
        return render(request, "lifecycle/_host_cards.html", {"cards": host_cards(request.user, domains)})
    context = list_context(request, query, domains)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "domain-list":
        return render(request, "lifecycle/_domain_list.html", context)
    return render(request, "lifecycle/dashboard.html", {**context, "cards": host_cards(request.user, domains)})


def one_row(user, query):
    """[DomainRow] of query.uuid if user may see it and it matches the query's filters, else []: the row the live
    list adds for a domain defined meanwhile, or draws again when its state changed. Costs one domain's stats."""
    pages = DomainPages(user, uuid=query.uuid)
    items = [item for item in pages[0:5] if query.matches(item)]
    if not items:
        return []
    item = items[0]
    pk = permissions.restrict(Domain.objects.filter(uuid=item.uuid, host_id=item.host), user).values_list(
        "pk", flat=True).first()
    if pk is None:
        return []
    domain = Domain(pk=pk, host_id=item.host, uuid=item.uuid, name=item.name, gone=item.state == "gone")
    host = Host.objects.get(pk=item.host)
    return [make_row(user, item, domain, host, query)]


@permissions.route_permission(
    AUTHENTICATED, note="each domain is checked for the action's own permission (start, init_control, stop, "
                        "reset, suspend) and each refusal audited; a domain the user may not see counts as not found")
@require_POST
def domain_bulk_action(request):
    """One action on the selected domains (or on one row's domain); the outcome as a toast."""
    uuids, malformed = [], 0
    for value in request.POST.getlist("uuid"):
        try:
            uuids.append(uuidlib.UUID(value))
        except ValueError:
            malformed += 1  # no domain has it: told as not found, like an id of a domain the user may not see
    try:
        outcome = do_bulk_domain_action(request.user, uuids, request.POST.get("action", ""), client_address(request))
        outcome.not_found += malformed
        text, kind = str(outcome.summary()), outcome.kind
    except ActionError as exc:
        text, kind = str(exc.message), "error"
    if request.headers.get("HX-Request"):
        answer = HttpResponse(status=204)
        # str(): the words may be lazy (said in the reader's language), which json cannot write.
        answer["HX-Trigger"] = json.dumps({"vc-toast": {"text": str(text), "kind": kind}})
        return answer
    messages.add_message(request, TOAST_LEVELS[kind], text)
    back = request.POST.get("list_query", "")
    return redirect(reverse("dashboard") + (f"?{back}" if back and "//" not in back else ""))
