"""The one base of API views that act on one domain or host: the queryset is what the user may see, as restrict() says."""

from rest_framework.generics import GenericAPIView

from domains.access.lookups import seen_by, visible
from domains.hosts.models import Host
from domains.lifecycle.models import Domain


# An API view on rows of lookup_model, found by the URL's lookup_url_kwarg: get_queryset() holds only
# what the user may see; get_object(permission) answers 404 for an object the user may not see and 403
# naming permission for one they may see but not act on. (No docstrings on these classes: the schema
# would take them as every subclass's description.)
class ScopedView(GenericAPIView):

    lookup_model = None
    lookup_url_kwarg = None
    seen_through = ("getattr",)  # the permissions any of which shows an object (see lookups.visible)

    def get_queryset(self):
        return seen_by(self.request.user, self.lookup_model, self.seen_through)

    def get_object(self, permission="getattr"):
        return visible(self.request.user, self.lookup_model, self.kwargs[self.lookup_url_kwarg], permission,
                       self.seen_through)


class DomainScopedView(ScopedView):
    lookup_model = Domain
    lookup_url_kwarg = "uuid"


class HostScopedView(ScopedView):
    lookup_model = Host
    lookup_url_kwarg = "host_id"
