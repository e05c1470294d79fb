"""API v1 routes of storage pools, included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.storage import api as pool_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("hosts/<int:host_id>/pools", api(pool_views.HostPools), name="api-host-pools"),
    path("hosts/<int:host_id>/pool-types", api(pool_views.HostPoolTypes), name="api-host-pool-types"),
    path("hosts/<int:host_id>/pools/<str:name>", api(pool_views.HostPool), name="api-host-pool"),
    path("hosts/<int:host_id>/pools/<str:name>/actions", api(pool_views.HostPoolActions),
         name="api-host-pool-actions"),
]
