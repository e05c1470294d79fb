"""API v1 routes of a domain's snapshots; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.snapshots import api as snapshot_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("domains/<uuid:uuid>/snapshots", api(snapshot_views.DomainSnapshots), name="api-domain-snapshots"),
    path("domains/<uuid:uuid>/snapshots/<str:name>", api(snapshot_views.DomainSnapshot), name="api-domain-snapshot"),
    path("domains/<uuid:uuid>/snapshots/<str:name>/revert", api(snapshot_views.DomainSnapshotRevert),
         name="api-domain-snapshot-revert"),
]
