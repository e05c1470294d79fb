"""The lifecycle pages: the domain page and its lifecycle buttons (the overview is overview.py)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.confirm import confirm_details
from console.lifecycle.action_menu import action_menu, undefine_confirmation
from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.libvirt.adapter import VirtError
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.facts import read_facts
from domains.lifecycle.models import Domain


def facts_or_error(domain):
    """(facts, "") of a domain libvirt has; (None, the host's error) when libvirt did not answer; (None, "") when
    the domain is gone: what a page of the domain shows at its top."""
    if domain.gone:
        return None, ""
    try:
        return read_facts(domain), ""
    except VirtError as exc:
        return None, exc.message


def domain_context(request, domain):
    """What the domain page and its parts read again after a lifecycle event show: facts (or the host's error) and
    the Actions card's menu."""
    facts, error = facts_or_error(domain)
    question, details = undefine_confirmation(domain)
    return {"domain": domain, "facts": facts, "error": error, "menu": action_menu(request.user, domain, facts),
            "undefine_question": question, "undefine_details": confirm_details(details)}


@require_GET
def domain_detail(request, uuid):
    return domain_page(request, visible(request.user, Domain, uuid))


def domain_page(request, domain, status=200, **extra):
    """The domain page; a refused form posted from one of its cards renders it again with extra (what was typed)."""
    return render(request, "lifecycle/domain_detail.html", {**domain_context(request, domain), **extra}, status=status)


@permissions.route_permission("getattr", note="on the domain, like the domain page")
@require_GET
def domain_summary(request, uuid):
    """The domain page's state, Actions card and facts alone, read again after a lifecycle event (htmx swaps them
    in: the Actions card in place, the state and facts out of band)."""
    return render(request, "lifecycle/_summary.html", domain_context(request, visible(request.user, Domain, uuid)))


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
    if not done and action == "undefine":
        # Refused (a mistyped name, storage still in use...): the form again, open, with what was typed.
        return domain_page(request, domain, status=400, undefine_form=request.POST,
                           undefine_error=request.POST.get("confirm_name") != domain.name)
    return redirect("domain-detail", uuid=domain.uuid)
