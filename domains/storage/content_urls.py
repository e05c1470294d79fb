"""API v1 routes of volume content (included from domains/api/urls.py; PUT is routed ahead of Django too)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.storage.content_api import VolumeContent

CONTENT_ROUTE = "hosts/<int:host_id>/pools/<str:pool>/volumes/<str:volume>/content"

urlpatterns = [
    path(CONTENT_ROUTE, login_not_required(VolumeContent.as_view(metadata_class=DescriptionOnlyMetadata)),
         name="api-volume-content"),
]
