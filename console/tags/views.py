"""The domain page's tags form: the words a domain is found by in the domain list."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.lifecycle.views import domain_page
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.lifecycle.models import Domain
from domains.tags.actions import TagError, do_set_tags, parse_tags


@permissions.route_permission("write", note="on the domain, as libvirt's own metadata needs")
@require_POST
def domain_tags(request, uuid):
    domain = visible(request.user, Domain, uuid)
    typed = request.POST.get("tags", "")
    try:
        tags = do_set_tags(request.user, domain, parse_tags(typed), client_address(request))
    except TagError as exc:
        # The page again, with what was typed and the field marked: nothing was changed.
        return domain_page(request, domain, status=400, tags_typed=typed, tags_error=exc.message)
    messages.success(request, _("Tags saved: %(tags)s.") % {"tags": ", ".join(tags)} if tags else _("Tags removed."))
    return redirect("domain-detail", uuid=domain.uuid)
