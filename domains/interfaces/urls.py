"""API v1 routes of a domain's interfaces; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.interfaces import api as interface_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("domains/<uuid:uuid>/interfaces", api(interface_views.DomainInterfaces), name="api-domain-interfaces"),
    path("domains/<uuid:uuid>/interfaces/<str:mac>", api(interface_views.DomainInterface),
         name="api-domain-interface"),
]
