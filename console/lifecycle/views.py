"""The lifecycle pages: the domain page and its lifecycle buttons (the overview is overview.py)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.libvirt.adapter import VirtError
from domains.lifecycle.actions import ACTIONS, do_domain_action
from domains.lifecycle.facts import read_facts
from domains.lifecycle.models import Domain


@require_GET
def domain_detail(request, uuid):
    return domain_page(request, visible(request.user, Domain, uuid))


def domain_page(request, domain, status=200, **extra):
    """The domain page; a refused form posted from one of its cards renders it again with extra (what was typed)."""
    facts, error = None, ""
    if not domain.gone:
        try:
            facts = read_facts(domain)
        except VirtError as exc:
            error = exc.message
    actions = [
        action for action in ACTIONS.values()
        if facts is not None and action.offered(facts) and permissions.has_perm(request.user, action.permission, domain)
    ]
    return render(request, "lifecycle/domain_detail.html",
                  {"domain": domain, "facts": facts, "error": error, "actions": actions, **extra}, status=status)


@require_POST
def domain_action(request, uuid, action):
    domain = visible(request.user, Domain, uuid)
    options = {"keep_nvram": request.POST.get("keep_nvram") == "on", "confirm_name": request.POST.get("confirm_name"),
               "remove_storage": request.POST.get("remove_storage") == "on"}
    # do_domain_action answers with the words that say what it did.
    done = perform(request, lambda: do_domain_action(request.user, domain, action, options, client_address(request)),
                   str)
    if done and action == "undefine":
        return redirect("dashboard")
    return redirect("domain-detail", uuid=domain.uuid)
