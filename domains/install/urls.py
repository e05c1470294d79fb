"""API v1 routes of installing an OS; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.install import api as install_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("os-variants", api(install_views.OsVariants), name="api-os-variants"),
    path("domains/<uuid:uuid>/media", api(install_views.DomainMedia), name="api-domain-media"),
]
