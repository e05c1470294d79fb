"""API v1 route of cloning a domain; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.clones import api as clone_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("domains/<uuid:uuid>/clone", api(clone_views.DomainClone), name="api-domain-clone"),
]
