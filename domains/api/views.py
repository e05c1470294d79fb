"""API view bases: a valid body, a list by pages, and the one scoped view that restricts what a user sees."""

from rest_framework.generics import GenericAPIView

from domains.access.lookups import client_address, seen_by, visible
from domains.hosts.models import Host
from domains.lifecycle.models import Domain


# Every API view: valid_body() is the request body checked by a serializer (400 naming the fields
# otherwise), page_of() a list answered a page at a time, source_address the caller's address for the
# audit log. (No docstrings on these classes: the schema would take them as every subclass's description.)
class ApiView(GenericAPIView):

    def valid_body(self, serializer_class=None, **kwargs):
        """The request body's validated data, by serializer_class or else the view's serializer."""
        if serializer_class is None:
            serializer = self.get_serializer(data=self.request.data, **kwargs)
        else:
            serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def page_of(self, rows):
        """The answer to a list request: one page of rows, serialized by the view's serializer."""
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @property
    def source_address(self):
        return client_address(self.request)


# An API view on rows of lookup_model, found by the URL's lookup_url_kwarg: get_queryset() holds only
# what the user may see; get_object(permission) answers 404 for an object the user may not see and 403
# naming permission for one they may see but not act on.
class ScopedView(ApiView):

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
