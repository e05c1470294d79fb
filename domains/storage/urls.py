"""API v1 routes of storage: pools, their volumes, a volume's content; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.storage.pools import api as pool_views
from domains.storage.transfer.api import VolumeContent
from domains.storage.volumes import api as volume_views

POOL = "hosts/<int:host_id>/pools/<str:name>"
VOLUMES = "hosts/<int:host_id>/pools/<str:pool>/volumes"
# console/asgi.py routes a PUT here to the streaming upload app before Django sees it.
CONTENT_ROUTE = f"{VOLUMES}/<str:volume>/content"


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("hosts/<int:host_id>/pools", api(pool_views.HostPools), name="api-host-pools"),
    path("hosts/<int:host_id>/pool-types", api(pool_views.HostPoolTypes), name="api-host-pool-types"),
    path(POOL, api(pool_views.HostPool), name="api-host-pool"),
    path(f"{POOL}/actions", api(pool_views.HostPoolActions), name="api-host-pool-actions"),
    path(VOLUMES, api(volume_views.PoolVolumes), name="api-pool-volumes"),
    path(f"{VOLUMES}/<str:volume>", api(volume_views.PoolVolume), name="api-pool-volume"),
    path(f"{VOLUMES}/<str:volume>/actions", api(volume_views.PoolVolumeActions), name="api-pool-volume-actions"),
    path(CONTENT_ROUTE, api(VolumeContent), name="api-volume-content"),
]
